"""The self-check log on a real deployment (`medai up`, students' servers as their own Unix accounts): a check
run in a student's own kernel lands under their name in a folder only the grader account can touch; another
student can neither read, edit nor delete it, nor record in their name through the service; the student
deleting their copy of the assignment (and trying to delete the log) loses nothing; `medai report selfchecks`
counts it."""
from __future__ import annotations

import json
import os
import pwd
import shutil
import stat

import pytest

from tests.conftest import REPO
from tests.deployment import logged_in, running
from tests.test_security_storage import run_in_kernel

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="users' servers run as their own Unix accounts: needs root"),
]
C02 = REPO / "assignments" / "c02-diagnostic-metrics"
GRADER = "medai-grader"

CHECK = '''
import os, sys
os.chdir("c02-diagnostic-metrics"); sys.path.insert(0, os.getcwd())
from checks import q1
def confusion_counts(y_true, y_pred):
    pairs = list(zip(y_true, y_pred))
    return {"tp": pairs.count((1, 1)), "fp": pairs.count((1, 0)), "fn": pairs.count((0, 1)), "tn": pairs.count((0, 0))}
q1.check()
q1.hint()
from medai import selfcheck_record
print("flushed", selfcheck_record.flush(30))
'''

MEDDLE = '''
import os
from medai import selfcheck_record
log = {log!r}
def attempt(name, fn):
    try:
        fn()
        print(name, "DONE")
    except OSError as err:
        print(name, type(err).__name__)
attempt("read", lambda: open(os.path.join(log, {victim!r} + ".jsonl")).read())
attempt("append", lambda: open(os.path.join(log, {victim!r} + ".jsonl"), "a").write("{{}}\\n"))
attempt("delete", lambda: os.unlink(os.path.join(log, {victim!r} + ".jsonl")))
attempt("create", lambda: open(os.path.join(log, "forged.jsonl"), "w").write("{{}}\\n"))
attempt("list", lambda: os.listdir(log))
# through the service, in the victim's name: the service takes the name from the token, not the body
selfcheck_record.record(student={victim!r}, assignment="c02-diagnostic-metrics", question="q1", action="check",
                        status="pass", failed="", message="")
print("flushed", selfcheck_record.flush(30))
'''


@pytest.fixture(scope="module")
def hub():
    with running() as d:
        yield d


def give(hub, name: str) -> None:
    """The student's fetched copy of c02: checks.py and its catalogue, theirs."""
    account = pwd.getpwnam(name)
    work = hub.root / "home" / name / "c02-diagnostic-metrics"
    shutil.copytree(C02, work, ignore=shutil.ignore_patterns("*.ipynb", "__pycache__"))
    for path in [work, *work.rglob("*")]:
        os.chown(path, account.pw_uid, account.pw_gid)


def records(hub) -> list[dict]:
    return [json.loads(line) for p in sorted((hub.root / "course" / "selfchecks").glob("*.jsonl"))
            for line in p.read_text().splitlines()]


def test_records_are_the_students_own_and_no_student_can_touch_them(hub):
    med1, med2 = logged_in(hub, "med1"), logged_in(hub, "med2")
    for user in (med1, med2):
        user.spawn()
    give(hub, med1.name)
    out = run_in_kernel(med1, CHECK)
    assert out.splitlines()[0].startswith("✓ Q1") and "flushed True" in out, out
    log = hub.root / "course" / "selfchecks"
    mine = log / f"{med1.name}.jsonl"
    assert pwd.getpwuid(log.stat().st_uid).pw_name == GRADER and stat.S_IMODE(log.stat().st_mode) == 0o700
    assert pwd.getpwuid(mine.stat().st_uid).pw_name == GRADER and stat.S_IMODE(mine.stat().st_mode) == 0o600
    got = [(r["student"], r["question"], r["action"], r["status"]) for r in records(hub)]
    assert got == [(med1.name, "q1", "check", "pass"), (med1.name, "q1", "hint", None)]
    before = mine.read_bytes()

    meddled = run_in_kernel(med2, MEDDLE.format(log=str(log), victim=med1.name))
    for attempt in ("read", "append", "delete", "create", "list"):
        assert f"{attempt} PermissionError" in meddled, meddled
    assert "flushed True" in meddled
    assert mine.read_bytes() == before and sorted(p.name for p in log.iterdir()) == [
        f"{med1.name}.jsonl", f"{med2.name}.jsonl"]
    theirs = [r for r in records(hub) if r["student"] == med2.name]
    assert [(r["question"], r["status"]) for r in theirs] == [("q1", "pass")]  # recorded as med2, not med1

    # med1 deletes their copy, and tries their own log too: nothing recorded is lost
    own = run_in_kernel(med1, MEDDLE.format(log=str(log), victim=med1.name).split("# through")[0]
                        + 'import shutil; shutil.rmtree("c02-diagnostic-metrics"); print("copy deleted")')
    assert "delete PermissionError" in own and "append PermissionError" in own and "copy deleted" in own
    assert not (hub.root / "home" / med1.name / "c02-diagnostic-metrics").exists()
    assert mine.read_bytes() == before

    report = hub.medai("report", "selfchecks", "c02-diagnostic-metrics", "--format", "json")
    summary = json.loads(report.stdout)
    q1 = summary["questions"][0]
    assert (summary["students"], q1["question"], q1["tried"], q1["passed"], q1["hints"]) == (2, "q1", 2, 2, 1)
