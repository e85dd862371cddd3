"""A planted quiz for the instructor's insight, really graded: nbgrader generates it, twelve students hand in
answers written to a plan, `medai grade` (sandboxed when root) autogrades them, and the written answer is graded
by hand in the gradebook.

Students s01 (strongest) .. s12 (weakest). What each one gets right is planned (PLAN), so the tests can compute
every statistic by hand:

    test_mean      1 pt   s01-s10 right; s11 NameError (a name never defined), s12 a wrong mean (AssertionError)
    test_sens      1 pt   s01-s08 right; the others divide by the wrong count (AssertionError, different numbers)
    test_spec      1 pt   s01-s06 right; the others leave the starter code (NotImplementedError)
    test_double    1 pt   everyone right, but the hidden test is deliberately wrong: everyone fails
    test_percent   1 pt   the strong s01-s06 format with a decimal ("12.3%"), which the test refuses; the weak
                          s07-s12 round to "12%": negative discrimination
    test_confusion 2 pt   s01-s05 write five independent solutions; s09 copies s03's with renamed variables,
                          reordered functions and changed comments; the others leave the starter code
    test_prev      1 pt   a two-line answer everyone gets right, in one of two ways: short, agreement expected
    explain        1 pt   a written answer, graded by hand: 1 for s01-s06; s10 copies s04's text

s12 resubmits (grade on submit keeps both attempts): first the blank notebook, then the planned answers; the
gradebook holds the latest, the first-attempt analysis the blank one.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ASSIGNMENT = "quiz1"
NOTEBOOK = "quiz"
COURSE_ID = "insight"
STUDENTS = [f"s{i:02d}" for i in range(1, 13)]
ITEMS = ["test_mean", "test_sens", "test_spec", "test_double", "test_percent", "test_confusion", "test_prev",
         "explain"]
POINTS = {"test_confusion": 2}
RESUBMITTER = "s12"  # first hands in the blank notebook (graded: 0 everywhere), then the plan's answers


def grading(grade_id: str, *, points: float = 0, grade: bool, solution: bool, locked: bool) -> dict:
    meta = {"grade_id": grade_id, "grade": grade, "solution": solution, "locked": locked, "schema_version": 3}
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


def _answer(grade_id: str, solution: str) -> nbformat.NotebookNode:
    return new_code_cell(f"### BEGIN SOLUTION\n{solution}\n### END SOLUTION",
                         metadata=grading(grade_id, grade=False, solution=True, locked=False))


def _test(grade_id: str, source: str) -> nbformat.NotebookNode:
    return new_code_cell(source, metadata=grading(grade_id, points=POINTS.get(grade_id, 1), grade=True,
                                                  solution=False, locked=True))


def source_notebook() -> nbformat.NotebookNode:
    nb = new_notebook(cells=[
        new_markdown_cell("# Quiz 1: diagnostic arithmetic"),
        _answer("mean", "def mean_of(xs):\n    return sum(xs) / len(xs)"),
        _test("test_mean", 'assert mean_of([1, 2, 3]) == 2, "mean_of([1, 2, 3]) should be 2"'),
        _answer("sens", "def sensitivity(tp, fn):\n    return tp / (tp + fn)"),
        _test("test_sens", 'got = sensitivity(9, 1)\nassert abs(got - 0.9) < 1e-9, f"sensitivity(9, 1) should be 0.9, got {got}"'),
        _answer("spec", "def specificity(tn, fp):\n    return tn / (tn + fp)"),
        _test("test_spec", "assert specificity(8, 2) == 0.8"),
        _answer("double", "def double(x):\n    return 2 * x"),
        _test("test_double", "assert double(1) == 2\n### BEGIN HIDDEN TESTS\n"
                             'assert double(2) == 5, "double(2) must be 5"\n### END HIDDEN TESTS'),
        _answer("percent", 'def percent(x):\n    return f"{round(x * 100)}%"'),
        _test("test_percent", 'assert percent(0.123) == "12%", "percent(0.123) should be \'12%\'"'),
        _answer("confusion", "def confusion(y_true, y_pred):\n    return {}"),
        _test("test_confusion", 'assert confusion([1, 0, 1, 1, 0], [1, 1, 0, 1, 0]) == '
                                '{"tp": 2, "fp": 1, "fn": 1, "tn": 1}'),
        _answer("prev", "prevalence = 30 / 200\nprint(round(prevalence, 3))"),
        _test("test_prev", "assert prevalence == 0.15"),
        new_markdown_cell("### BEGIN SOLUTION\nA positive screen is a reason for more tests.\n### END SOLUTION",
                          metadata=grading("explain", points=1, grade=True, solution=True, locked=False)),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


RIGHT = {
    "mean": "def mean_of(xs):\n    return sum(xs) / len(xs)",
    "sens": "def sensitivity(tp, fn):\n    return tp / (tp + fn)",
    "spec": "def specificity(tn, fp):\n    return tn / (tn + fp)",
    "double": "def double(x):\n    return x + x",
}
CONFUSION = {
    "s01": '''def confusion(y_true, y_pred):
    counts = {"tp": 0, "fp": 0, "fn": 0, "tn": 0}
    for truth, guess in zip(y_true, y_pred):
        if truth == 1 and guess == 1:
            counts["tp"] += 1
        elif truth == 0 and guess == 1:
            counts["fp"] += 1
        elif truth == 1 and guess == 0:
            counts["fn"] += 1
        else:
            counts["tn"] += 1
    return counts''',
    "s02": '''import numpy as np

def confusion(y_true, y_pred):
    t = np.asarray(y_true) == 1
    p = np.asarray(y_pred) == 1
    return {"tp": int((t & p).sum()), "fp": int((~t & p).sum()),
            "fn": int((t & ~p).sum()), "tn": int((~t & ~p).sum())}''',
    "s03": '''def _count(labels, predictions, want_label, want_prediction):
    # how many cases have this label and this prediction
    total = 0
    for label, prediction in zip(labels, predictions):
        if label == want_label and prediction == want_prediction:
            total = total + 1
    return total


def _table(labels, predictions):
    # all four cells of the 2x2 table
    return [_count(labels, predictions, 1, 1), _count(labels, predictions, 0, 1),
            _count(labels, predictions, 1, 0), _count(labels, predictions, 0, 0)]


def confusion(y_true, y_pred):
    # the four counts, named
    cells = _table(y_true, y_pred)
    names = ["tp", "fp", "fn", "tn"]
    return dict(zip(names, cells))''',
    "s04": '''from collections import Counter

def confusion(y_true, y_pred):
    pairs = Counter(zip(y_true, y_pred))
    return {"tp": pairs[(1, 1)], "fp": pairs[(0, 1)], "fn": pairs[(1, 0)], "tn": pairs[(0, 0)]}''',
    "s05": '''def confusion(y_true, y_pred):
    n = len(y_true)
    tp = len([i for i in range(n) if y_true[i] and y_pred[i]])
    fp = len([i for i in range(n) if not y_true[i] and y_pred[i]])
    fn = len([i for i in range(n) if y_true[i] and not y_pred[i]])
    return {"tp": tp, "fp": fp, "fn": fn, "tn": n - tp - fp - fn}''',
    # s03's, copied: variables renamed, the functions in another order, other comments
    "s09": '''def confusion(truth_list, guess_list):
    # compute the confusion matrix entries
    values = _grid(truth_list, guess_list)
    keys = ["tp", "fp", "fn", "tn"]
    return dict(zip(keys, values))


def _tally(ys, ps, a, b):
    # loop and count matches
    n = 0
    for y, p in zip(ys, ps):
        if y == a and p == b:
            n = n + 1
    return n


def _grid(ys, ps):
    # build the table
    return [_tally(ys, ps, 1, 1), _tally(ys, ps, 0, 1),
            _tally(ys, ps, 1, 0), _tally(ys, ps, 0, 0)]''',
}
EXPLAIN = {
    "s04": "A positive screening result only raises the probability of disease; with a prevalence of 2 % most "
           "positives are false positives, so it calls for a confirmatory test, not a diagnosis.",
    "s10": "A positive screening result only raises the chance of disease; with a prevalence of 2 % most "
           "positives are false positives, so it calls for a confirmatory test and not a diagnosis. "
           "<img src=x onerror=alert(1)>",  # shown to the instructor as text, never as markup
    "s01": "Screening is tuned for sensitivity. The PPV at low prevalence is small, so we confirm first.",
    "s02": "It means we should order the definitive test; by Bayes the post-test odds are still low here.",
    "s03": "Low prevalence makes the predictive value of a positive result poor.",
}


OWN_WORDS = ["It is a diagnosis.", "The patient has the disease, I think.", "Treat at once.",
             "Probably sick; the test is rarely wrong.", "Positive means ill.", "We tell the patient the result.",
             "Nothing more is needed."]


def answers(student: str) -> dict[str, str]:
    """grade_id -> what `student` writes in each answer cell (missing: the starter code stays)."""
    rank = STUDENTS.index(student) + 1
    out = {"double": RIGHT["double"]}
    if rank <= 10:
        out["mean"] = RIGHT["mean"]
    elif rank == 11:
        out["mean"] = "def mean_of(xs):\n    return total / len(xs)"
    else:
        out["mean"] = "def mean_of(xs):\n    return sum(xs) / (len(xs) + 1)"
    out["sens"] = RIGHT["sens"] if rank <= 8 else f"def sensitivity(tp, fn):\n    return tp / (tp + fn + {rank})"
    if rank <= 6:
        out["spec"] = RIGHT["spec"]
        out["percent"] = 'def percent(x):\n    return f"{x:.1%}"'
    else:
        out["percent"] = 'def percent(x):\n    return str(round(x * 100)) + "%"'
    if student in CONFUSION:
        out["confusion"] = CONFUSION[student]
    out["prev"] = ("prevalence = 30 / 200\nprint(round(prevalence, 3))" if rank % 2
                   else "cases, population = 30, 200\nprevalence = cases / population")
    out["explain"] = EXPLAIN.get(student, OWN_WORDS[rank % len(OWN_WORDS)])
    return out


def hand_grade(student: str) -> float:
    return 1.0 if STUDENTS.index(student) < 6 else 0.0


def expected_scores(student: str) -> dict[str, float]:
    """The score each item should get, from the plan."""
    rank = STUDENTS.index(student) + 1
    return {"test_mean": float(rank <= 10), "test_sens": float(rank <= 8), "test_spec": float(rank <= 6),
            "test_double": 0.0, "test_percent": float(rank > 6),
            "test_confusion": 2.0 if student in CONFUSION else 0.0, "test_prev": 1.0, "explain": hand_grade(student)}


def student_notebook(released: Path, student: str) -> nbformat.NotebookNode:
    nb = nbformat.read(released, as_version=4)
    mine = answers(student)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in mine:
            cell.source = mine[grade_id]
    return nb


@dataclass
class Graded:
    root: Path

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.root / 'gradebook.db'}"


def build(base: Path, accounts=None) -> Graded:
    """Generate, hand in, grade (medai grade), hand-grade the written answer."""
    from nbgrader.api import Gradebook

    from medai.grader.context import GradeOptions
    from medai.grader.pipeline import grade
    from medai.grader.target import load_target
    from tests.grade_support import make_course, submit

    root = make_course(base / "course", {ASSIGNMENT: {f"{NOTEBOOK}.ipynb": source_notebook()}}, course_id=COURSE_ID)
    released = root / "release" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    options = (GradeOptions(workers=2, unsafe=True, progress=False, feedback=False) if accounts is None else
               GradeOptions(workers=2, progress=False, feedback=False, sandbox_prefix=accounts.prefix))
    # the resubmitter hands in the released notebook untouched first, is graded, then hands in the plan's
    submit(root, ASSIGNMENT, RESUBMITTER, {f"{NOTEBOOK}.ipynb": nbformat.read(released, as_version=4)},
           timestamp="2026-09-19 10:00:00.000000 UTC")
    grade(target=load_target(course_dir=root, assignment=ASSIGNMENT, course=None), options=options)
    for student in STUDENTS:
        submit(root, ASSIGNMENT, student, {f"{NOTEBOOK}.ipynb": student_notebook(released, student)})
    summary = grade(target=load_target(course_dir=root, assignment=ASSIGNMENT, course=None), options=options)
    assert sorted(r.student for r in summary.results) == STUDENTS
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        for student in STUDENTS:
            g = gb.find_grade("explain", NOTEBOOK, ASSIGNMENT, student)
            g.manual_score = hand_grade(student)
            g.needs_manual_grade = False
        gb.db.commit()
    return Graded(root=root)
