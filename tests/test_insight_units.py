"""The insight's arithmetic and text handling on small hand-made inputs (no grading): item statistics against
hand computations, failure grouping, question boundaries in a notebook, the side-by-side cutting, the attempt
log that survives a torn line."""
from __future__ import annotations

import json
import statistics

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from medai.nbgrader_adapter.attempts import append_attempt, attempts_dir, read_attempts
from medai.nbgrader_adapter.cells import CellGrade
from medai.progress.insight.failures import failures_from, group_key
from medai.progress.insight.items import analyse, cronbach_alpha
from medai.progress.insight.similarity import Question, compare_question, filter_python, questions_of
from medai.progress.staff_page.insight_page import segments

MATRIX = {"a": [1, 1, 2], "b": [1, 0, 2], "c": [0, 1, 1], "d": [0, 0, 0], "e": [1, 1, 0]}  # student -> 3 items


def grades(matrix=MATRIX, pending=()):
    return [CellGrade(assignment="hw", student=s, notebook="nb", cell=f"q{j}", cell_type="code",
                      score=None if (s, j) in pending else float(v), max_score=2.0 if j == 2 else 1.0,
                      needs_manual_grade=(s, j) in pending)
            for s, row in matrix.items() for j, v in enumerate(row)]


def test_alpha_discrimination_and_upper_lower_by_hand():
    a = analyse("hw", grades(), order=[("nb", "q0"), ("nb", "q1"), ("nb", "q2")])
    rows = list(MATRIX.values())
    totals = [sum(r) for r in rows]
    k = 3
    alpha = k / (k - 1) * (1 - sum(statistics.variance([r[j] for r in rows]) for j in range(k))
                           / statistics.variance(totals))
    assert a.alpha == pytest.approx(alpha)
    q2 = a.items[2]
    assert q2.difficulty == pytest.approx((2 + 2 + 1 + 0 + 0) / 5 / 2)
    rest = [t - r[2] for t, r in zip(totals, rows)]
    assert q2.discrimination == pytest.approx(statistics.correlation([r[2] for r in rows], rest))
    # 27 % of 5 students: 1 upper (a: total 4), 1 lower (d: total 0): (2 - 0) / 2
    assert q2.upper_lower == 1.0 and q2.distribution == {"0": 2, "1": 1, "2": 2}
    assert a.flags == ["few_students"]


def test_flags_and_pending_hand_grades():
    matrix = {f"s{i:02d}": [0, 1, i % 2] for i in range(12)}
    a = analyse("hw", grades(matrix, pending={("s03", 1)}))
    assert a.items[0].flags == ["everyone_fails"] and a.items[1].flags == ["no_one_fails"]
    assert a.items[1].pending == 1 and a.complete == 11 and a.flags == ["pending_hand_grades"]
    assert cronbach_alpha(__import__("numpy").zeros((4, 1))) is None  # one item: undefined


def test_failures_group_messages_that_differ_in_numbers_only():
    def executed(evalue):
        cell = new_code_cell("assert f() == 1", metadata={"nbgrader": {"grade_id": "t", "grade": True,
                                                                        "solution": False, "points": 1}})
        cell.outputs = [] if evalue is None else [{"output_type": "error", "ename": "AssertionError",
                                                   "evalue": evalue, "traceback": []}]
        return new_notebook(cells=[cell])

    report = failures_from("hw", {("s1", "nb"): executed("got 0.41"), ("s2", "nb"): executed("got 0.43"),
                                  ("s3", "nb"): executed("got 0.41"), ("s4", "nb"): executed(None)})
    [cell] = report.cells
    [group] = cell.groups
    assert (cell.students, cell.failed, group.students, group.message) == (4, 3, ["s1", "s2", "s3"], "got 0.41")
    assert group_key("E", "x is 3.5e-2 not 1") == group_key("E", "X is 7 not 10")


def test_questions_are_the_answer_cells_before_each_test_and_graded_answers_alone():
    def meta(gid, **kw):
        return {"nbgrader": {"grade_id": gid, "grade": False, "solution": False, **kw}}

    nb = new_notebook(cells=[
        new_code_cell("# YOUR CODE HERE", metadata=meta("a1", solution=True)),
        new_code_cell("# YOUR CODE HERE", metadata=meta("a2", solution=True)),
        new_code_cell("assert x", metadata=meta("t1", grade=True, points=1)),
        new_markdown_cell("YOUR ANSWER HERE", metadata=meta("w", grade=True, solution=True, points=1)),
        new_code_cell("# YOUR CODE HERE", metadata=meta("a3", solution=True)),
    ])
    assert [(q.grade_id, q.cells, q.kind) for q in questions_of("nb", nb)] == [
        ("t1", ["a1", "a2"], "code"), ("w", ["w"], "text"), ("a3", ["a3"], "code")]


def test_renamed_and_reordered_code_matches_and_the_starter_counts_for_nothing():
    starter = "def helper(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()"
    one = ("def scale(values, factor):\n    out = []\n    for v in values:\n        out.append(v * factor)\n"
           "    return out\n\ndef total(values):\n    s = 0\n    for v in values:\n        s = s + v\n    return s")
    two = ("def add_up(xs):\n    # sum them\n    acc = 0\n    for x in xs:\n        acc = acc + x\n    return acc\n\n"
           "def times(xs, k):\n    res = []\n    for x in xs:\n        res.append(x * k)\n    return res")
    other = "import numpy as np\n\ndef scale(values, factor):\n    return list(np.asarray(values) * factor)"
    q = Question(notebook="nb", grade_id="t", cells=["a"], kind="code", starter=starter)
    summary, pairs = compare_question(q, {"s1": one, "s2": two, "s3": other, "s4": starter}, min_score=0.0)
    assert summary["blank"] == 1 and summary["answers"] == 3
    best = max(pairs, key=lambda p: p.score)
    assert (best.left.student, best.right.student) == ("s1", "s2") and best.score > 0.8
    assert all(p.score < 0.5 for p in pairs if p is not best)


def test_number_literals_read_alike_and_keep_their_place():
    from copydetect.utils import filter_code

    code = "x1 = 0.75 + 12  # 3 cases\ny = f'{x1:.2f}' + \"7\""
    filtered, _ = filter_python(code)
    assert filtered.startswith("V=0+0V=") and "3" not in filtered and "cases" not in filtered
    plain = "def f(a, b):\n    # add\n    return a + b\n"
    assert filter_python(plain)[0] == filter_code(plain, "x.py", "python")[0]  # copydetect's, but for numbers
    q = Question(notebook="nb", grade_id="t", cells=["a"], kind="code")
    body = "def risk(age, sbp):\n    score = 0\n    if age > {a}:\n        score += {b}\n    if sbp > {c}:\n" \
           "        score += 2\n    return score / {d}"
    _, [pair] = compare_question(q, {"s1": body.format(a=65, b=1, c=140, d=3),
                                     "s2": body.format(a=60, b=2, c=130.5, d=4.0)}, min_score=0.0)
    assert pair.score == 1.0 and pair.left.text.startswith("def risk") and "65" in pair.left.text


def test_segments_cut_text_at_the_spans():
    assert segments("abcdefgh", [(2, 4), (3, 6)]) == [("ab", False), ("cd", True), ("ef", True), ("gh", False)]
    assert "".join(t for t, _ in segments("abc", [])) == "abc"


def test_the_attempt_log_keeps_each_submission_once_and_survives_a_torn_line(tmp_path):
    append_attempt(tmp_path, "hw", "s1", timestamp="2026-09-01T10:00:00", graded_at="g1", cells={"nb/t": 0.0})
    append_attempt(tmp_path, "hw", "s1", timestamp="2026-09-02T10:00:00", graded_at="g2", cells={"nb/t": 1.0})
    append_attempt(tmp_path, "hw", "s1", timestamp="2026-09-01T10:00:00", graded_at="g3", cells={"nb/t": 0.5})
    with open(attempts_dir(tmp_path, "hw") / "s1.jsonl", "a") as f:
        f.write('{"timestamp": "2026-09-03')  # a write cut off
    tries = read_attempts(tmp_path, "hw")["s1"]
    assert [(t["graded_at"], t["cells"]["nb/t"]) for t in tries] == [("g3", 0.5), ("g2", 1.0)]
    assert json.loads((attempts_dir(tmp_path, "hw") / "s1.jsonl").read_text().splitlines()[0])["graded_at"] == "g1"


def test_terminal_tables_line_up_korean_and_english_columns():
    from medai.progress.insight.tables import Table, text_table
    from medai.progress.reports.text_width import cut, width

    assert width("민감도") == 6 and width("AUROC") == 5
    assert width(cut("민감도(sensitivity)는 질병이 있는 사람 중", 12)) <= 12
    assert cut("short", 12) == "short"
    table = Table("문항", ["item", "students"], ["채점 셀", "학생 수"],
                  [["q1 민감도", 12], ["q2", 3]])
    import re

    lines = text_table(table).splitlines()[1:]  # the labels, the rule, two rows
    second_column = {width(line[:re.search(r"  +\S", line).end() - 1]) for line in lines}
    assert len(second_column) == 1, lines
