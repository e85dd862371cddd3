"""course.yaml's late policy: grace, started days, cap, per-assignment override, per-student extensions."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from medai.course.late import deadline_for, lateness
from medai.course.model import Extension, LateRules

A = "c02-diagnostic-metrics"
KST = timezone(timedelta(hours=9))
DUE = datetime(2026, 9, 21, 23, 59, tzinfo=KST)


@pytest.fixture
def course(course):
    return course.model_copy(deep=True)


@pytest.mark.parametrize("after, days, penalty", [
    (timedelta(0), 0, 0),
    (timedelta(minutes=15), 0, 0),  # inside the 15-minute grace
    (timedelta(minutes=16), 1, 10),  # a started day counts whole
    (timedelta(days=1, minutes=15), 1, 10),
    (timedelta(days=1, minutes=16), 2, 20),
    (timedelta(days=30), 30, 50),  # capped at 50%
    (-timedelta(days=3), 0, 0),
])
def test_started_days_after_grace_cost_ten_percent_up_to_the_cap(course, after, days, penalty):
    late = lateness(course, assignment_id=A, student="med01", submitted=DUE + after)
    assert (late.days_late, late.penalty_percent) == (days, penalty)
    assert late.apply(8.0) == pytest.approx(8.0 * (1 - penalty / 100))


def test_utc_timestamps_compare_with_seoul_deadlines(course):
    just_in = datetime(2026, 9, 21, 15, 10, tzinfo=timezone.utc)  # 00:10 KST on the 22nd, inside grace
    assert lateness(course, assignment_id=A, student="med01", submitted=just_in).days_late == 0
    with pytest.raises(ValueError, match="timezone-aware"):
        lateness(course, assignment_id=A, student="med01", submitted=just_in.replace(tzinfo=None))


def test_extensions_move_one_students_deadline(course):
    course.late_policy.extensions = [
        Extension(student="med02", assignment=A, days=3, reason="medical certificate"),
        Extension(student="eng01", assignment=A, until=DUE + timedelta(hours=12), reason="exam clash"),
    ]
    two_days_late = DUE + timedelta(days=2)
    assert lateness(course, assignment_id=A, student="med02", submitted=two_days_late).days_late == 0
    assert lateness(course, assignment_id=A, student="med01", submitted=two_days_late).days_late == 2
    assert deadline_for(course, assignment_id=A, student="eng01") == DUE + timedelta(hours=12)
    assert lateness(course, assignment_id=A, student="eng01", submitted=two_days_late).days_late == 2


def test_an_assignment_can_override_the_course_policy(course):
    course.assignments[0].late_policy = LateRules(percent_per_day=25)
    late = lateness(course, assignment_id=A, student="med01", submitted=DUE + timedelta(days=1, hours=1))
    assert late.penalty_percent == 50  # 2 days x 25%, within the course cap of 50
