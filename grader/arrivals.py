"""Submissions coming into a run: collected from the exchange before it starts and, with grade on submit, while
it runs.

A run of `medai grade` collects once and grades what is there. Grade on submit (medai.grader.on_submit) hands the
run an intake as well: an object with `poll() -> list[str]` (students whose new submissions were queued since the
last poll), `done(student)` (that student's requests are settled) and `linger` (seconds the run stays open after it
falls idle). The run then takes in new students while it grades, its kernels already warm, instead of the next
submission waiting for the run to end and a new one to start. A student who submits again while their previous
submission is still executing is collected and graded once that one is recorded, never both at once.
"""
from __future__ import annotations

import collections
import time
from pathlib import Path

from medai.grader.results import Summary
from medai.grader.state import GradeState
from medai.grader.target import Target

POLL_SECONDS = 1.0  # how often a run asks its intake for new students


def submitted_students(target: Target) -> list[str]:
    pattern = Path(target.coursedir().format_path("submitted", "*", target.assignment))
    return sorted(p.parent.name for p in pattern.parent.parent.glob(f"*/{pattern.name}") if p.is_dir())


def no_submission_note(students: list[str]) -> str:
    return f"no submission (yet) from: {', '.join(students)}"


def has_submission(target: Target, student: str) -> bool:
    return Path(target.coursedir().format_path("submitted", student, target.assignment)).is_dir()


def collect_into(target: Target, summary: Summary, *, student: str = "") -> int:
    """Collect from the exchange (all of the assignment, or one student's), untrusted folders checked
    (medai.nbgrader_adapter.collect), into `summary`: a folder rejected for the first time needs a person (the run's
    exit status says so), one reported before is only counted. Returns how many submissions were collected."""
    from medai.nbgrader_adapter.collect import collect
    from medai.nbgrader_adapter.config import exchange_root

    inbound = exchange_root(target.config) / target.course_id / "inbound"
    if not inbound.is_dir():
        return 0
    report = collect(coursedir=target.coursedir(), config=target.config, assignment=target.assignment,
                     student=student)
    state = GradeState(target.course_dir, target.assignment)
    for received in report.collected:
        state.save_receipt(received.student, received.receipt())
    seen = state.rejected_before(report.rejected)
    new = [r for r in report.rejected if r[0] not in seen and r not in summary.rejected]
    summary.rejected += new
    summary.notes += report.details() if student else [report.headline(), *report.details()]
    if not student and len(report.rejected) > len(new):
        summary.notes.append(f"{len(report.rejected) - len(new)} folder(s) in the exchange were "
                             "rejected before and still are (see an earlier run)")
    return len(report.collected)


class Arrivals:
    """A run's side of an intake: what to collect and queue for grading, and when the run may end."""

    def __init__(self, target: Target, summary: Summary, intake, *, collect: bool):
        self.target, self.summary, self.intake, self.collect = target, summary, intake, collect
        self.waiting: set[str] = set()  # arrived again while in flight: collected and graded after
        self.collected = 0
        self.last_poll = 0.0
        self.last_activity = time.monotonic()

    def take(self, pending: collections.deque, inflight: dict) -> int:
        """Ask the intake (at most every POLL_SECONDS); queue its new students. Returns how many were queued."""
        if self.intake is None or time.monotonic() - self.last_poll < POLL_SECONDS:
            return 0
        self.last_poll = time.monotonic()
        queued = 0
        for student in dict.fromkeys(self.intake.poll()):
            if student in inflight:
                self.waiting.add(student)
            else:
                queued += self._queue(student, pending)
        return queued

    def finished(self, student: str, pending: collections.deque) -> int:
        """A student's submission is recorded: grade their newer one if it came meanwhile, else settle them."""
        if self.intake is None:
            return 0
        self.last_activity = time.monotonic()
        if student in self.waiting:
            self.waiting.discard(student)
            return self._queue(student, pending)
        self.intake.done(student)
        return 0

    def _queue(self, student: str, pending: collections.deque) -> int:
        if self.collect:
            self.collected += collect_into(self.target, self.summary, student=student)
        if student in pending:
            return 0  # not started yet: it grades what was just collected
        if not has_submission(self.target, student):
            self.summary.notes.append(no_submission_note([student]))
            self.intake.done(student)
            return 0
        pending.append(student)
        self.last_activity = time.monotonic()
        return 1

    def lingering(self) -> bool:
        """Whether a run with nothing left to do stays open for new arrivals: until its intake's `linger` seconds
        have passed since the last student was queued or finished."""
        return self.intake is not None and time.monotonic() - self.last_activity < self.intake.linger

    def close(self, error: BaseException | None = None) -> None:
        """The run ended (`error`: what stopped it): the intake settles what it still holds."""
        if self.collected:
            self.summary.notes.append(f"collected while grading: {self.collected} more submission(s)")
        if self.intake is not None:
            self.intake.close(error)
