"""Killing `medai grade` mid-batch and running it again loses nothing and duplicates nothing; summary and exit
code; a run stopped between execution and recording does not execute again; --force grades again."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from medai.grader import execute
from medai.grader.context import GradeOptions
from medai.grader.pipeline import grade
from medai.grader.results import Status
from medai.grader.target import load_target
from tests.grade_support import make_course, released, results_json, submit

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")]
MEDAI = str(Path(sys.executable).with_name("medai"))
STUDENTS = [f"s{i:02d}" for i in range(8)]


def source_notebook(seconds: float) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    nb.cells = [
        nbformat.v4.new_code_cell(f"import time\ntime.sleep({seconds})", metadata={"nbgrader": {
            "grade": False, "grade_id": "wait", "locked": True, "solution": False, "schema_version": 3}}),
        nbformat.v4.new_code_cell("def answer():\n    ### BEGIN SOLUTION\n    return 42\n    ### END SOLUTION",
                                  metadata={"nbgrader": {"grade": False, "grade_id": "answer", "locked": False,
                                                         "solution": True, "schema_version": 3}}),
        nbformat.v4.new_code_cell("assert answer() == 42", metadata={"nbgrader": {
            "grade": True, "grade_id": "test_answer", "locked": True, "points": 2, "solution": False,
            "schema_version": 3}}),
    ]
    return nb




def course(root: Path, seconds: float) -> Path:
    make_course(root, {"hw": {"hw.ipynb": source_notebook(seconds)}})
    for i, student in enumerate(STUDENTS):
        nb = nbformat.read(root / "source" / "hw" / "hw.ipynb", as_version=4) if i % 2 == 0 \
            else released(root, "hw", "hw.ipynb")
        submit(root, "hw", student, {"hw.ipynb": nb})
    return root


def gradebook_rows(root: Path) -> tuple[int, int, int]:
    import sqlite3

    con = sqlite3.connect(root / "gradebook.db")
    try:
        return tuple(con.execute(f"select count(*) from {t}").fetchone()[0]
                     for t in ("submitted_assignment", "submitted_notebook", "grade"))
    finally:
        con.close()


def test_killed_mid_batch_then_rerun_loses_and_duplicates_nothing(tmp_path, accounts):
    root = course(tmp_path / "course", seconds=1.5)
    env = {**os.environ, "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]}
    args = [MEDAI, "grade", "hw", "--course-dir", str(root), "--workers", "2", "--no-feedback"]
    if accounts is None:
        args.append("--unsafe")
    else:
        env["MEDAI_SANDBOX_PREFIX"] = accounts.prefix
    proc = subprocess.Popen(args, env=env, cwd=tmp_path, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(results_json(root, "hw")) < 2:
        assert proc.poll() is None, proc.stdout.read().decode()
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)  # medai grade, its writer, workers and zygote: its own session
    proc.wait()
    first = {s: r for s, r in results_json(root, "hw").items() if r["recorded"]}
    assert 2 <= len(first) < len(STUDENTS)

    done = subprocess.run(args, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{len(first)} unchanged since last run" in done.stdout
    final = results_json(root, "hw")
    assert sorted(final) == STUDENTS and all(r["recorded"] and r["status"] == "graded" for r in final.values())
    for student, before in first.items():  # not graded twice
        assert final[student]["graded_at"] == before["graded_at"]
    for i, student in enumerate(STUDENTS):
        assert sum(c["score"] for nb in final[student]["notebooks"] for c in nb["cells"]) == (2 if i % 2 == 0 else 0)
    assert gradebook_rows(root) == (len(STUDENTS), len(STUDENTS), len(STUDENTS))  # one of each, no duplicates
    assert not (root / ".medai-grade" / "hw" / "executed").exists() or \
        not any((root / ".medai-grade" / "hw" / "executed").iterdir())


def options(accounts, **kw) -> GradeOptions:
    if accounts is None:
        return GradeOptions(workers=2, unsafe=True, progress=False, **kw)
    return GradeOptions(workers=2, progress=False, sandbox_prefix=accounts.prefix, **kw)


def test_executed_but_unrecorded_work_is_recorded_without_running_again(tmp_path, accounts, monkeypatch):
    root = course(tmp_path / "course", seconds=0)
    target = lambda: load_target(course_dir=root, assignment="hw", course=None)  # noqa: E731
    from medai.grader import record

    real = record.save_grades
    calls = []

    def crash_once(sub):
        if sub.student == "s02" and not calls:
            calls.append(sub.student)
            raise KeyboardInterrupt  # as if killed right after the execution was kept
        real(sub)

    monkeypatch.setattr(record, "STEPS", [record.keep_executed, crash_once, *record.STEPS[2:]])
    with pytest.raises(KeyboardInterrupt):
        grade(target=target(), options=options(accounts, feedback=False))
    assert (root / ".medai-grade" / "hw" / "executed" / "s02" / "hw.ipynb").is_file()

    log = tmp_path / "executed.txt"  # workers are forked from this process: they inherit the patch
    prepare = execute.Slot.prepare  # every job a worker executes is prepared first (its standby slot or not)

    def logged(self, job, **kw):
        with open(log, "a") as fh:
            fh.write(job.student + "\n")
        return prepare(self, job, **kw)

    monkeypatch.setattr(execute.Slot, "prepare", logged)
    summary = grade(target=target(), options=options(accounts, feedback=False))
    executed = log.read_text().split()
    assert "s02" not in executed and len(executed) == len(STUDENTS) - len(summary.skipped) - 1
    assert {r.student: r.status for r in summary.results}["s02"] == Status.GRADED
    assert results_json(root, "hw")["s02"]["notebooks"][0]["cells"][0]["score"] == 2
    assert summary.exit_code == 0

    again = grade(target=target(), options=options(accounts, feedback=False, force=True, students=("s00",)))
    assert [r.student for r in again.results] == ["s00"] and again.skipped == []


def test_summary_and_exit_code_say_what_needs_attention(tmp_path, accounts):
    root = course(tmp_path / "course", seconds=0)
    submit(root, "hw", "broken", {"hw.ipynb": b"not a notebook"})
    summary = grade(target=load_target(course_dir=root, assignment="hw", course=None),
                    options=options(accounts, feedback=True))
    text = "\n".join(summary.lines())
    assert summary.exit_code == 1 and summary.count(Status.INVALID) == 1
    assert "! broken: invalid: a notebook is not valid JSON" in text
    assert f"graded {len(STUDENTS)}, cell timeout 0, failed 0" in text
    assert (root / "feedback" / "s00" / "hw" / "hw.html").is_file()
    rerun = grade(target=load_target(course_dir=root, assignment="hw", course=None),
                  options=options(accounts, feedback=True))
    assert rerun.exit_code == 1 and len(rerun.skipped) == len(STUDENTS)  # the broken one is tried again


def test_a_second_run_on_the_same_course_waits_for_the_first(tmp_path):
    """One writer per course: a second run (grade-on-submit beside an instructor's `medai grade`) waits."""
    import threading

    from medai.grader.state import course_lock

    told, order = [], []
    with course_lock(tmp_path):
        second = threading.Thread(target=lambda: _hold(tmp_path, told, order))
        second.start()
        second.join(timeout=1.0)
        assert second.is_alive() and order == []  # blocked while the first holds the lock
        order.append("first done")
    second.join(timeout=10)
    assert order == ["first done", "second ran"]
    assert told and "waiting" in told[0]


def _hold(course_dir, told, order):
    from medai.grader.state import course_lock

    with course_lock(course_dir, on_wait=told.append):
        order.append("second ran")
