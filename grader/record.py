"""Steps after execution, in the single writer: keep, score (nbgrader's own), read back, late, persist, feedback.

Scoring runs the rest of nbgrader's configured autograde preprocessors (by default SaveAutoGrades,
AssignLatePenalties, CheckCellMetadata) on each executed notebook, with nbgrader's configuration and gradebook,
then writes it into the autograded directory as nbgrader would. As in `nbgrader autograde`, the first notebook
that fails stops its submission: the later notebooks are not scored and the autograded directory is removed.
"""
from __future__ import annotations

import copy
import os
from pathlib import Path

from medai.grader.cell_proof import tampered_cells
from medai.grader.context import Submission
from medai.grader.prepare import _now, autograded_dir, new_result, run_converter, submitted_dir, unknown_notebooks
from medai.grader.results import CellScore, LateRecord, NotebookResult, Status
from medai.nbgrader_adapter.converters import autograde_split
from medai.nbgrader_adapter.gradebook import gradebook, utc

_ORDER = [Status.INVALID, Status.TIMED_OUT, Status.FAILED, Status.CELL_TIMEOUT]


def keep_executed(sub: Submission) -> None:
    """Persist what the worker executed before touching the gradebook (a kill here loses no execution)."""
    if sub.execution is None:
        return
    good = {nb.name: nb.executed for nb in sub.execution.notebooks if nb.executed is not None}
    sub.run.state.save_executed(sub.student, sub.fingerprint, good)
    sub.executed = good


def _write_notebook(path: Path, text: str, permissions: int) -> None:
    if path.exists():
        path.unlink()
    path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    os.chmod(path, permissions)


def _scored(name: str, executed) -> NotebookResult:
    """A notebook nbgrader scored: graded, or (scored the same) with the cells the cell timeout interrupted."""
    if executed is None or not executed.cell_timeouts:
        return NotebookResult(name, Status.GRADED, seconds=executed.seconds if executed else 0.0)
    return NotebookResult(name, Status.CELL_TIMEOUT, ", ".join(executed.cell_timeouts) + " ran into the cell "
                          "timeout: interrupted, then scored as nbgrader scores it", seconds=executed.seconds)


def save_grades(sub: Submission) -> None:
    import nbformat
    from nbgrader.converters import Autograde

    run = sub.run
    _, writer_classes = autograde_split(run.record_config)
    permissions = int(str(Autograde(config=run.record_config, coursedir=run.target.coursedir()).permissions), 8)
    failures = {nb.name: nb for nb in (sub.execution.notebooks if sub.execution else [])
                if nb.status != Status.GRADED}
    folder = autograded_dir(sub)
    outcomes: list[NotebookResult] = []
    failed = False
    names = sorted(set(sub.executed or {}) | set(failures))
    for name in names:
        if failed:
            outcomes.append(NotebookResult(name, Status.FAILED, "not graded: an earlier notebook of this "
                                                                "submission failed (as nbgrader does)"))
            continue
        if name in failures:
            nb_exec = failures[name]
            outcomes.append(NotebookResult(name, nb_exec.status, nb_exec.reason, seconds=nb_exec.seconds))
            failed = True
            continue
        try:
            nb = nbformat.reads(sub.executed[name], as_version=4)
            sub.warnings += [f"{name}: {reason}" for reason in tampered_cells(nb)]
            resources = {"nbgrader": {"student": sub.student, "assignment": run.target.assignment,
                                      "notebook": name[:-len(".ipynb")], "db_url": run.target.db_url}}
            for cls in writer_classes:
                nb, resources = cls(config=run.record_config)(nb, resources)
            _write_notebook(folder / name, nbformat.writes(nb), permissions)
            executed = next((n for n in sub.execution.notebooks if n.name == name), None) if sub.execution else None
            outcomes.append(_scored(name, executed))
        except Exception as err:  # noqa: BLE001
            from medai.grader.execute import describe

            outcomes.append(NotebookResult(name, Status.FAILED, f"nbgrader could not score it: {describe(err)}"))
            failed = True
    if not failed and sub.execution is not None and sub.execution.written is not None:
        from medai.grader.written_files import apply

        apply(folder, sub.execution.written)  # what the notebooks wrote stays, as in nbgrader's own directory
    if failed:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)  # nbgrader's _handle_failure
    status = next((s for s in _ORDER if any(o.status == s for o in outcomes)), Status.GRADED)
    reason = next((f"{o.name}: {o.reason}" for o in outcomes if o.status == status and o.reason), "")
    sub.result = new_result(sub, status, reason)
    sub.result.notebooks = outcomes
    sub.result.tampered = list(sub.warnings)


def read_scores(sub: Submission) -> None:
    """The gradebook's own numbers, per grade cell, for every notebook of the assignment."""
    from nbgrader.api import MissingEntry

    run = sub.run
    outcomes = {nb.name: nb for nb in sub.result.notebooks}
    ordered = []
    with gradebook(run.target.db_url, run.target.course_id) as gb:
        for notebook in run.notebooks:
            name = f"{notebook}.ipynb"
            result = outcomes.get(name)
            if result is None and (submitted_dir(sub) / name).exists():
                result = NotebookResult(name, sub.result.status, sub.result.reason)
            elif result is None:
                others = unknown_notebooks(sub)
                result = NotebookResult(name, Status.MISSING, "not submitted: scored 0" + (
                    f" ({', '.join(map(repr, others))} is not part of the assignment)" if others else ""))
            try:
                snb = gb.find_submission_notebook(notebook, run.target.assignment, sub.student)
            except MissingEntry:
                ordered.append(result)
                continue
            result.cells = [CellScore(g.name, float(g.score or 0), float(g.max_score or 0),
                                      None if g.auto_score is None else float(g.auto_score),
                                      bool(g.needs_manual_grade)) for g in sorted(snb.grades, key=lambda g: g.name)]
            result.late_penalty = float(snb.late_submission_penalty or 0)
            ordered.append(result)
        try:
            submission = gb.find_submission(run.target.assignment, sub.student)
            timestamp = submission.timestamp
            seconds_late = float(submission.total_seconds_late or 0)
        except MissingEntry:
            timestamp, seconds_late = None, 0.0
    sub.result.notebooks = ordered
    sub.result.timestamp = utc(timestamp).isoformat() if timestamp else None
    sub.result.late = LateRecord(seconds_late=seconds_late, policy="nbgrader") if seconds_late > 0 else None


def assess_lateness(sub: Submission) -> None:
    course = sub.run.target.course
    if course is None or sub.result.timestamp is None:
        return
    import datetime as dt

    from medai.course.late import lateness

    late = lateness(course, assignment_id=sub.run.target.assignment, student=sub.student,
                    submitted=dt.datetime.fromisoformat(sub.result.timestamp))
    seconds = (dt.datetime.fromisoformat(sub.result.timestamp) - late.deadline).total_seconds()
    sub.result.late = LateRecord(seconds_late=seconds, days_late=late.days_late,
                               penalty_percent=late.penalty_percent, deadline=late.deadline.isoformat(),
                               policy="course.yaml") if late.late else None  # inside the grace: on time


def persist(sub: Submission) -> None:
    import time

    sub.result.recorded = True
    sub.result.graded_at = _now()
    sub.result.seconds = round(time.monotonic() - sub.started, 3)
    sub.run.state.save(sub.result)
    if sub.result.status == Status.GRADED:
        sub.run.state.save_attempt(sub.result)
    sub.run.state.drop_executed(sub.student)


def deadline(sub: Submission):
    """The student's own deadline: course.yaml's (extensions applied), else the gradebook's due date."""
    run = sub.run
    if run.target.course is not None:
        from medai.course.late import deadline_for

        return deadline_for(run.target.course, assignment_id=run.target.assignment, student=sub.student)
    with gradebook(run.target.db_url, run.target.course_id) as gb:
        due = gb.find_assignment(run.target.assignment).duedate
    return utc(due) if due else None


def feedback(sub: Submission) -> None:
    """nbgrader's GenerateFeedback for this student (HTML under feedback/), hidden tests shown or withheld by
    the policy (medai.grader.visibility); returning it to the student is `medai feedback`'s or the queue's."""
    if not sub.run.options.feedback or not sub.result.status.scored:
        return
    from nbgrader.converters import GenerateFeedback

    from medai.grader.visibility import hidden_now, hide_hidden_tests

    config = copy.deepcopy(sub.run.record_config)
    hidden = hidden_now(sub.run.options.hidden_tests, deadline(sub))
    if hidden:
        hide_hidden_tests(config)
    ok, records = run_converter(sub, GenerateFeedback, config=config, name="feedback")
    sub.result.feedback = ok
    sub.result.feedback_hidden_tests = hidden if ok else None
    if not ok:
        sub.result.reason = "feedback could not be generated: " + "; ".join(
            message for level, message in records if level >= 40)[:300]
    sub.run.state.save(sub.result)


def refresh_feedback(sub: Submission) -> None:
    """An unchanged submission whose feedback withheld hidden tests that may now be shown (or the reverse)."""
    from medai.grader.visibility import hidden_now

    result = sub.result
    if not sub.run.options.feedback or not result.status.scored:
        return
    if result.feedback and result.feedback_hidden_tests == hidden_now(sub.run.options.hidden_tests, deadline(sub)):
        return
    feedback(sub)


def refresh_late_penalty(sub: Submission) -> None:
    """An unchanged submission: its late penalty stored again (course.yaml's policy or an extension may have
    changed since); when it moved, the scores are read back and the feedback made again."""
    course = sub.run.target.course
    if course is None or sub.result is None or not sub.result.recorded:
        return
    from nbgrader.api import MissingEntry

    from medai.nbgrader_adapter.late_penalty import store_late_penalty

    run = sub.run
    with gradebook(run.target.db_url, run.target.course_id) as gb:
        try:
            points = store_late_penalty(gb, course, assignment_id=run.target.assignment, student_id=sub.student)
        except MissingEntry:
            return
    before = sum(nb.late_penalty for nb in sub.result.notebooks)
    if points is None or abs(points - before) < 1e-9:
        return
    read_scores(sub)
    assess_lateness(sub)
    sub.result.feedback = False  # it shows the old penalty: refresh_feedback makes it again
    run.state.save(sub.result)


def return_feedback(sub: Submission) -> None:
    """Grade on submit: put this student's feedback in the exchange for them to fetch, now."""
    if not (sub.run.options.return_feedback and sub.result.feedback):
        return
    from medai.nbgrader_adapter.config import api

    target = sub.run.target
    result = api(target.config).release_feedback(target.assignment, sub.student)
    if not result.get("success"):
        sub.result.reason = "feedback could not be returned: " + (result.get("error") or result.get("log") or "")[-300:]
        sub.run.state.save(sub.result)


def failed_early(sub: Submission) -> None:
    """A submission that sanitizing already settled (invalid, failed): record that, with what it scored."""
    if sub.result is None:
        sub.result = new_result(sub, Status.FAILED, "not graded")


STEPS = [keep_executed, save_grades, read_scores, assess_lateness, persist, feedback, return_feedback]
SETTLED_STEPS = [failed_early, read_scores, assess_lateness, persist]
