"""A student's real kernel runs an assignment's self-checks (c02's checks.py) with a hub token in its environment,
as in a user's server: every check and hint lands in the self-check log under the token's student, the summary
counts what the students were shown, deleting the student's copy keeps it all, course.yaml's switch writes
nothing, and a log that cannot be written (or a service that is gone) changes nothing the student sees.

The progress service runs in-process (tests/selfcheck_service.py); the hub, real accounts and a spawned server:
tests/test_selfcheck_record_live.py."""
from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import nbformat
import pytest
import yaml

from medai.progress.insight.selfcheck_log import read
from medai.progress.insight.selfcheck_use import selfcheck_use
from tests import progress_fixture as pf
from tests.conftest import REPO
from tests.selfcheck_service import serving

pytestmark = pytest.mark.slow
C02 = REPO / "assignments" / "c02-diagnostic-metrics"
ASSIGNMENT = C02.name

RIGHT_Q1 = '''
def confusion_counts(y_true, y_pred):
    pairs = list(zip(y_true, y_pred))
    return {"tp": pairs.count((1, 1)), "fp": pairs.count((0, 1)), "fn": pairs.count((1, 0)), "tn": pairs.count((0, 0))}
'''
METRICS = '''
def sensitivity(c): return c["tp"] / (c["tp"] + c["fn"])
def specificity(c): return c["tn"] / (c["tn"] + c["fp"])
def ppv(c): return c["tp"] / (c["tp"] + {ppv_denominator})
def npv(c): return c["tn"] / (c["tn"] + c["fn"])
'''
# med1: Q1 right; Q2 with PPV over tp + fn (not yet), a hint, fixed (pass); Q3 not written yet (not yet)
MED1 = ["from checks import q1, q2, q3", RIGHT_Q1 + "q1.check()",
        METRICS.format(ppv_denominator='c["fn"]') + "q2.check()", "q2.hint()",
        METRICS.format(ppv_denominator='c["fp"]') + "q2.check()", "q3.check()"]
# med2: Q1 still the placeholder (error), then a hint
MED2 = ["from checks import q1, q2, q3", "def confusion_counts(y_true, y_pred):\n    raise NotImplementedError()\n"
        "q1.check()", "q1.hint()"]


@pytest.fixture(scope="module")
def fx(tmp_path_factory):
    return pf.build(tmp_path_factory.mktemp("selfcheck-record"))


@pytest.fixture(scope="module")
def hub_api(fx):
    with serving(fx) as url:
        yield url


def run_as(fx, student: str, cells: list[str], *, api: str | None, token: str | None = None) -> list[str]:
    """Run `cells` in a fresh kernel in the student's copy of the assignment (checks.py and its catalogue), with
    the hub's variables a user's server gives its kernels; each cell's printed output."""
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    work = fx.layout.home_dir / student / ASSIGNMENT
    if not work.exists():
        work.mkdir(parents=True)
        shutil.copy(C02 / "checks.py", work)
        shutil.copytree(C02 / "locale", work / "locale")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTERHUB_")}
    env.update({"PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", "MEDAI_LANG": "en"})
    if api:
        env.update({"JUPYTERHUB_API_URL": api, "JUPYTERHUB_API_TOKEN": token or "", "JUPYTERHUB_USER": student})
    km = KernelManager(kernel_name="python3")
    km.start_kernel(env=env, cwd=str(work))
    try:
        NotebookClient(nb, km=km, timeout=60, allow_errors=False).execute()
    finally:
        km.shutdown_kernel(now=False)  # as a server does: the kernel exits, sending what it still holds
    return ["".join(o.get("text", "") for o in c.outputs) for c in nb.cells]


def logged(fx) -> dict[str, bytes]:
    folder = fx.layout.selfcheck_dir
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*"))} if folder.is_dir() else {}


def wait_for(fx, n: int) -> list:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and len(read(fx.layout.selfcheck_dir, assignment=ASSIGNMENT)) < n:
        time.sleep(0.1)
    return read(fx.layout.selfcheck_dir, assignment=ASSIGNMENT)


@pytest.fixture(scope="module")
def class_ran(fx, hub_api):
    """med1 and med2 work through the checks, each with their own token; what each was shown."""
    shown = {"med1": run_as(fx, "med1", MED1, api=hub_api, token="tok-med1"),
             "med2": run_as(fx, "med2", MED2, api=hub_api, token="tok-med2")}
    wait_for(fx, 8)
    return shown


def verdicts(output: str) -> list[str]:
    return [{"✓": "pass", "✗": "not yet", "!": "error"}[line[0]] for line in output.splitlines()
            if line[:1] in ("✓", "✗", "!")]


def test_every_check_and_hint_lands_under_the_tokens_student(fx, class_ran):
    assert verdicts("".join(class_ran["med1"])) == ["pass", "not yet", "pass", "not yet"]
    assert verdicts("".join(class_ran["med2"])) == ["error"]
    assert class_ran["med1"][3].startswith("Hint for Q2") and class_ran["med2"][2].startswith("Hint for Q1")
    got = read(fx.layout.selfcheck_dir, assignment=ASSIGNMENT)
    mine = {s: [(u.question, u.action, u.status) for u in got if u.student == s] for s in ("med1", "med2")}
    assert mine == {"med1": [("q1", "check", "pass"), ("q2", "check", "not yet"), ("q2", "hint", None),
                             ("q2", "check", "pass"), ("q3", "check", "not yet")],
                    "med2": [("q1", "check", "error"), ("q1", "hint", None)]}
    q2_fail = next(u for u in got if u.question == "q2" and u.status == "not yet")
    assert q2_fail.failed.startswith("_q2:") and "ppv" in q2_fail.message and q2_fail.title.startswith("Q2")
    assert q2_fail.message in class_ran["med1"][2]  # what the student was shown
    assert next(u for u in got if u.student == "med2" and u.action == "check").failed == "NotImplementedError"
    q3 = next(u for u in got if u.question == "q3")
    assert "`ppv_at_prevalence` is not defined yet" in q3.message and q3.failed.startswith("_q3:")


def test_the_summary_counts_what_the_students_were_shown(fx, class_ran):
    s = selfcheck_use(layout=fx.layout, assignment=ASSIGNMENT, students=["med1", "med2", "med3"])
    assert (s.students, s.records) == (2, 7)
    q = {x.question: x for x in s.questions}
    assert list(q) == ["q1", "q2", "q3"]
    assert (q["q1"].tried, q["q1"].passed, q["q1"].passing_now, q["q1"].hints) == (2, 1, 1, 1)
    assert q["q1"].top_failure.check == "NotImplementedError" and q["q1"].top_failure.status == "error"
    assert (q["q2"].tried, q["q2"].passed, q["q2"].passing_now, q["q2"].checks, q["q2"].hints) == (1, 1, 1, 2, 1)
    assert q["q2"].top_failure.students == 1 and q["q2"].top_failure.check.startswith("_q2:")
    assert (q["q3"].tried, q["q3"].passed, q["q3"].hints) == (1, 0, 0)


def test_deleting_the_students_copy_keeps_the_records(fx, class_ran):
    before = logged(fx)
    summary = selfcheck_use(layout=fx.layout, assignment=ASSIGNMENT)
    shutil.rmtree(fx.layout.home_dir / "med1")  # their notebook, checks.py, everything in their home
    assert not (fx.layout.home_dir / "med1").exists()
    assert logged(fx) == before and selfcheck_use(layout=fx.layout, assignment=ASSIGNMENT) == summary
    assert summary.questions[1].passed == 1


def test_recording_off_writes_nothing_and_the_checks_answer_the_same(fx, hub_api, class_ran):
    original = fx.course_file.read_text(encoding="utf-8")
    data = yaml.safe_load(original)
    data["selfchecks"] = {"record": False}
    before = logged(fx)
    try:
        fx.course_file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        shown = run_as(fx, "med2", MED2, api=hub_api, token="tok-med2")
    finally:
        fx.course_file.write_text(original, encoding="utf-8")
    assert shown == class_ran["med2"] and logged(fx) == before


def test_an_unwritable_log_or_no_service_changes_nothing_the_student_sees(fx, hub_api, class_ran):
    folder = fx.layout.selfcheck_dir
    aside = folder.with_name("selfchecks-aside")
    folder.rename(aside)
    folder.write_text("not a folder: the log cannot be written\n")  # root ignores modes; this stops root too
    try:
        started = time.monotonic()
        shown = run_as(fx, "med2", MED2, api=hub_api, token="tok-med2")
        assert shown == class_ran["med2"] and time.monotonic() - started < 30
        assert folder.read_text() == "not a folder: the log cannot be written\n"
    finally:
        folder.unlink()
        aside.rename(folder)
    before = logged(fx)
    gone = "http://127.0.0.1:9/hub/api"  # nothing listens on port 9 (discard)
    assert run_as(fx, "med2", MED2, api=gone, token="tok-med2") == class_ran["med2"]
    assert run_as(fx, "med2", MED2, api=None) == class_ran["med2"]  # no hub at all (a laptop, grading)
    assert logged(fx) == before
