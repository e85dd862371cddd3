"""The report's rows, defined once: every export (CSV, Excel, the staff page) takes its columns from here.

Percentages are 0-100, rounded to 2 decimals; empty cells are None.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from medai.progress.model import AssignmentProgress, ProgressReport, StudentProgress
from medai.progress.reports.words import Words


def r2(v: float | None) -> float | None:
    return None if v is None else round(v, 2)


@dataclass(frozen=True)
class Column:
    name: str  # stable snake_case: the CSV's header, what scripts read
    kind: str  # text | int | float | percent | bool
    label: str  # the header a person reads (Excel), in the reader's language
    help: str


def _same(msgid: str) -> str:
    return msgid


def _detail_columns(_) -> tuple[Column, ...]:
    return (
        Column("student", "text", _("Student"), _("login id")),
        Column("name", "text", _("Name"), _("full name")),
        Column("track", "text", _("Track"), _("the student's track")),
        Column("cohort", "text", _("Cohort"), _("entry cohort")),
        Column("assignment", "text", _("Assignment"), _("assignment id")),
        Column("title", "text", _("Title"), _("assignment title")),
        Column("module", "text", _("Module"), _("module id")),
        Column("points", "float", _("Points"), _("weight of the assignment in the course grade")),
        Column("deadline", "text", _("Deadline"), _("the student's deadline, extension applied")),
        Column("extension", "bool", _("Extension"), _("the student has an extension")),
        Column("state", "text", _("State"), _("not released, released, fetched, submitted, late (missing), graded, "
                                              "manual grading, not in course.yaml (listed, counted nowhere)")),
        Column("submitted_at", "text", _("Submitted at"), _("submission time (UTC)")),
        Column("raw_score", "float", _("Raw score"), _("nbgrader points")),
        Column("max_score", "float", _("Max score"), _("nbgrader maximum points")),
        Column("score_percent", "percent", _("Score %"), _("score before the late penalty")),
        Column("days_late", "int", _("Days late"), _("started days late (after grace)")),
        Column("penalty_percent", "percent", _("Penalty %"), _("late penalty (percent of the score)")),
        Column("penalty_points", "float", _("Penalty points"),
               _("late penalty in nbgrader points, as stored with the submission")),
        Column("final_percent", "percent", _("Final %"), _("score after the late penalty")),
    )


DETAIL_COLUMNS = _detail_columns(_same)  # English; the names are the CSV's header


def detail_columns(w: Words) -> tuple[Column, ...]:
    return _detail_columns(w.gettext)


def detail_values(s: StudentProgress, a: AssignmentProgress) -> list[Any]:
    return [s.id, s.name, s.track, s.cohort, a.assignment, a.title, a.module, a.points, a.deadline, a.extension,
            a.state, a.submitted_at, r2(a.raw_score), r2(a.max_score), r2(a.score_percent), a.days_late,
            r2(a.penalty_percent), r2(a.penalty_points), r2(a.final_percent)]


def detail_rows(report: ProgressReport) -> list[list[Any]]:
    """One row per student x assignment of the student's track, then their graded work of assignments
    course.yaml does not list (state not_in_course)."""
    return [detail_values(s, a) for s in report.students for a in [*s.assignments, *s.unlisted]]


def _summary_columns(_) -> tuple[Column, ...]:
    return (
        Column("student", "text", _("Student"), _("login id")),
        Column("name", "text", _("Name"), _("full name")),
        Column("email", "text", _("E-mail"), _("e-mail")),
        Column("track", "text", _("Track"), _("the student's track")),
        Column("cohort", "text", _("Cohort"), _("entry cohort")),
        Column("completed", "int", _("Completed"), _("assignments submitted")),
        Column("total", "int", _("Total"), _("assignments of the track")),
        Column("completion_percent", "percent", _("Completion %"), _("completed / total")),
        Column("weighted_score", "percent", _("Weighted score %"),
               _("points-weighted mean score over graded assignments (late penalty applied)")),
        Column("standing", "percent", _("Standing %"), _("the same, with overdue missing work counted as 0")),
        Column("at_risk", "bool", _("At risk"), _("at least one flag")),
        Column("flags", "text", _("Why at risk"), _("why: each at-risk reason")),
    )


SUMMARY_COLUMNS = _summary_columns(_same)


def summary_base_columns(w: Words) -> tuple[Column, ...]:
    """The summary's columns before the mastery ones, labelled in `w`'s language."""
    return _summary_columns(w.gettext)


def mastery_columns(report: ProgressReport, w: Words | None = None) -> list[Column]:
    if w is None:  # the CSV's columns: names only matter
        return [Column(f"mastery:{c.id}", "percent", f"mastery:{c.id}", f"mastery of {c.id} ({c.title})")
                for c in report.competencies]
    _ = w.gettext
    return [Column(f"mastery:{c.id}", "percent", _("Mastery {code}").format(code=c.id),
                   _("mastery of {code} ({title})").format(code=c.id, title=w.title(c))) for c in report.competencies]


def summary_columns(report: ProgressReport, w: Words | None = None) -> list[Column]:
    """The summary's columns; with `w`, their labels and help in its language."""
    return [*(SUMMARY_COLUMNS if w is None else summary_base_columns(w)), *mastery_columns(report, w)]


def summary_values(report: ProgressReport, s: StudentProgress, w: Words | None = None) -> list[Any]:
    """One student's summary row; the at-risk reasons in `w`'s language (None: the model's English)."""
    mastery = {m.competency: m.percent for m in s.competencies}
    return [s.id, s.name, s.email, s.track, s.cohort, s.completed, s.total,
            r2(100 * s.completion) if s.completion is not None else None, r2(s.weighted_score), r2(s.standing),
            s.at_risk, w.flags(s, report) if w else "; ".join(f.reason for f in s.flags),
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

