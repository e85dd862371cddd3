"""Grade on submit: a submission that reaches the exchange is queued, collected, graded in the sandbox and its
feedback returned to the student at once; hidden-test results stay out of that feedback until the deadline,
and the first run after the deadline shows them. The queue survives a service that dies."""
from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import nbformat
import pytest

from medai.grader.context import GradeOptions
from medai.grader.on_submit import SETTLE_SECONDS, SETTLE_WITHOUT_SECRET, SubmitQueue, discover, drain, settled, watch
from medai.grader.pipeline import grade
from medai.grader.target import load_target
from medai.grader.feedback_language import feedback_translator
from medai.grader.visibility import WithholdHiddenTests, hidden_now
from tests.grade_support import make_course
from tests.test_grade_sandbox import source_notebook

ROOT = os.geteuid() == 0
NOW = dt.datetime(2026, 9, 10, 12, 0, tzinfo=dt.timezone.utc)


def test_hidden_test_policy():
    due = NOW + dt.timedelta(days=1)
    assert hidden_now("after-due", due, NOW) and not hidden_now("after-due", due, NOW + dt.timedelta(days=2))
    assert hidden_now("after-due", None, NOW)  # no due date known: withheld until one is set
    assert not hidden_now("always", due, NOW) and hidden_now("never", due, NOW + dt.timedelta(days=9))
    with pytest.raises(ValueError):
        hidden_now("sometimes", due, NOW)


def test_medai_feedback_withholds_hidden_tests_by_each_students_own_deadline():
    from medai.course import load_course
    from medai.course.model import Extension
    from medai.grader.nbgrader_ops import students_before_deadline
    from tests.conftest import COURSE_YAML

    course = load_course(COURSE_YAML)  # a fresh copy: its dates and extensions are changed below
    far = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=30)
    course.assignment("c02-diagnostic-metrics").due = far  # not due yet: everyone's hidden tests are withheld
    assert students_before_deadline(course, "c02-diagnostic-metrics", ["ann", "bob"]) == {"ann", "bob"}
    course.assignment("c02-diagnostic-metrics").due = dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc)  # past
    course.late_policy.extensions.append(Extension(student="bob", assignment="c02-diagnostic-metrics", until=far,
                                                   reason="medical certificate"))
    assert students_before_deadline(course, "c02-diagnostic-metrics", ["ann", "bob"]) == {"bob"}
    course.grading.hidden_tests = "always"
    assert students_before_deadline(course, "c02-diagnostic-metrics", ["ann", "bob"]) == set()


def test_queue_claims_once_and_takes_back_what_a_dead_service_claimed(tmp_path):
    queue = SubmitQueue(tmp_path)
    queue.put("hw", "ann")
    queue.put("hw", "bob")
    first = queue.claim()
    assert [r.student for _, r in first] == ["ann", "bob"] and queue.claim() == []
    assert SubmitQueue(tmp_path).requeue_claimed() == 2  # the service died holding them
    again = queue.claim()
    assert [r.student for _, r in again] == ["ann", "bob"]
    queue.done([p for p, _ in again])
    assert queue.pending() == [] and list(queue.claimed.iterdir()) == []


def test_a_submission_still_being_written_is_not_queued_until_it_is_complete(tmp_path):
    """nbgrader's submit copies the files, then writes timestamp.txt and submission_secret.txt: a folder caught
    between is not queued (grading it would grade part of a submission); once complete, it is, once."""
    inbound = tmp_path / "inbound"
    folder = inbound / "ann+hw+2026-09-20 10:00:00.000000 UTC+abc"
    folder.mkdir(parents=True)
    (folder / "hw.ipynb").write_text("{}")
    queue = SubmitQueue(tmp_path / "course")
    assert discover(queue, inbound) == 0 and not settled(folder)  # mid-copy: no secret yet
    assert not settled(folder, now=time.time() + SETTLE_SECONDS + 0.1)  # ... and it may yet arrive
    assert settled(folder, now=time.time() + SETTLE_WITHOUT_SECRET + 0.1)  # a writer that never writes one
    (folder / "submission_secret.txt").write_text("s")
    assert discover(queue, inbound) == 0  # just written: maybe still changing
    time.sleep(SETTLE_SECONDS + 0.1)
    assert discover(queue, inbound) == 1 and discover(queue, inbound) == 0
    assert [r.student for _, r in queue.claim()] == ["ann"]


def inbound_submission(exchange: Path, student: str, nb, when: str) -> None:
    folder = exchange / "peer" / "inbound" / f"{student}+hw+{when}+abc{student}"
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / "hw.ipynb")
    (folder / "timestamp.txt").write_text(when)
    (folder / "submission_secret.txt").write_text(f"secret-of-{student}-{when}")  # one per submission, as submit writes it




@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")
@pytest.mark.filterwarnings("ignore:Passing unrecognized arguments:DeprecationWarning")
def test_submission_is_graded_and_feedback_returned_with_hidden_tests_withheld_until_due(tmp_path, accounts):
    from nbgrader.api import Gradebook

    exchange = tmp_path / "exchange"
    exchange.mkdir()
    exchange.chmod(0o1777)
    course = make_course(tmp_path / "course", {"hw": {"hw.ipynb": source_notebook()}},
                         extra_config=f"c.Exchange.root = {str(exchange)!r}\n")
    future = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) + dt.timedelta(days=7)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "peer") as gb:
        gb.update_or_create_assignment("hw", duedate=future)
    inbound_submission(exchange, "ann", source_notebook(), "2026-09-20 10:00:00.000000 UTC")
    time.sleep(SETTLE_SECONDS)  # complete: taken by the next look

    options = GradeOptions(workers=1, unsafe=not ROOT, progress=False,
                           sandbox_prefix=accounts.prefix if accounts else "medai-sandbox")
    make_target = lambda a: load_target(course_dir=course, assignment=a, course=None)  # noqa: E731
    lines = []
    watch(course_dir=course, make_target=make_target, options=options, inbound=exchange / "peer" / "inbound",
          every=0, rounds=1, log=lines.append)
    result = load_state(course, "ann")
    assert result["status"] == "graded" and result["feedback_hidden_tests"] is True, lines
    html = (course / "feedback" / "ann" / "hw" / "hw.html").read_text()
    note = feedback_translator("ann").gettext(WithholdHiddenTests.note.default_value)  # in ann's language (Korean)
    assert "hidden-test-text" not in html and note in html and "숨은 테스트" in note
    returned = list((exchange / "peer" / "feedback").glob("*.html"))
    assert len(returned) == 1 and "hidden-test-text" not in returned[0].read_text()
    assert discover(SubmitQueue(course), exchange / "peer" / "inbound") == 0  # seen: not queued twice

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "peer") as gb:  # the deadline passes
        gb.update_or_create_assignment("hw", duedate=future - dt.timedelta(days=30))
    summary = grade(target=make_target("hw"), options=options)
    assert summary.skipped == ["ann"]  # not graded again, but its feedback now shows everything
    assert "hidden-test-text" in (course / "feedback" / "ann" / "hw" / "hw.html").read_text()
    assert load_state(course, "ann")["feedback_hidden_tests"] is False

    SubmitQueue(course).put("hw", "nobody")  # queued by the hub, but no submission arrived
    (summary,) = drain(course_dir=course, make_target=make_target, options=options, log=lines.append)
    assert summary.results == [] and any("no submission (yet) from: nobody" in n for n in summary.notes)
    assert SubmitQueue(course).pending() == []


def load_state(course: Path, student: str) -> dict:
    import json

    return json.loads((course / ".medai-grade" / "hw" / f"{student}.json").read_text())


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")
@pytest.mark.filterwarnings("ignore:Passing unrecognized arguments:DeprecationWarning")
def test_submissions_arriving_during_a_run_are_graded_in_it_and_a_resubmission_waits_for_the_first(
        tmp_path, accounts, monkeypatch):
    """While ann's first submission executes (a 6 s cell), bob submits and ann submits again: the same run grades
    bob, then ann's newer submission once her first is recorded; every request is settled, none left claimed."""
    from medai.grader import on_submit

    exchange = tmp_path / "exchange"
    exchange.mkdir()
    exchange.chmod(0o1777)
    course = make_course(tmp_path / "course", {"hw": {"hw.ipynb": source_notebook()}},
                         extra_config=f"c.Exchange.root = {str(exchange)!r}\n")
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "peer") as gb:  # the roster: who may submit
        for student in ("ann", "bob"):
            gb.update_or_create_student(student)
    inbound = exchange / "peer" / "inbound"
    slow = source_notebook()
    slow.cells.append(nbformat.v4.new_code_cell("import time\ntime.sleep(6)  # slow-first-submission"))
    inbound_submission(exchange, "ann", slow, "2026-09-20 10:00:00.000000 UTC")
    time.sleep(SETTLE_SECONDS)
    polls = []

    class Scripted(on_submit.Intake):
        def poll(self):
            polls.append(len(polls) + 1)
            if len(polls) == 2:  # ann's first submission is executing (its 6 s cell): two more arrive
                inbound_submission(exchange, "bob", source_notebook(), "2026-09-20 10:00:05.000000 UTC")
                inbound_submission(exchange, "ann", source_notebook(), "2026-09-20 10:00:06.000000 UTC")
            return super().poll()

    monkeypatch.setattr(on_submit, "Intake", Scripted)
    options = GradeOptions(workers=1, unsafe=not ROOT, progress=False,
                           sandbox_prefix=accounts.prefix if accounts else "medai-sandbox")
    make_target = lambda a: load_target(course_dir=course, assignment=a, course=None)  # noqa: E731
    discover(SubmitQueue(course), inbound)
    (summary,) = drain(course_dir=course, make_target=make_target, options=options, inbound=inbound, linger=0)

    assert [r.student for r in summary.results] == ["ann", "bob", "ann"], "\n".join(summary.notes)
    assert all(r.status.value == "graded" for r in summary.results), summary.lines()
    assert any("collected while grading: 2 more submission(s)" in n for n in summary.notes), summary.notes
    first, second = (r for r in summary.results if r.student == "ann")
    assert first.fingerprint != second.fingerprint and load_state(course, "ann")["fingerprint"] == second.fingerprint
    graded = (course / "autograded" / "ann" / "hw" / "hw.ipynb").read_text()
    assert "slow-first-submission" not in graded  # what is kept is her newer submission
    assert len(list((exchange / "peer" / "feedback").glob("*.html"))) == 3  # each graded submission's, returned
    queue = SubmitQueue(course)
    assert queue.pending() == [] and list(queue.claimed.iterdir()) == []
