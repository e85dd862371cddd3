"""Issue 12, findings 2, 3, 4, 6 and 7: what students plant in the exchange's inbound folder, performed for real.

Real Unix accounts (students, a grader), a real exchange (inbound 2733 as the hub lays it out), attacks written
by the attacking student's own account (`runuser`), then the real pipeline (`medai grade`'s collect -> sandboxed
grading -> gradebook) or grade on submit. Each test fails if its attack works again.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

from medai.course.layout import Layout
from medai.errors import UserError
from medai.grader.context import GradeOptions
from medai.grader.pipeline import grade
from medai.grader.target import load_target
from tests.grade_support import chown_tree, make_account, make_course, remove_account, tag

pytestmark = [pytest.mark.slow, pytest.mark.skipif(os.geteuid() != 0, reason="needs root: real Unix accounts"),
              pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning"),
              pytest.mark.filterwarnings("ignore:Passing unrecognized arguments:DeprecationWarning")]

SOLUTION_TEXT = "SOLUTION-ONLY-TEXT"
HIDDEN_TEXT = "HIDDEN-TEST-TEXT"


def notebook(answer: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    nb.cells = [
        nbformat.v4.new_code_cell(answer, metadata={"nbgrader": {
            "grade": False, "grade_id": "answer", "locked": False, "solution": True, "schema_version": 3}}),
        nbformat.v4.new_code_cell(f"### BEGIN HIDDEN TESTS\nmarker = '{HIDDEN_TEXT}'\n### END HIDDEN TESTS\n"
                                  "assert x == 42", metadata={"nbgrader": {
                                      "grade": True, "grade_id": "test", "locked": True, "points": 2,
                                      "solution": False, "schema_version": 3}}),
    ]
    return nb


def source() -> nbformat.NotebookNode:
    return notebook(f"### BEGIN SOLUTION\nx = 42  # {SOLUTION_TEXT}\n### END SOLUTION")


def stamp(when: dt.datetime) -> str:
    return when.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC")


class Course:
    """A course directory owned by a grader account, an exchange laid out as the hub lays it, three students."""

    def __init__(self):
        self.base = Path(tempfile.mkdtemp(prefix="medai-xsec-", dir="/tmp"))
        self.base.chmod(0o755)
        t = tag()
        self.grader_name = f"x{t}grader"
        self.names = {k: f"x{t}{k}" for k in ("alice", "bob", "carol")}
        self.grader = make_account(self.grader_name, self.base / "home" / "grader")
        self.users = {k: make_account(n, self.base / "home" / k) for k, n in self.names.items()}
        self.exchange = self.base / "exchange"
        self.exchange.mkdir()
        self.exchange.chmod(0o1777)
        self.course = make_course(self.base / "course", {"hw": {"hw.ipynb": source()}},
                                  extra_config=f"c.Exchange.root = {str(self.exchange)!r}\n")
        self.inbound = self.exchange / "peer" / "inbound"
        self.inbound.mkdir(parents=True)
        for d in (self.exchange / "peer", self.exchange / "peer" / "feedback"):
            d.mkdir(exist_ok=True)
            os.chown(d, self.grader.pw_uid, self.grader.pw_gid)
        self.inbound.chmod(0o2733)
        os.chown(self.inbound, self.grader.pw_uid, self.grader.pw_gid)
        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{self.course / 'gradebook.db'}", "peer") as gb:  # the roster
            for name in self.names.values():
                gb.update_or_create_student(name, first_name=name, last_name="Test", email=f"{name}@x.example")
            gb.update_or_create_assignment("hw", duedate=dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
                                           + dt.timedelta(days=7))
        chown_tree(self.course, self.grader.pw_uid, self.grader.pw_gid)
        self.course.chmod(0o700)

    def set_due(self, when: dt.datetime) -> None:
        from nbgrader.api import Gradebook

        def write():
            with Gradebook(f"sqlite:///{self.course / 'gradebook.db'}", "peer") as gb:
                gb.update_or_create_assignment("hw", duedate=when.astimezone(dt.timezone.utc).replace(tzinfo=None))

        from medai.privileges import run_as_owner_of

        run_as_owner_of(self.course, write)

    def as_student(self, who: str, code: str) -> None:
        """Run Python as that student's own account, in the inbound folder (their rights, not root's)."""
        proc = subprocess.run(["runuser", "-u", self.names[who], "--", sys.executable, "-c", code],
                              cwd=self.inbound, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr

    def submit(self, who: str, *, answer: str = "x = 42", claimed: dt.datetime | None = None, as_name: str = "",
               folder: str = "", extra: str = "") -> str:
        """What nbgrader's submit writes, written by `who`: <as_name>+hw+<claimed>+<random>/hw.ipynb, timestamp.txt."""
        claimed = claimed or dt.datetime.now(dt.timezone.utc)
        name = folder or f"{as_name or self.names[who]}+hw+{stamp(claimed)}+{tag()}"
        nb_json = nbformat.writes(notebook(answer))
        self.as_student(who, f"""
import os
F = {name!r}
os.mkdir({name!r})
open(os.path.join({name!r}, 'hw.ipynb'), 'w').write({nb_json!r})
open(os.path.join({name!r}, 'timestamp.txt'), 'w').write({stamp(claimed)!r})
open(os.path.join({name!r}, 'submission_secret.txt'), 'w').write(os.urandom(16).hex())
{extra}""")
        return name

    def grade(self, accounts, **kw):
        target = load_target(course_dir=self.course, assignment="hw", course=None, layout=Layout(root=self.base))
        options = GradeOptions(workers=1, progress=False, sandbox_prefix=accounts.prefix, **kw)
        return grade(target=target, options=options)

    def submitted_tree(self) -> dict[str, str]:
        root = self.course / "submitted"
        return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(root.rglob("*")) if p.is_file()} if root.exists() else {}

    def remove(self) -> None:
        for name in [self.grader_name, *self.names.values()]:
            remove_account(name)
        shutil.rmtree(self.base, ignore_errors=True)


@pytest.fixture
def course():
    c = Course()
    yield c
    c.remove()


def leaked_anywhere(c: Course) -> list[str]:
    """Files graders or students could see that carry the source's solution or hidden tests, or the gradebook."""
    out = []
    for top in (c.course / "submitted", c.course / "autograded", c.course / "feedback", c.exchange / "peer" / "feedback"):
        for p in top.rglob("*") if top.exists() else []:
            if p.is_file() and not p.is_symlink():
                data = p.read_bytes()
                if SOLUTION_TEXT.encode() in data or data.startswith(b"SQLite format"):
                    out.append(str(p))
    return out


def test_links_and_special_files_planted_in_a_submission_are_rejected_and_nothing_leaks(course, accounts):
    c = course
    src = c.course / "source" / "hw" / "hw.ipynb"
    t0 = dt.datetime.now(dt.timezone.utc)
    bob = c.names["bob"]
    planted = {
        "file symlink to the source": f"os.symlink({str(src)!r}, os.path.join(F, 'solution.ipynb'))",
        "symlink over the notebook": f"os.remove(os.path.join(F, 'hw.ipynb')); os.symlink({str(src)!r}, "
                                     "os.path.join(F, 'hw.ipynb'))",
        "directory symlink to submitted/": f"os.symlink({str(c.course / 'submitted')!r}, os.path.join(F, 'others'))",
        "symlink to the gradebook in a subfolder": f"os.makedirs(os.path.join(F, 'data')); "
                                                   f"os.symlink({str(c.course / 'gradebook.db')!r}, "
                                                   "os.path.join(F, 'data', 'db.sqlite'))",
        "dangling symlink": "os.symlink('/nonexistent/x', os.path.join(F, 'x'))",
        "FIFO": "os.mkfifo(os.path.join(F, 'pipe'))",
        "socket": "import socket; s = socket.socket(socket.AF_UNIX); s.bind(os.path.join(F, 'sock'))",
        "hard link to a file of the student's elsewhere": "open('/tmp/' + F[-8:], 'w').write('x'); "
                                                          "os.link('/tmp/' + F[-8:], os.path.join(F, 'linked'))",
    }
    folders = {}
    for i, (label, code) in enumerate(planted.items()):
        when = t0 - dt.timedelta(minutes=len(planted) - i)
        name = f"{bob}+hw+{stamp(when)}+{tag()}"
        folders[label] = c.submit("bob", folder=name, claimed=when, extra=code)
    # a hard link to the gradebook and a device node: as an attacker on a machine without protected hard links
    # or with a device-capable mount could plant them (made by root here, then handed to bob)
    for label, make in (("hard link to the gradebook", lambda p: os.link(c.course / "gradebook.db", p / "gb.db")),
                        ("device node", lambda p: os.mknod(p / "null", stat.S_IFCHR | 0o666, os.makedev(1, 3)))):
        name = f"{bob}+hw+{stamp(t0 + dt.timedelta(seconds=len(folders)))}+{tag()}"
        folders[label] = c.submit("bob", folder=name)
        make(c.inbound / name)
    os.lchown(c.inbound / folders["device node"] / "null", c.users["bob"].pw_uid, -1)  # the link stays the grader's
    c.submit("carol")  # an honest one beside them
    summary = c.grade(accounts)
    rejected = dict(summary.rejected)
    for label, name in folders.items():
        assert name in rejected, f"{label}: collected, not rejected ({summary.lines()})"
    assert "symbolic link" in rejected[folders["file symlink to the source"]]
    assert "hard link" in rejected[folders["hard link to the gradebook"]]
    assert "not a regular file" in rejected[folders["FIFO"]]
    assert "not a regular file" in rejected[folders["device node"]]
    results = {r.student: r for r in summary.results}
    assert bob not in results and results[c.names["carol"]].score == 2
    assert summary.exit_code == 1 and any("rejected" in line for line in summary.lines())
    assert leaked_anywhere(c) == []
    again = c.grade(accounts)  # reported once; the next run only counts them
    assert again.rejected == [] and any("rejected before" in n for n in again.notes)


def test_a_submission_in_another_students_name_is_rejected(course, accounts):
    c = course
    c.submit("alice", answer="x = 42", claimed=dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5))
    forged = c.submit("bob", answer="x = 0", as_name=c.names["alice"])  # newer: nbgrader would take it
    summary = c.grade(accounts)
    reason = dict(summary.rejected)[forged]
    assert c.names["bob"] in reason and "not to the student" in reason
    (alice,) = summary.results
    assert alice.student == c.names["alice"] and alice.score == 2  # alice's own work, not bob's zero
    assert "x = 0" not in (c.course / "submitted" / c.names["alice"] / "hw" / "hw.ipynb").read_text()


def test_a_backdated_submission_is_graded_as_late_as_it_arrived(course, accounts):
    c = course
    now = dt.datetime.now(dt.timezone.utc)
    c.set_due(now - dt.timedelta(days=57))
    claimed = now - dt.timedelta(days=60)  # before the deadline, written 57 days after it
    c.submit("bob", claimed=claimed, extra="for d, _, fs in os.walk(F):\n"
             "    for f in fs + ['.']:\n        os.utime(os.path.join(d, f), (1e9, 1e9))  # and mtimes of 2001")
    c.submit("alice", claimed=now - dt.timedelta(days=58))  # backdated too, without the mtime trick
    summary = c.grade(accounts)
    results = {r.student: r for r in summary.results}
    for who in ("bob", "alice"):
        late = results[c.names[who]].late
        assert late is not None and late.seconds_late > 56 * 86400, (who, late)
        assert dt.datetime.fromisoformat(results[c.names[who]].timestamp) > now - dt.timedelta(minutes=5)
    assert any("graded as arrived" in n and c.names["bob"] in n for n in summary.notes), summary.notes


def test_an_honest_claim_is_kept(course, accounts):
    c = course
    claimed = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=20)  # the copy took a moment
    c.submit("carol", claimed=claimed)
    (result,) = c.grade(accounts).results
    assert abs(dt.datetime.fromisoformat(result.timestamp) - claimed) < dt.timedelta(seconds=1)


def test_folder_names_with_path_parts_never_touch_submitted(course, accounts):
    from medai.grader.on_submit import SETTLE_SECONDS, SubmitQueue, watch

    c = course
    c.submit("alice")
    c.grade(accounts)
    before = c.submitted_tree()
    assert before
    bob = c.names["bob"]
    now = stamp(dt.datetime.now(dt.timezone.utc))
    for name in (f"{bob}+..+{now}+x", f"{bob}+.+{now}+x", f"..+hw+{now}+x", f"{bob}+hw+..+x", f"{bob}+hw",
                 f".{bob}+hw+{now}+x", f"{bob}+hw+{now}+x+y+z", f"{bob}+hw..+{now}+x"):
        c.submit("bob", folder=name)
    lines = []
    options = GradeOptions(workers=1, progress=False, sandbox_prefix=accounts.prefix)
    make_target = lambda a: load_target(course_dir=c.course, assignment=a, course=None,  # noqa: E731
                                        layout=Layout(root=c.base))
    time.sleep(SETTLE_SECONDS)  # grade on submit takes a folder once it is complete (settled)
    watch(course_dir=c.course, make_target=make_target, options=options, inbound=c.inbound, every=0, rounds=1,
          log=lines.append)
    assert c.submitted_tree() == before, lines
    assert SubmitQueue(c.course).pending() == []
    log = "\n".join(lines)
    for name in (f"{bob}+..+{now}+x", f"..+hw+{now}+x", f"{bob}+hw+..+x", f"{bob}+hw..+{now}+x"):
        assert f"rejected {name}: " in log, log  # reported by grade on submit's own collection
    assert f"rejected {bob}+..+{now}+x: '..' is not a valid assignment id" in log
    c.grade(accounts, force=True)
    assert c.submitted_tree() == before
    for bad in ("..", ".", "../hw", "hw/../.."):
        with pytest.raises(UserError, match="not an assignment id"):
            load_target(course_dir=c.course, assignment=bad, course=None)


def test_an_oversized_folder_is_skipped_and_the_rest_collected(course, accounts):
    c = course
    c.submit("alice")
    big = c.submit("bob", extra="with open(os.path.join(F, 'big.bin'), 'wb') as f:\n"
                   "    f.truncate(150 * 1000 * 1000)")
    c.submit("carol")
    summary = c.grade(accounts)
    assert "larger than" in dict(summary.rejected)[big]
    assert sorted(r.student for r in summary.results) == sorted([c.names["alice"], c.names["carol"]])
    assert all(r.score == 2 for r in summary.results)


def test_returned_feedback_is_readable_by_its_student_only(course, accounts):
    c = course
    c.submit("alice")
    summary = c.grade(accounts, return_feedback=True)
    assert summary.results[0].feedback
    (released,) = list((c.exchange / "peer" / "feedback").glob("*.html"))
    assert stat.S_IMODE(released.stat().st_mode) & 0o007 == 0  # nothing for others
    read = {who: subprocess.run(["runuser", "-u", c.names[who], "--", "cat", str(released)],
                                capture_output=True).returncode for who in ("alice", "bob")}
    assert read == {"alice": 0, "bob": 1}, read
