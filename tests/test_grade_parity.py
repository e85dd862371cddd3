"""`medai grade` reaches stock `nbgrader autograde`'s outcome, grade cell by grade cell.

Two copies of one course directory: stock nbgrader autogrades one, `medai grade` (parallel, sandboxed when
root) the other; the gradebooks must hold the same score, maximum and manual-grading flag for every grade
cell of every student, and a submission fails in medai exactly when it fails in nbgrader. The submissions are
nbgrader's own test notebooks (changed locked and grade cells, cheat attempts, hidden tests, relative files,
the NBGRADER_EXECUTION variable, timeouts, infinite loops, old and too-new formats, a file that is not JSON),
nbgrader's documented ps1, and the course's c02-diagnostic-metrics (solution, blank, wrong answers).
"""
from __future__ import annotations

import shutil

import nbformat
import pytest

from medai.grader.context import GradeOptions
from medai.grader.pipeline import grade
from medai.grader.results import Status
from medai.grader.target import load_target
from tests.grade_support import (C02, PEER_FILES, PS1, gradebook_scores, make_course, notebook,
                                 released, stock_autograde, submit)

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")]




def options(accounts, **kw) -> GradeOptions:
    if accounts is None:
        return GradeOptions(workers=2, unsafe=True, progress=False, **kw)
    return GradeOptions(workers=2, progress=False, sandbox_prefix=accounts.prefix, **kw)


def both(tmp_path, build):
    """Build the course once, copy it, and return (stock copy, medai copy)."""
    original = build(tmp_path / "original")
    stock, ours = tmp_path / "stock", tmp_path / "medai"
    shutil.copytree(original, stock)
    shutil.copytree(original, ours)
    return stock, ours


# nbgrader's own cheat attempts (they replace InteractiveShell.showtraceback): stock nbgrader gives the grade
# cell after the cheat its points; medai puts the method back, scores that cell 0 and reports it (issue 12)
CAUGHT = {("sub", "cheat-attempt"): {("p1", "foo")}, ("sub", "cheat-attempt-alternative"): {("p1", "foo")}}


def compare(stock, ours, assignment, accounts, **kw):
    students = sorted(p.name for p in (stock / "submitted").iterdir() if (p / assignment).is_dir())
    ok = stock_autograde(stock, assignment, students)
    summary = grade(target=load_target(course_dir=ours, assignment=assignment, course=None),
                    options=options(accounts, **kw))
    results = {r.student: r for r in summary.results}
    assert sorted(results) == students
    expected = gradebook_scores(stock, assignment, students)
    for student in students:
        caught = CAUGHT.get((assignment, student), set())
        for key in caught:
            assert expected[student][key][0] > 0, (student, key)  # the cheat fooled stock nbgrader
            expected[student][key] = (0.0, *expected[student][key][1:])
            assert f"grade cell {key[1]}: " in "; ".join(results[student].tampered), results[student].tampered
    assert gradebook_scores(ours, assignment, students) == expected
    for student in students:
        assert results[student].status.scored == ok[student], (student, results[student])
        if ok[student]:  # what medai reports is what the gradebook holds
            assert results[student].cell_scores() == {k: v[0] for k, v in expected[student].items()}
    return results, expected


def peer_course(root):
    f = PEER_FILES
    source = {
        "ps1": {"problem1.ipynb": notebook(PS1 / "problem1.ipynb"), "problem2.ipynb": notebook(PS1 / "problem2.ipynb"),
                "jupyter.png": PS1 / "jupyter.png"},
        "sub": {"p1.ipynb": notebook(f / "submitted-unchanged.ipynb")},
        "hidden": {"p1.ipynb": notebook(f / "test-hidden-tests.ipynb"), "jupyter.png": f / "jupyter.png"},
        "rel": {"p1.ipynb": notebook(f / "open_relative_file.ipynb"), "data.txt": f / "data.txt"},
        "env": {"p1.ipynb": notebook(f / "validating-environment-variable.ipynb")},
        "slow": {"p1.ipynb": notebook(f / "timeout.ipynb")},
        "loop": {"p1.ipynb": notebook(f / "infinite-loop.ipynb"), "p2.ipynb": notebook(f / "side-effects.ipynb")},
        "formats": {"p1.ipynb": notebook(f / "test.ipynb"), "jupyter.png": f / "jupyter.png"},
    }
    make_course(root, source, extra_config="c.Execute.timeout = 3\n")
    src = root / "source"
    submit(root, "ps1", "sol", {n: src / "ps1" / n for n in ("problem1.ipynb", "problem2.ipynb")})
    submit(root, "ps1", "blank", {n: released(root, "ps1", n) for n in ("problem1.ipynb", "problem2.ipynb")})
    half = released(root, "ps1", "problem1.ipynb")
    solution = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in nbformat.read(
        src / "ps1" / "problem1.ipynb", as_version=4).cells}
    for cell in half.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "squares":
            cell.source = solution["squares"]
    submit(root, "ps1", "half", {"problem1.ipynb": half})  # and problem2 not submitted at all
    for variant in ("unchanged", "changed", "locked-cell-changed", "grade-cell-changed", "cheat-attempt",
                    "cheat-attempt-alternative"):
        submit(root, "sub", variant, {"p1.ipynb": f / f"submitted-{variant}.ipynb"})
    submit(root, "hidden", "sol", {"p1.ipynb": src / "hidden" / "p1.ipynb"})
    submit(root, "hidden", "blank", {"p1.ipynb": released(root, "hidden", "p1.ipynb")})
    submit(root, "rel", "ok", {"p1.ipynb": released(root, "rel", "p1.ipynb"), "data.txt": b"tampered\n"})
    submit(root, "env", "ok", {"p1.ipynb": released(root, "env", "p1.ipynb")})
    submit(root, "slow", "sleepy", {"p1.ipynb": src / "slow" / "p1.ipynb"})
    submit(root, "loop", "forever", {"p1.ipynb": src / "loop" / "p1.ipynb", "p2.ipynb": src / "loop" / "p2.ipynb"})
    submit(root, "formats", "good", {"p1.ipynb": src / "formats" / "p1.ipynb"})
    submit(root, "formats", "v0", {"p1.ipynb": f / "test-v0.ipynb"})
    submit(root, "formats", "toonew", {"p1.ipynb": f / "too-new.ipynb"})
    submit(root, "formats", "notjson", {"p1.ipynb": b'{"cells": [ this is not JSON'})
    submit(root, "formats", "python", {"p1.ipynb": notebook(f / "test.ipynb", kernel=None)})  # kernel "python"
    return root


@pytest.fixture(scope="module")
def peer(tmp_path_factory):
    return both(tmp_path_factory.mktemp("peer"), peer_course)


@pytest.mark.parametrize("assignment", ["ps1", "sub", "hidden", "rel", "env", "slow", "loop", "formats"])
def test_same_scores_as_stock_nbgrader_on_nbgraders_own_notebooks(peer, accounts, assignment):
    stock, ours = peer
    results, expected = compare(stock, ours, assignment, accounts)
    if assignment == "ps1":
        assert sum(v[0] for v in expected["sol"].values()) > sum(v[0] for v in expected["half"].values()) > 0
        assert {nb.name: nb.status for nb in results["half"].notebooks}["problem2.ipynb"] == Status.MISSING
    if assignment == "sub":
        assert results["locked-cell-changed"].tampered and results["grade-cell-changed"].tampered
        assert not results["unchanged"].tampered and not results["changed"].tampered
    if assignment == "hidden":  # nbgrader "restores" every cell with hidden tests: that is no tampering
        assert not results["blank"].tampered
    if assignment == "rel":  # nbgrader's data.txt replaced the student's, and the notebook read it
        assert results["ok"].score == 10
    if assignment == "formats":
        assert results["good"].status == Status.GRADED and results["good"].score > 0
        assert results["notjson"].status == Status.INVALID and "JSON" in results["notjson"].reason
        assert results["v0"].status == Status.INVALID and "old" in results["v0"].reason
        assert results["toonew"].status == Status.INVALID
        assert results["python"].status == Status.GRADED  # OverwriteKernelspec restored the source's


def c02_course(root):
    make_course(root, {"c02": {p.name: (notebook(p) if p.suffix == ".ipynb" else p) for p in C02.iterdir()
                               if p.is_file()}}, course_id="medai101", extra_config="c.Execute.timeout = 120\n")
    source = nbformat.read(root / "source" / "c02" / "diagnostic-metrics.ipynb", as_version=4)
    nb = "diagnostic-metrics.ipynb"

    def variant(old, new, base=None):
        out = nbformat.from_dict(base or source)
        hits = [c for c in out.cells if old in c.source]
        assert len(hits) == 1, old
        hits[0].source = hits[0].source.replace(old, new)
        return out

    submit(root, "c02", "solution", {nb: source, "checks.py": C02 / "checks.py"})
    submit(root, "c02", "blank", {nb: released(root, "c02", nb)})
    submit(root, "c02", "wrongppv", {nb: variant('return counts["tp"] / (counts["tp"] + counts["fp"])',
                                                'return counts["tp"] / (counts["tp"] + counts["fn"])')})
    submit(root, "c02", "wrongq3", {nb: variant("false_positives = (1 - spec) * (1 - prevalence)",
                                               "false_positives = (1 - sens) * (1 - prevalence)")})
    submit(root, "c02", "crash", {nb: variant("auc = float(roc_auc_score(y_true, score))",
                                             "import os; os._exit(1)")})
    return root


def test_same_scores_as_stock_nbgrader_on_the_course_assignment(tmp_path, accounts):
    stock, ours = both(tmp_path, c02_course)
    results, expected = compare(stock, ours, "c02", accounts)
    total = {s: sum(v[0] for k, v in cells.items() if not v[2]) for s, cells in expected.items()}
    assert total["solution"] == 10 and total["blank"] == 0
    assert 0 < total["wrongppv"] < 10 and 0 < total["wrongq3"] < 10
    assert results["crash"].status == Status.FAILED and "kernel died" in results["crash"].reason
