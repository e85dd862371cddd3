"""Contests: code competitions on hidden data, run in the grading sandbox.

    course.yaml `contests:`  -> prepare: the task's table split by the contest's seed into a training part
                                (students' data directory) and a hidden test set (course directory only),
                                the hidden set split again into public and private rows
    submit                   -> team rules, phase, daily cap -> a notebook's predict(inputs) executed in the
                                grading sandbox (medai.grader.execute.Slot, the zygote) on the hidden inputs
                                only -> scored here, outside the sandbox, with scikit-learn's metric
    leaderboard              -> public (during the phases), private (after the instructor reveals it), with
                                bootstrap confidence intervals; a hub service page (medai.grader.contest.page)

Everything a contest keeps lives in <course dir>/contests/<id>/ (closed to students): hidden/ (inputs and
labels) and contest.sqlite (teams, submissions, scores, the reveal).
"""
