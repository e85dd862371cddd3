"""`medai grade` reports what stock `nbgrader autograde` knows, and keeps what it keeps (issue 18, items 1-6).

One small course of our own, copied: stock nbgrader autogrades one copy, `medai grade` (sandboxed when root)
the other, and every grade cell must score the same. On top of the scores, medai must say what happened: a
cell that ran into the cell timeout (its own status, naming the cell, in the summary, the state and the exit
status), a grade or locked cell deleted or added (tampering, naming the cell), a renamed notebook (in the
student's file name, not "did you forget to run generate_assignment"), hidden tests with no due date (withheld
from the feedback, the summary says so), files the notebook wrote (kept in autograded/ as stock keeps them),
and a stray course.yaml (not used for a course directory it does not belong to).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from medai.grader.context import GradeOptions
from medai.grader.pipeline import grade
from medai.grader.results import Status
from medai.grader.target import course_file_for, load_target
from tests.conftest import REPO
from tests.grade_support import gradebook_scores, make_course, results_json, stock_autograde, submit

pytestmark = [pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")]
MEDAI = str(Path(sys.executable).with_name("medai"))
KERNEL = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
CELL_TIMEOUT = 2


def cell(kind: str, source: str, grade_id: str, *, points: int = 0, solution: bool = False) -> nbformat.NotebookNode:
    meta = {"schema_version": 3, "grade_id": grade_id, "grade": bool(points), "solution": solution,
            "locked": not solution}
    if points:
        meta["points"] = points
    new = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
    return new(source, metadata={"nbgrader": meta})


def notebook(*cells) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(metadata=KERNEL)
    nb.cells = list(cells)
    return nb


def answer(code: str) -> str:
    return f"### BEGIN SOLUTION\n{code}\n### END SOLUTION"


def three_cells() -> nbformat.NotebookNode:
    return notebook(cell("code", "BASE = 2", "setup"),
                    cell("code", answer("def twice(x):\n    return BASE * x"), "answer", solution=True),
                    cell("code", "assert twice(2) == 4", "test_twice", points=1),
                    cell("code", "assert twice(0) == 0", "test_zero", points=1))


HIDDEN = "assert twice(5) == 10  # the hidden one"
SOURCE = {
    "loop": {"loop.ipynb": notebook(cell("code", answer("def twice(x):\n    return 2 * x"), "answer", solution=True),
                                    cell("code", "assert twice(2) == 4", "test_twice", points=1),
                                    cell("code", answer("def half(x):\n    return x / 2"), "answer2", solution=True),
                                    cell("code", "assert half(4) == 2", "test_half", points=1))},
    "cells": {"cells.ipynb": three_cells()},
    "writes": {"writes.ipynb": notebook(
        cell("code", answer("import pathlib\npathlib.Path('out.csv').write_text('a,b\\n1,2\\n')\n"
                            "pathlib.Path('results').mkdir()\npathlib.Path('results/summary.txt').write_text('ok')\n"
                            "pathlib.Path('given.txt').write_text('changed by the notebook')"),
             "answer", solution=True),
        cell("code", "assert open('out.csv').read().startswith('a,b')", "test_file", points=1)),
        "given.txt": "as given\n"},
    "hidden": {"hidden.ipynb": notebook(
        cell("code", answer("def twice(x):\n    return 2 * x"), "answer", solution=True),
        cell("code", f"assert twice(2) == 4\n### BEGIN HIDDEN TESTS\n{HIDDEN}\n### END HIDDEN TESTS", "test_twice",
             points=2))},
    "renamed": {"QR.ipynb": notebook(cell("code", answer("def twice(x):\n    return 2 * x"), "answer", solution=True),
                                     cell("code", "assert twice(2) == 4", "test_twice", points=1))},
}


def released(root: Path, assignment: str, name: str) -> nbformat.NotebookNode:
    return nbformat.read(root / "release" / assignment / name, as_version=4)


def solved(root: Path, assignment: str, name: str, **answers: str) -> nbformat.NotebookNode:
    """The released notebook with its answer cells filled in (grade_id -> code)."""
    nb = released(root, assignment, name)
    for c in nb.cells:
        grade_id = c.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            c.source = answers[grade_id]
    return nb


TWICE = "def twice(x):\n    return 2 * x"


def build(root: Path) -> Path:
    make_course(root, SOURCE, course_id="reports", extra_config=f"c.Execute.timeout = {CELL_TIMEOUT}\n")
    submit(root, "loop", "honest", {"loop.ipynb": solved(root, "loop", "loop.ipynb", answer=TWICE,
                                                         answer2="def half(x):\n    return x / 2")})
    submit(root, "loop", "looping", {"loop.ipynb": solved(root, "loop", "loop.ipynb", answer=TWICE,
                                                          answer2="while True:\n    pass")})
    full = solved(root, "cells", "cells.ipynb", answer="def twice(x):\n    return BASE * x")
    submit(root, "cells", "honest", {"cells.ipynb": full})
    deleted = solved(root, "cells", "cells.ipynb", answer="def twice(x):\n    return BASE * x")
    deleted.cells = [c for c in deleted.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "test_zero"]
    submit(root, "cells", "deleted_grade", {"cells.ipynb": deleted})
    no_setup = solved(root, "cells", "cells.ipynb", answer="BASE = 2\ndef twice(x):\n    return BASE * x")
    no_setup.cells = [c for c in no_setup.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "setup"]
    submit(root, "cells", "deleted_locked", {"cells.ipynb": no_setup})
    added = solved(root, "cells", "cells.ipynb", answer="def twice(x):\n    return BASE * x")
    added.cells.append(cell("code", "assert True", "test_bonus", points=5))
    submit(root, "cells", "added_grade", {"cells.ipynb": added})
    submit(root, "writes", "writer", {"writes.ipynb": root / "source" / "writes" / "writes.ipynb",
                                      "given.txt": b"as given\n"})
    submit(root, "hidden", "solved", {"hidden.ipynb": solved(root, "hidden", "hidden.ipynb", answer=TWICE)})
    submit(root, "renamed", "renamer", {"QR (1).ipynb": solved(root, "renamed", "QR.ipynb", answer=TWICE)})
    submit(root, "renamed", "honest", {"QR.ipynb": solved(root, "renamed", "QR.ipynb", answer=TWICE)})
    return root


def options(accounts, **kw) -> GradeOptions:
    if accounts is None:
        return GradeOptions(workers=2, unsafe=True, progress=False, **kw)
    return GradeOptions(workers=2, progress=False, sandbox_prefix=accounts.prefix, **kw)


@pytest.fixture(scope="module")
def courses(tmp_path_factory):
    base = tmp_path_factory.mktemp("reports")
    original = build(base / "original")
    stock, ours = base / "stock", base / "medai"
    shutil.copytree(original, stock)
    shutil.copytree(original, ours)
    return stock, ours


GRADED: dict[str, tuple] = {}


def graded(courses, accounts, assignment: str):
    """(summary, results, stock's success per student) for one assignment, graded once per module."""
    if assignment not in GRADED:
        stock, ours = courses
        students = sorted(p.name for p in (stock / "submitted").iterdir() if (p / assignment).is_dir())
        ok = stock_autograde(stock, assignment, students)
        summary = grade(target=load_target(course_dir=ours, assignment=assignment, course=None),
                        options=options(accounts))
        assert gradebook_scores(ours, assignment, students) == gradebook_scores(stock, assignment, students)
        results = {r.student: r for r in summary.results}
        for student in students:
            assert results[student].status.scored == ok[student], (student, results[student])
        GRADED[assignment] = summary, results, ok
    return GRADED[assignment]


@pytest.mark.slow
def test_a_cell_timeout_is_its_own_status_naming_the_cell(courses, accounts):
    summary, results, ok = graded(courses, accounts, "loop")
    looping, honest = results["looping"], results["honest"]
    assert ok["looping"] and looping.score == 1  # stock scores it, the interrupted cell's test gets 0
    assert looping.status == Status.CELL_TIMEOUT, looping
    assert "cell 'answer2'" in looping.reason and f"({CELL_TIMEOUT} s)" in looping.reason, looping.reason
    assert honest.status == Status.GRADED and honest.score == 2 and not honest.reason
    lines = summary.lines()
    assert "graded 1, cell timeout 1, failed 0, timed out 0," in lines[1], lines
    assert any(line.startswith("  ! looping: cell timeout: loop.ipynb: cell 'answer2'") for line in lines), lines
    assert summary.exit_code == 1
    state = results_json(courses[1], "loop")
    assert state["looping"]["status"] == "cell timeout" and "answer2" in state["looping"]["reason"]
    assert state["looping"]["feedback"]  # scored as stock scores it: the student gets feedback


@pytest.mark.slow
def test_a_deleted_or_added_grade_or_locked_cell_is_tampering_naming_the_cell(courses, accounts):
    summary, results, _ = graded(courses, accounts, "cells")
    assert results["honest"].status == Status.GRADED and not results["honest"].tampered
    assert results["honest"].score == 2
    expected = {"deleted_grade": "grade cell 'test_zero' is missing from the submission (deleted)",
                "deleted_locked": "locked cell 'setup' is missing from the submission (deleted)",
                "added_grade": "grade cell 'test_bonus' is not part of the assignment (added)"}
    for student, words in expected.items():
        assert any(t.startswith(f"cells.ipynb: {words}") for t in results[student].tampered), results[student]
        assert any(line.startswith(f"  ! {student}: ") and f"tampered: cells.ipynb: {words}" in line
                   for line in summary.lines()), summary.lines()
    # stock nbgrader scores the others without the deleted cell, and refuses a notebook with an added grade cell
    assert results["deleted_grade"].status == results["deleted_locked"].status == Status.GRADED
    added = results["added_grade"]
    assert added.status == Status.FAILED and added.reason.startswith(
        "cells.ipynb: grade cell 'test_bonus' is not part of the assignment (added), and nbgrader refuses"), added
    assert f"tampered {len(expected)}," in summary.lines()[1]
    assert summary.exit_code == 1


@pytest.mark.slow
def test_files_the_notebook_writes_stay_in_autograded_as_stock_keeps_them(courses, accounts):
    _, results, _ = graded(courses, accounts, "writes")
    assert results["writer"].status == Status.GRADED and results["writer"].score == 1

    def kept(root: Path) -> dict[str, bytes]:
        folder = root / "autograded" / "writer" / "writes"
        return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*")
                if p.is_file() and p.suffix != ".ipynb"}

    stock, ours = courses
    assert "out.csv" in kept(stock) and kept(stock)["given.txt"] == b"changed by the notebook"
    assert kept(ours) == kept(stock)


def text_of(page: Path) -> str:
    """The feedback page's text (code is highlighted token by token)."""
    import html
    import re

    return html.unescape(re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8")))


@pytest.mark.slow
def test_hidden_tests_are_withheld_when_there_is_no_due_date_and_the_summary_says_so(courses, accounts):
    from nbgrader.apps import NbGraderAPI

    from medai.nbgrader_adapter.config import load_course_config

    summary, results, _ = graded(courses, accounts, "hidden")
    solved_ = results["solved"]
    assert solved_.status == Status.GRADED and solved_.score == 2
    assert solved_.feedback and solved_.feedback_hidden_tests is True
    stock, ours = courses
    config = load_course_config(stock)
    config.CourseDirectory.root = str(stock)
    assert NbGraderAPI(config=config).generate_feedback("hidden", "solved", force=True)["success"]
    stock_html, ours_html = (text_of(root / "feedback" / "solved" / "hidden" / "hidden.html") for root in courses)
    assert "the hidden one" in stock_html  # stock's feedback shows them: what leaked
    assert "the hidden one" not in ours_html and "twice(2) == 4" in ours_html
    assert any("hidden tests withheld from feedback: hidden has no due date" in line for line in summary.lines())


@pytest.mark.slow
def test_a_renamed_notebook_is_named_in_the_reason_and_the_counts_agree(courses, accounts):
    summary, results, ok = graded(courses, accounts, "renamed")
    assert not ok["renamer"] and ok["honest"]
    renamer = results["renamer"]
    assert renamer.status == Status.FAILED
    assert renamer.reason == "notebook 'QR (1).ipynb' is not part of assignment renamed (expected QR.ipynb)"
    assert "generate_assignment" not in "\n".join(summary.lines())
    first, counts = summary.lines()[:2]
    assert first.startswith("renamed: 2 processed this run, 0 unchanged since last run"), first
    assert counts.startswith("  graded 1, cell timeout 0, failed 1,"), counts


def test_a_course_yaml_is_used_only_for_the_course_directory_it_belongs_to(tmp_path):
    yaml = tmp_path / "course" / "course.yaml"
    yaml.parent.mkdir()
    yaml.write_text("course: {}\n")
    deployment, other = tmp_path / "srv" / "course", tmp_path / "elsewhere"
    path, note = course_file_for(course_dir=other, deployment_course_dir=deployment, course_file=yaml, named_by=None)
    assert path is None and "belongs to the deployment's course directory" in note and str(other) in note
    path, note = course_file_for(course_dir=deployment, deployment_course_dir=deployment, course_file=yaml,
                                 named_by=None)
    assert path == yaml and note == f"course.yaml: {yaml} (the deployment's, for its course directory {deployment})"
    path, note = course_file_for(course_dir=other, deployment_course_dir=deployment, course_file=yaml,
                                 named_by="--course")
    assert path == yaml and note.endswith("(named by --course)")
    assert course_file_for(course_dir=other, deployment_course_dir=deployment, course_file=tmp_path / "none.yaml",
                           named_by=None) == (None, "")


def late_penalty(root: Path, assignment: str) -> float:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", "qr") as gb:
        return float(gb.find_submission(assignment, "late").late_submission_penalty or 0)


@pytest.mark.slow
def test_a_stray_course_yaml_in_the_working_directory_is_not_used(tmp_path, accounts):
    """The repository's course/course.yaml lists c02-diagnostic-metrics, due 2026-09-21, with a late policy;
    an unrelated course directory with an assignment of that name, graded from the repository, must get stock
    nbgrader's scores (no due date, no penalty) and one note saying which course.yaml was not used and why."""
    assignment = "c02-diagnostic-metrics"
    original = make_course(tmp_path / "original", {assignment: {"QR.ipynb": SOURCE["renamed"]["QR.ipynb"]}},
                           course_id="qr")
    submit(original, assignment, "late", {"QR.ipynb": solved(original, assignment, "QR.ipynb", answer=TWICE)},
           timestamp="2026-10-20 10:00:00.000000 UTC")
    stock, ours = tmp_path / "stock", tmp_path / "medai"
    shutil.copytree(original, stock)
    shutil.copytree(original, ours)
    stock_autograde(stock, assignment, ["late"])
    env = {k: v for k, v in os.environ.items() if k not in ("MEDAI_COURSE", "MEDAI_COURSE_DIR")}
    env.update(MEDAI_ROOT=str(tmp_path / "deployment"),
               PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    args = [MEDAI, "grade", assignment, "--course-dir", str(ours), "--workers", "1", "--no-feedback", "--quiet"]
    if accounts is None:
        args.append("--unsafe")
    else:
        env["MEDAI_SANDBOX_PREFIX"] = accounts.prefix
    done = subprocess.run(args, env=env, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert gradebook_scores(ours, assignment, ["late"]) == gradebook_scores(stock, assignment, ["late"])
    assert late_penalty(ours, assignment) == late_penalty(stock, assignment) == 0
    notes = [line for line in done.stdout.splitlines() if "course.yaml" in line]
    assert len(notes) == 1 and "belongs to the deployment's course directory" in notes[0], done.stdout
    assert "does not list" not in done.stdout and "late late" not in done.stdout


def test_written_files_are_kept_inside_the_autograded_directory_only(tmp_path):
    from medai.grader.written_files import Written, apply, changes

    work = tmp_path / "work"
    (work / "sub").mkdir(parents=True)
    (work / "given.txt").write_text("as given")
    (work / "same.txt").write_text("same")
    (work / "sub" / "new.csv").write_text("a,b")
    (work / "p1.ipynb").write_text("{}")
    (work / "link").symlink_to("/etc/passwd")
    found = changes(str(work), {"given.txt": b"before", "same.txt": b"same", "gone.txt": b"x", "p1.ipynb": b"{}"},
                    skip=frozenset({"p1.ipynb"}))
    assert found.files == {"given.txt": b"as given", "sub/new.csv": b"a,b"} and found.removed == ["gone.txt"]
    assert changes(str(work), {}, limit=4).dropped  # over the limit: listed, not kept
    folder = tmp_path / "autograded"
    folder.mkdir()
    (folder / "gone.txt").write_text("x")
    apply(folder, Written(files={**found.files, "../escape.txt": b"no", "/tmp/abs.txt": b"no"}, removed=found.removed))
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) == \
        ["given.txt", "sub/new.csv"]
    assert not (tmp_path / "escape.txt").exists()
