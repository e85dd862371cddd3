"""The late policy applied: deadlines with extensions, days late, and the penalty in percent.

Pure functions of course.yaml's data; the grading pipeline and the progress reports both use them, so a
late submission costs the same everywhere.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from medai.course.model import Course


@dataclass(frozen=True)
class LateDecision:
    """The late policy's decision on one submission: its deadline, how many days late, and what it costs."""

    deadline: datetime  # the student's own deadline (extensions applied)
    days_late: int  # started days after deadline + grace (0: on time)
    penalty_percent: float  # deduction in percent of the score, capped

    @property
    def late(self) -> bool:
        return self.days_late > 0

    def penalty_points(self, score: float) -> float:
        """What lateness costs a submission (or one notebook of it) that scores `score` now: percent of that
        score, never below 0 or above the score. The one formula every view's stored penalty comes from."""
        if not self.late or score <= 0:
            return 0.0
        return min(score, score * self.penalty_percent / 100)

    def apply(self, score: float) -> float:
        """The score after the deduction (percent of the score itself)."""
        return score - self.penalty_points(score)


HIDDEN_TEST_POLICIES = ("always", "after-due", "never")  # course.yaml grading.hidden_tests


def hidden_now(policy: str, deadline: datetime | None, now: datetime | None = None) -> bool:
    """Whether a student is shown hidden tests' results (and so the score they make up) only later: feedback
    generated now withholds them, and the My-course panel shows no score (pure; `deadline` None: no due date,
    which under after-due withholds them until an instructor sets one or chooses `always`)."""
    if policy not in HIDDEN_TEST_POLICIES:
        raise ValueError(f"hidden test policy must be one of {', '.join(HIDDEN_TEST_POLICIES)}, not {policy!r}")
    if policy == "always":
        return False
    if policy == "never":
        return True
    now = now or datetime.now(timezone.utc)
    return deadline is None or now < deadline


def deadline_for(course: Course, *, assignment_id: str, student: str) -> datetime:
    """The assignment's due date for this student, moved by their extension if they have one."""
    due = course.assignment(assignment_id).due
    for ext in course.late_policy.extensions:
        if ext.student == student and ext.assignment == assignment_id:
            return ext.until if ext.until is not None else due + timedelta(days=ext.days)
    return due


def late_rules(course: Course, assignment_id: str) -> tuple[float, float, int]:
    """(percent per started day, cap in percent, grace minutes) for one assignment: its override, else the
    course's."""
    rules = course.late_policy
    override = course.assignment(assignment_id).late_policy
    per_day = override.percent_per_day if override and override.percent_per_day is not None else rules.percent_per_day
    cap = override.cap_percent if override and override.cap_percent is not None else rules.cap_percent
    grace = override.grace_minutes if override and override.grace_minutes is not None else rules.grace_minutes
    return per_day, cap, grace


def lateness(course: Course, *, assignment_id: str, student: str, submitted: datetime) -> LateDecision:
    """Days late (every started day after the deadline and grace counts) and the capped penalty.

    `submitted` must be timezone-aware (nbgrader's timestamps are UTC)."""
    if submitted.tzinfo is None:
        raise ValueError("submitted must be timezone-aware")
    per_day, cap, grace = late_rules(course, assignment_id)
    deadline = deadline_for(course, assignment_id=assignment_id, student=student)
    over = submitted - (deadline + timedelta(minutes=grace))
    days = math.ceil(over / timedelta(days=1)) if over > timedelta(0) else 0
    return LateDecision(deadline=deadline, days_late=days, penalty_percent=min(cap, days * per_day))
