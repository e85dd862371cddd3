"""Standby slots (medai.grader.standby): the next submission's kernel is started before its go, and a submission
waiting CPU-idle in a cell lends its slot to the next one; scores stay those of stock `nbgrader autograde`.

Orderings are read from the executor's own event log (time.time() of each go, idle and done) and the results'
began/ended stamps; no test asserts a duration. Sandboxed (own accounts) when root, else --unsafe.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import nbformat
import pytest
from traitlets.config import Config

from medai.grader.context import GradeOptions
from medai.grader.execute import ExecJob
from medai.grader.executors import LocalExecutor
from medai.grader.kernels import zygote_for
from medai.grader.pipeline import grade
from medai.grader.results import Status
from medai.grader.sandbox import ExecSpec, account_pids, ids
from medai.grader.target import load_target
from tests.grade_support import gradebook_scores, make_course, module_accounts, stock_autograde, submit

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")]

accounts = pytest.fixture(scope="module", name="accounts")(module_accounts)

TIMEOUT = 6  # nbgrader's cell timeout in these tests (Execute.timeout)
ASLEEP = "import time\ntime.sleep(600)\ndef foo():\n    return True"  # waits, CPU-idle, into the cell timeout
HONEST = "def foo():\n    return True"
BUSY = "import time\nt = time.time()\nwhile time.time() - t < 4:\n    pass\ndef foo():\n    return True"


def notebook(answer: str | None) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    solution = "### BEGIN SOLUTION\n" + HONEST + "\n### END SOLUTION" if answer is None else answer
    nb.cells = [
        nbformat.v4.new_code_cell(solution, metadata={"nbgrader": {
            "grade": False, "grade_id": "answer", "locked": False, "solution": True, "schema_version": 3}}),
        nbformat.v4.new_code_cell("assert foo()", metadata={"nbgrader": {
            "grade": True, "grade_id": "check", "locked": True, "solution": False, "points": 1,
            "schema_version": 3}}),
    ]
    return nb


def spec_for(accounts) -> ExecSpec:
    if accounts is None:
        return ExecSpec(enabled=False, client_uid=os.getuid(), client_gid=os.getgid(), threads=1)
    return ExecSpec(enabled=True, client_uid=os.getuid(), client_gid=os.getgid(), threads=1,
                    prefix=accounts.prefix)


def job(student: str, answer: str) -> ExecJob:
    config = Config()
    config.Execute.timeout = TIMEOUT
    return ExecJob(assignment="wait", student=student, notebooks=["p1.ipynb"], config=config, wall_seconds=120,
                   files={"p1.ipynb": nbformat.writes(notebook(answer)).encode()})


def slot_processes(accounts, slots) -> dict[str, list[int]]:
    if accounts is None:
        return {}
    return {slot: account_pids(ids(slot)[0]) for slot in slots}


def drain(executor, until=lambda: False) -> list:
    results = []
    while executor.busy and not until():
        results += executor.wait(timeout=0.2)
    return results


def test_a_submission_waiting_in_a_cell_timeout_lends_its_slot_to_the_next(accounts):
    zygote = zygote_for(spec_for(accounts), count=2)
    try:
        executor = LocalExecutor(zygote=zygote, running=1, prestart=True).start()
        try:
            executor.submit(job("asleep", ASLEEP))
            results = drain(executor, until=lambda: executor.events)  # asleep has its go
            executor.submit(job("honest", HONEST))
            results = {r.student: r for r in results + drain(executor)}
        finally:
            executor.close()
        events = [(event, student) for _, event, student, _ in sorted(executor.events)]
    finally:
        zygote.stop()
    asleep, honest = results["asleep"], results["honest"]
    # one execution at a time was allowed, yet the honest one ran inside the sleeping one's cell timeout
    assert events.index(("go", "asleep")) < events.index(("idle", "asleep")) < events.index(("go", "honest"))
    assert events.index(("done", "honest")) < events.index(("done", "asleep"))
    assert asleep.began < honest.began < honest.ended < asleep.ended
    assert asleep.waited > 0 and honest.waited == 0
    assert asleep.notebooks[0].cell_timeouts and not honest.notebooks[0].cell_timeouts
    assert honest.prestarted  # its kernel was up before its go
    assert slot_processes(accounts, zygote.slots) == {slot: [] for slot in zygote.slots} or accounts is None


def test_a_computing_submission_keeps_its_slot_and_an_unused_prestart_leaves_nothing(accounts):
    zygote = zygote_for(spec_for(accounts), count=2)
    try:
        executor = LocalExecutor(zygote=zygote, running=1, prestart=True).start()
        executor.submit(job("busy", BUSY))
        drain(executor, until=lambda: executor.events)  # busy has its go
        executor.submit(job("next", HONEST))
        drain(executor, until=lambda: any(w.phase == "ready" and w.job.student == "next" for w in executor.workers))
        spare = next(w.slot for w in executor.workers if w.job is not None and w.job.student == "next")
        before = slot_processes(accounts, [spare])
        executor.close()  # "next" is still waiting for its go: closed unused
        events = [(event, student) for _, event, student, _ in sorted(executor.events)]
    finally:
        zygote.stop()
    after = slot_processes(accounts, zygote.slots)  # the run is over: its zygote reaped every slot
    assert ("go", "busy") in events and ("go", "next") not in events and ("idle", "busy") not in events
    if accounts is not None:
        assert len(before[spare]) >= 2  # the job process and its pre-started kernel were running
        assert after == {slot: [] for slot in zygote.slots}


def course(root: Path) -> Path:
    make_course(root, {"wait": {"p1.ipynb": notebook(None)}}, extra_config=f"c.Execute.timeout = {TIMEOUT}\n")
    for student, answer in [("a-asleep", ASLEEP), ("b-honest", HONEST), ("c-busy", BUSY), ("d-honest", HONEST),
                            ("e-asleep", ASLEEP), ("f-honest", HONEST)]:
        submit(root, "wait", student, {"p1.ipynb": notebook(answer)})
    return root


def test_standby_scores_equal_stock_nbgrader_and_leave_no_process(tmp_path, accounts):
    original = course(tmp_path / "original")
    stock, ours = tmp_path / "stock", tmp_path / "medai"
    shutil.copytree(original, stock)
    shutil.copytree(original, ours)
    students = sorted(p.name for p in (stock / "submitted").iterdir())
    ok = stock_autograde(stock, "wait", students)
    options = (GradeOptions(workers=2, unsafe=True, progress=False, feedback=False, standby=True) if accounts is None
               else GradeOptions(workers=2, progress=False, feedback=False, sandbox_prefix=accounts.prefix, standby=True))
    summary = grade(target=load_target(course_dir=ours, assignment="wait", course=None), options=options)
    expected = gradebook_scores(stock, "wait", students)
    assert gradebook_scores(ours, "wait", students) == expected
    assert {s: v[("p1", "check")][0] for s, v in expected.items()} == {
        "a-asleep": 0, "b-honest": 1, "c-busy": 1, "d-honest": 1, "e-asleep": 0, "f-honest": 1}
    results = {r.student: r for r in summary.results}
    assert all(results[s].status.scored == ok[s] for s in students)
    assert sorted(r.student for r in summary.results if r.status == Status.CELL_TIMEOUT) == ["a-asleep", "e-asleep"]
    if accounts is not None:
        # the zygote stopped with the run: no process of any slot account is left
        assert {name: account_pids(ids(name)[0]) for name in accounts.names} == {n: [] for n in accounts.names}
