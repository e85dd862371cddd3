"""The report's rows, defined once: every export (CSV, Excel, the staff page) takes its columns from here.

Percentages are 0-100, rounded to 2 decimals; empty cells are None.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from medai.progress.model import AssignmentProgress, ProgressReport, StudentProgress


def r2(v: float | None) -> float | None:
    return None if v is None else round(v, 2)


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # text | int | float | percent | bool
    help: str


DETAIL_COLUMNS = (
    Column("student", "text", "login id"),
    Column("name", "text", "full name"),
    Column("track", "text", "the student's track"),
    Column("cohort", "text", "entry cohort"),
    Column("assignment", "text", "assignment id"),
    Column("title", "text", "assignment title"),
    Column("module", "text", "module id"),
    Column("points", "float", "weight of the assignment in the course grade"),
    Column("deadline", "text", "the student's deadline, extension applied"),
    Column("extension", "bool", "the student has an extension"),
    Column("state", "text", "not_released, released, fetched, submitted, late, graded, needs_manual_grading, "
                            "not_in_course (listed, counted nowhere)"),
    Column("submitted_at", "text", "submission time (UTC)"),
    Column("raw_score", "float", "nbgrader points"),
    Column("max_score", "float", "nbgrader maximum points"),
    Column("score_percent", "percent", "score before the late penalty"),
    Column("days_late", "int", "started days late (after grace)"),
    Column("penalty_percent", "percent", "late penalty (percent of the score)"),
    Column("penalty_points", "float", "late penalty in nbgrader points, as stored with the submission"),
    Column("final_percent", "percent", "score after the late penalty"),
)


def local_time(ts: str | None, tz: str) -> str | None:
    """An ISO 8601 time (the model's submission times are UTC) in the course's time zone `tz`, ISO 8601: what
    the PDF shows a person (the CSV and Excel keep the model's UTC, with its offset)."""
    return None if ts is None else datetime.fromisoformat(ts).astimezone(ZoneInfo(tz)).isoformat()


def detail_values(s: StudentProgress, a: AssignmentProgress) -> list[Any]:
    return [s.id, s.name, s.track, s.cohort, a.assignment, a.title, a.module, a.points, a.deadline, a.extension,
            a.state, a.submitted_at, r2(a.raw_score), r2(a.max_score), r2(a.score_percent), a.days_late,
            r2(a.penalty_percent), r2(a.penalty_points), r2(a.final_percent)]


def detail_rows(report: ProgressReport) -> list[list[Any]]:
    """One row per student x assignment of the student's track, then their graded work of assignments
    course.yaml does not list (state not_in_course)."""
    return [detail_values(s, a) for s in report.students for a in [*s.assignments, *s.unlisted]]


SUMMARY_COLUMNS = (
    Column("student", "text", "login id"),
    Column("name", "text", "full name"),
    Column("email", "text", "e-mail"),
    Column("track", "text", "the student's track"),
    Column("cohort", "text", "entry cohort"),
    Column("completed", "int", "assignments submitted"),
    Column("total", "int", "assignments of the track"),
    Column("completion_percent", "percent", "completed / total"),
    Column("weighted_score", "percent", "points-weighted mean score over graded assignments (late penalty applied)"),
    Column("standing", "percent", "the same, with overdue missing work counted as 0"),
    Column("at_risk", "bool", "at least one flag"),
    Column("flags", "text", "why: each at-risk reason"),
)


def mastery_columns(report: ProgressReport) -> list[Column]:
    return [Column(f"mastery:{c.id}", "percent", f"mastery of {c.id} ({c.title})") for c in report.competencies]


def summary_columns(report: ProgressReport) -> list[Column]:
    return [*SUMMARY_COLUMNS, *mastery_columns(report)]


def summary_values(report: ProgressReport, s: StudentProgress) -> list[Any]:
    mastery = {m.competency: m.percent for m in s.competencies}
    return [s.id, s.name, s.email, s.track, s.cohort, s.completed, s.total,
            r2(100 * s.completion) if s.completion is not None else None, r2(s.weighted_score), r2(s.standing),
            s.at_risk, "; ".join(f.reason for f in s.flags),
            *[r2(mastery.get(c.id)) for c in report.competencies]]


def summary_rows(report: ProgressReport) -> list[list[Any]]:
    return [summary_values(report, s) for s in report.students]


def mean(values) -> float | None:
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None


@dataclass(frozen=True)
class TrackSummary:
    track: str
    students: int
    weighted_score: float | None  # mean over students with a score
    standing: float | None
    completion_percent: float | None
    at_risk: int


def track_summaries(report: ProgressReport) -> list[TrackSummary]:
    """One line per student track (those with no student too), for cover pages and totals rows."""
    out = []
    for track in report.student_tracks:
        group = [s for s in report.students if s.track == track]
        out.append(TrackSummary(
            track=track, students=len(group), weighted_score=mean(s.weighted_score for s in group),
            standing=mean(s.standing for s in group),
            completion_percent=mean(100 * s.completion if s.completion is not None else None for s in group),
            at_risk=sum(s.at_risk for s in group)))
    return out


def by_state(report: ProgressReport) -> dict[str, dict[str, int]]:
    """assignment id -> state -> number of students (for the cohort table)."""
    out: dict[str, dict[str, int]] = {a.id: {} for a in report.assignments}
    for s in report.students:
        for a in s.assignments:
            out[a.assignment][a.state] = out[a.assignment].get(a.state, 0) + 1
    return out

