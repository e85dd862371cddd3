"""One student's course as their My-course panel shows it: the progress model, filtered to that student.

The staff page and the panel compute a student's states, scores, completion and competencies with the same
functions (medai.progress.model.student_progress on the same observations), so their numbers agree. What
the panel adds is the student's own seat:

- the folders in their home that nbgrader fetched (the service cannot read homes; the student's server says);
- student-facing states: `not_fetched` for a released assignment not fetched yet, `missed` for one past the
  deadline where a submission now would earn nothing (the penalty has reached 100 %), `late` where it still would;
- what submitting now would cost (days late, penalty) and when hidden tests' results are shown;
- no score while the course's hidden-test policy still withholds the hidden tests from this student's
  feedback (the score would reveal whether they passed); the progress summary then leaves that assignment
  out as if it were not graded yet;
- work of assignments withdrawn from course.yaml, for a note.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import datetime, timezone

from medai.course.late import deadline_for, hidden_now, late_rules, lateness
from medai.course.model import Course
from medai.progress.model import (
    AssignmentProgress,
    Observations,
    StudentInfo,
    StudentProgress,
    Thresholds,
    assignment_progress,
    student_progress,
)
from medai.progress.sources import ProgressInputs

STUDENT_STATES = ("not_released", "not_fetched", "fetched", "submitted", "graded", "needs_manual_grading",
                  "late", "missed")
GRADED = frozenset({"graded", "needs_manual_grading"})


class NotAStudent(KeyError):
    """The id is not a student on the roster."""


def student_state(state: str, *, penalty_now: float) -> str:
    """The panel's state for the progress model's `state`, given what a submission now would lose (percent)."""
    if state == "released":
        return "not_fetched"
    if state == "late":
        return "missed" if penalty_now >= 100 else "late"
    if state == "not_in_course":
        raise ValueError("work of an assignment course.yaml does not list has no panel state")
    return state


def _iso(when: datetime | str | None, course: Course) -> str | None:
    if when is None:
        return None
    when = datetime.fromisoformat(when) if isinstance(when, str) else when
    return when.astimezone(course.course.tz).isoformat()


def _withheld(course: Course, student: str, obs: Observations, now: datetime) -> set[str]:
    """Graded assignments of this student whose score the hidden-test policy does not show them yet."""
    policy = course.grading.hidden_tests
    return {a for (sid, a) in obs.graded if sid == student and a in obs.hidden_tests
            and hidden_now(policy, deadline_for(course, assignment_id=a, student=student), now)}


def _seen(obs: Observations, student: str, fetched: set[str], withheld: set[str]) -> Observations:
    """The observations with this student's fetched folders, and withheld scores as "submitted"."""
    return dataclasses.replace(
        obs, fetched=obs.fetched | {(student, a) for a in fetched},
        graded={k: v for k, v in obs.graded.items() if not (k[0] == student and k[1] in withheld)},
        submitted={**obs.submitted, **{(student, a): obs.graded[(student, a)].timestamp for a in withheld}})


def _row(course: Course, a, p: AssignmentProgress, *, student: str, now: datetime, other_track: bool,
         withheld: bool, obs: Observations) -> dict:
    now_late = lateness(course, assignment_id=a.id, student=student, submitted=now)
    per_day, cap, grace = late_rules(course, a.id)
    policy = course.grading.hidden_tests
    score = None
    if p.state in GRADED and not withheld and p.raw_score is not None:
        score = {"points": p.raw_score, "max": p.max_score, "percent": p.score_percent,
                 "final_percent": p.final_percent, "penalty_percent": p.penalty_percent,
                 "penalty_points": p.penalty_points}
    return {
        "id": a.id, "title": a.title, "title_ko": a.title_ko or a.title, "module": a.module, "points": a.points,
        "other_track": other_track, "release": _iso(a.release, course), "due": p.deadline,
        "original_due": _iso(a.due, course), "extension": p.extension,
        "state": student_state(p.state, penalty_now=now_late.penalty_percent),
        "submitted_at": _iso(p.submitted_at, course), "days_late": p.days_late,
        "score": score, "score_hidden_until": p.deadline if withheld else None,
        "late_policy": {"percent_per_day": per_day, "cap_percent": cap, "grace_minutes": grace},
        "submit_now": {"late": now_late.late, "days_late": now_late.days_late,
                       "penalty_percent": now_late.penalty_percent},
        "hidden_tests": {"policy": policy, "present": a.id in obs.hidden_tests,
                         "shown_from": p.deadline if policy == "after-due" else None},
    }


def _progress(course: Course, sp: StudentProgress, titles: dict[str, tuple[str, str]]) -> dict:
    graded = sorted((r for r in sp.assignments if r.state == "graded" and r.final_percent is not None),
                    key=lambda r: datetime.fromisoformat(r.deadline))
    return {
        "completed": sp.completed, "total": sp.total, "completion": sp.completion,
        "weighted_score": sp.weighted_score, "standing": sp.standing,
        "competencies": [{"id": c.competency, "title": titles[c.competency][0], "title_ko": titles[c.competency][1],
                          "level": c.level, "percent": c.percent} for c in sp.competencies],
        "overdue": [r.assignment for r in sp.assignments if r.state == "late"],
        "series": [{"assignment": r.assignment, "due": r.deadline, "final_percent": r.final_percent} for r in graded],
    }


def my_course(inputs: ProgressInputs, student_id: str, *, fetched: Iterable[str] = (), now: datetime | None = None,
              on_submit: bool | None = None, thresholds: Thresholds | None = None) -> dict:
    """The panel's payload (JSON-ready) for one roster student; `fetched`: the assignment folders in their home.

    Raises NotAStudent for an id that is not a student on the roster."""
    course, obs = inputs.course, inputs.observations
    now = now or datetime.now(timezone.utc)
    thresholds = thresholds or Thresholds()
    info: StudentInfo | None = next((s for s in inputs.students if s.id == student_id), None)
    if info is None:
        raise NotAStudent(student_id)
    folders = set(fetched)
    known = {a.id for a in course.assignments}
    withheld = _withheld(course, info.id, obs, now)
    full = _seen(obs, info.id, folders & known, set())
    shown = student_progress(course, info, _seen(obs, info.id, folders & known, withheld), as_of=now,
                             thresholds=thresholds)
    mine = {a.id for a in course.assignments_for_track(info.track)}
    rows = []
    for a in course.assignments:
        other = a.id not in mine
        if other and not course.course.other_tracks_visible:
            continue
        p = assignment_progress(course, a, info.id, full, now)
        rows.append(_row(course, a, p, student=info.id, now=now, other_track=other, withheld=a.id in withheld,
                         obs=obs))
    used = {r["module"] for r in rows}
    track = next(t for t in course.tracks if t.id == info.track)
    titles = {c.id: (c.title, c.title_ko) for c in course.competencies}
    return {
        "course": {"id": course.course.id, "title": course.course.title, "title_ko": course.course.title_ko,
                   "term": course.course.term, "timezone": course.course.timezone,
                   "on_submit": course.grading.on_submit if on_submit is None else on_submit},
        "student": {"id": info.id, "name": info.name, "track": info.track, "track_title": track.title,
                    "track_title_ko": track.title_ko, "cohort": info.cohort},
        "now": now.astimezone(course.course.tz).isoformat(),
        "modules": [{"id": m.id, "title": m.title, "title_ko": m.title_ko} for m in course.modules if m.id in used],
        "assignments": rows,
        "progress": _progress(course, shown, titles),
        "withdrawn": sorted((folders & obs.withdrawn) | {u.assignment for u in shown.unlisted}
                            | {a for (s, a) in obs.submitted_unlisted if s == info.id}),
    }
