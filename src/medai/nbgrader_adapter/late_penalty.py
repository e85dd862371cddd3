"""The late penalty, stored once in nbgrader's gradebook, on the submission's current total.

course.yaml's late policy (medai.course.late: the student's own deadline, grace, started days, cap) decides how
late a submission is; `store_late_penalty` turns that into points on what each notebook scores *now* (automatic,
manual and extra credit together) and writes it to nbgrader's `SubmittedNotebook.late_submission_penalty`.
It runs whenever that total can change: after autograding (medai's pipeline and the formgrader's button, through
medai.grader.late.StoreLatePenalty), after a hand grade is saved in the formgrader (medai.grader.formgrader_scores)
and before any feedback is generated. Everything a person reads (feedback, the formgrader, progress, reports,
LMS exports) reads the stored value back with `stored_penalties`; nothing computes its own.

Depends on nbgrader 0.9.6's ORM: SubmittedAssignment.timestamp (naive UTC), SubmittedNotebook.score (a deferred
column property) and late_submission_penalty (None: no penalty), Assignment.name, Student.id.
"""
from __future__ import annotations

from medai.course.late import LateDecision, lateness
from medai.course.model import Course
from medai.nbgrader_adapter.gradebook import utc


def late_decision(course: Course, *, assignment_id: str, student_id: str, timestamp) -> LateDecision | None:
    """course.yaml's decision on a submission handed in at `timestamp` (nbgrader's naive UTC, or aware); None
    when course.yaml does not know the assignment or there is no timestamp (nbgrader's penalty stays)."""
    if timestamp is None or assignment_id not in {a.id for a in course.assignments}:
        return None
    return lateness(course, assignment_id=assignment_id, student=student_id, submitted=utc(timestamp))


def store_late_penalty(gb, course: Course, *, assignment_id: str, student_id: str) -> float | None:
    """Compute the late penalty of this student's submission on its current total and store it, per notebook,
    in the gradebook (committed). Returns the submission's penalty in points, or None when course.yaml has no
    say (assignment not in it, no timestamp) and the gradebook is left as it is."""
    submission = gb.find_submission(assignment_id, student_id)
    decision = late_decision(course, assignment_id=assignment_id, student_id=student_id,
                             timestamp=submission.timestamp)
    if decision is None:
        return None
    total = 0.0
    for notebook in submission.notebooks:
        gb.db.expire(notebook)  # its score is a column property: read the total as it is now
        points = decision.penalty_points(float(notebook.score or 0))
        notebook.late_submission_penalty = points if points > 0 else None
        total += points
    gb.db.commit()
    return total


def store_all_late_penalties(gb, course: Course, *, assignment_id: str) -> int:
    """`store_late_penalty` for every submission of one assignment (after course.yaml's late policy or an
    extension changed); returns how many stored penalties changed."""
    before = stored_penalties(gb, assignment_id=assignment_id)
    for submission in gb.find_assignment(assignment_id).submissions:
        store_late_penalty(gb, course, assignment_id=assignment_id, student_id=submission.student.id)
    after = stored_penalties(gb, assignment_id=assignment_id)
    return sum(1 for key in after if abs(after[key] - before.get(key, 0.0)) > 1e-9)


def stored_penalties(gb, *, assignment_id: str | None = None) -> dict[tuple[str, str], float]:
    """(student, assignment) -> the stored late penalty in points (0.0 when none), in one query."""
    from nbgrader.api import Assignment, SubmittedAssignment, SubmittedNotebook
    from sqlalchemy import func, select

    query = (
        select(SubmittedAssignment.student_id, Assignment.name,
               func.coalesce(func.sum(SubmittedNotebook.late_submission_penalty), 0.0))
        .select_from(SubmittedAssignment)
        .join(Assignment, Assignment.id == SubmittedAssignment.assignment_id)
        .join(SubmittedNotebook, SubmittedNotebook.assignment_id == SubmittedAssignment.id)
        .group_by(SubmittedAssignment.id, SubmittedAssignment.student_id, Assignment.name))
    if assignment_id is not None:
        query = query.where(Assignment.name == assignment_id)
    return {(student, name): float(points) for student, name, points in gb.db.execute(query).all()}
