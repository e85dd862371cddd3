"""Instructors' operations over nbgrader's own API: generate, release, collect, feedback.

Each is idempotent and returns what it did. They run as the owner of the course directory (see
medai.privileges), because nbgrader refuses to write into exchange folders it does not own.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from medai.course import Course
from medai.course.layout import Layout
from medai.errors import UserError
from medai.privileges import run_as_owner_of


class NbgraderError(UserError):
    """nbgrader reported a failure; the message carries the end of its log."""


FAILED = "FAILED"


@dataclass(frozen=True)
class OpResult:
    """What one operation did to one assignment, e.g. ("ps1", "released", "2 notebooks")."""

    assignment: str
    action: str
    detail: str = ""
    attention: bool = False  # something a person must look at (e.g. a submission rejected from the exchange)

    def __str__(self) -> str:
        return f"{self.assignment}: {self.action}" + (f" ({self.detail})" if self.detail else "")


def _api(course: Course, layout: Layout, *, withhold_hidden_tests: bool = False):
    """nbgrader's API under the same configuration `medai grade` uses (medai.nbgrader_adapter.config)."""
    from medai.nbgrader_adapter.config import api, grader_config

    config = grader_config(course_dir=layout.course_dir, course=course, layout=layout,
                           db_url=layout.gradebook_override)
    if withhold_hidden_tests:
        from medai.grader.visibility import hide_hidden_tests

        hide_hidden_tests(config)
    return api(config)


def _check(result: dict, what: str) -> str:
    if not result.get("success"):
        log = (result.get("log") or "") + (result.get("error") or "")
        tail = "\n".join(log.strip().splitlines()[-15:])
        raise NbgraderError(f"{what} failed:\n{tail}")
    return result.get("log") or ""


def _known(course: Course, assignment_id: str):
    try:
        return course.assignment(assignment_id)
    except KeyError:
        known = ", ".join(a.id for a in course.assignments) or "none"
        raise UserError(f"unknown assignment {assignment_id!r} (course.yaml lists: {known})") from None


def _outbound(course: Course, layout: Layout, assignment_id: str) -> Path:
    return layout.exchange_dir / course.course.id / "outbound" / assignment_id


def _release(course: Course, layout: Layout, assignment_id: str) -> OpResult:
    from medai.nbgrader_adapter.gradebook import gradebook, sync_due_date

    item = _known(course, assignment_id)
    source = layout.course_dir / "source" / assignment_id
    if not source.is_dir():
        raise UserError(f"{assignment_id}: no source notebooks in {source}")
    api = _api(course, layout)
    with gradebook(api.coursedir.db_url) as gb:  # also once released: a due date changed in course.yaml
        moved = sync_due_date(gb, assignment_id, item.due)
    if _outbound(course, layout, assignment_id).exists():
        return OpResult(assignment_id, "already released", "due date set from course.yaml" if moved else "")
    _check(api.generate_assignment(assignment_id, force=True, create=True), f"generating {assignment_id}")
    _check(api.release_assignment(assignment_id), f"releasing {assignment_id}")
    notebooks = sorted(p.name for p in _outbound(course, layout, assignment_id).glob("*.ipynb"))
    return OpResult(assignment_id, "released", f"{len(notebooks)} notebook(s): {', '.join(notebooks)}")


def release(*, course: Course, layout: Layout, assignment_id: str) -> OpResult:
    """Generate the student version of one assignment and release it to the exchange (once)."""
    return run_as_owner_of(layout.course_dir, _release, course, layout, assignment_id)


def due_for_release(course: Course, now: dt.datetime) -> list[str]:
    return [a.id for a in course.assignments if a.release <= now]


def release_due(*, course: Course, layout: Layout, now: dt.datetime | None = None) -> list[OpResult]:
    """Release every assignment whose release date has passed; the others are reported as waiting. An
    assignment that fails is reported (action FAILED) and the others are still released."""
    now = now or dt.datetime.now(dt.timezone.utc)
    due = set(due_for_release(course, now))
    results = []
    for item in course.assignments:
        if item.id in due:
            try:
                results.append(release(course=course, layout=layout, assignment_id=item.id))
            except UserError as err:  # one broken assignment must not hold back the others
                results.append(OpResult(item.id, FAILED, str(err).splitlines()[0]))
        else:
            results.append(OpResult(item.id, "not due yet", f"releases {item.release.isoformat()}"))
    return results


def _collect(course: Course, layout: Layout, assignment_id: str) -> OpResult:
    from medai.nbgrader_adapter.collect import collect as collect_checked

    _known(course, assignment_id)
    api = _api(course, layout)
    report = collect_checked(coursedir=api.coursedir, config=api.config, assignment=assignment_id)
    total = len(api.get_submitted_students(assignment_id))
    detail = f"{total} submission(s), {len(report.collected)} new"
    more = report.lines()[1:]
    if more:
        detail += "\n  " + "\n  ".join(more)
    return OpResult(assignment_id, "collected", detail, attention=bool(report.rejected))


def collect(*, course: Course, layout: Layout, assignment_id: str) -> OpResult:
    """Copy students' submissions from the exchange into the course's submitted/ folder (newest wins)."""
    with _grading_lock(layout):
        return run_as_owner_of(layout.course_dir, _collect, course, layout, assignment_id)


def _feedback(course: Course, layout: Layout, assignment_id: str) -> OpResult:
    _known(course, assignment_id)
    api = _api(course, layout)
    graded = sorted(api.get_autograded_students(assignment_id))
    if not graded:
        return OpResult(assignment_id, "no feedback", "nothing graded yet")
    withheld = students_before_deadline(course, assignment_id, graded)
    if not withheld:
        _check(api.generate_feedback(assignment_id), f"generating feedback for {assignment_id}")
    else:  # course.yaml's grading.hidden_tests: per student, by their own deadline
        hiding = _api(course, layout, withhold_hidden_tests=True)
        for student in graded:
            _check((hiding if student in withheld else api).generate_feedback(assignment_id, student),
                   f"generating feedback for {assignment_id} ({student})")
    _check(api.release_feedback(assignment_id), f"returning feedback for {assignment_id}")
    note = f"; hidden tests withheld for {len(withheld)} until their deadline" if withheld else ""
    return OpResult(assignment_id, "feedback returned", f"{len(graded)} student(s){note}")


def students_before_deadline(course: Course, assignment_id: str, students: list[str]) -> set[str]:
    """The students whose feedback must withhold hidden tests now, by course.yaml's grading.hidden_tests."""
    from medai.course.late import deadline_for
    from medai.grader.visibility import hidden_now

    policy = course.grading.hidden_tests
    return {s for s in students
            if hidden_now(policy, deadline_for(course, assignment_id=assignment_id, student=s))}


def feedback(*, course: Course, layout: Layout, assignment_id: str) -> OpResult:
    """Generate feedback for every graded submission and return it to the students through the exchange; hidden
    tests are shown or withheld per student by course.yaml's grading policy, as `medai grade` does."""
    with _grading_lock(layout):
        return run_as_owner_of(layout.course_dir, _feedback, course, layout, assignment_id)


def _grading_lock(layout: Layout):
    """Collecting and feedback write where `medai grade` (and grade on submit) write: one at a time."""
    import sys

    from medai.grader.state import course_lock

    return course_lock(layout.course_dir, on_wait=lambda msg: print(msg, file=sys.stderr, flush=True))
