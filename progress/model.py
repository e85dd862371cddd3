"""Progress across the tracks: where every student stands, as plain JSON-serialisable dataclasses.

`compute_progress` is a pure function of the course (course.yaml), the students (the roster) and what was
observed in nbgrader's gradebook, the exchange and the students' homes (`Observations`, read by
:mod:`medai.progress.sources`). A graded submission's late penalty is the one stored in the gradebook with it
(medai.nbgrader_adapter.late_penalty), so a late submission costs the same here as in the feedback, the
formgrader and every export; deadlines and days late come from course.yaml (:mod:`medai.course.late`).

Per assignment a student has one state:

    not_released          the assignment is not in the exchange's outbound folder
    released              released; nothing fetched (or the student's home cannot be read: see below)
    fetched               the student's home holds <assignment>/ (seen only when this process can read homes)
    submitted             submitted (in the exchange's inbound or collected), not graded yet
    late                  past the student's deadline (extension and grace included) and nothing submitted
    graded                in the gradebook, fully graded
    needs_manual_grading  in the gradebook, with cells waiting for a human grader
    not_in_course         graded work of an assignment course.yaml does not list (StudentProgress.unlisted):
                          shown with its numbers, counted in no weighted score, track, competency or LMS export

A late *submission* keeps its state (submitted, graded, ...) and carries `days_late` and `penalty_percent`.
Scores are percentages (0-100) of the nbgrader maximum; `final_percent` is after the late penalty.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone

from medai.course.late import deadline_for, lateness
from medai.course.model import COMMON_TRACK, Course
from medai.course.names import family_and_given

STATES = ("not_released", "released", "fetched", "submitted", "late", "graded", "needs_manual_grading",
          "not_in_course")
SUBMITTED_STATES = frozenset({"submitted", "graded", "needs_manual_grading"})
LEVELS = ("mastered", "developing", "not_yet", "not_assessed")


@dataclass(frozen=True)
class Thresholds:
    """When a student is flagged at risk, and what mastery levels mean (percentages, 0-100)."""

    low_score: float = 60.0  # weighted score under this: at risk
    falling_points: float = 10.0  # least-squares drop per assignment (points) that counts as a falling trend
    trend_window: int = 4  # the last N graded assignments (by deadline) that the trend looks at; 3 at least
    mastered: float = 80.0  # competency mastery at or above: mastered
    developing: float = 60.0  # at or above: developing; below: not yet


# -- what was observed (inputs) ----------------------------------------------------------------------


@dataclass(frozen=True)
class StudentInfo:
    """A student on the roster; `name` whole, as the roster writes it."""

    id: str
    name: str
    email: str
    track: str
    cohort: str


@dataclass(frozen=True)
class GradedSubmission:
    """One autograded submission as nbgrader's gradebook holds it: points before the late penalty, and the
    penalty stored with it (medai.nbgrader_adapter.late_penalty)."""

    score: float
    max_score: float
    needs_manual_grade: bool
    timestamp: datetime | None  # timezone-aware (nbgrader stores UTC)
    late_penalty: float = 0.0  # points, as stored in the gradebook

    def percents(self) -> tuple[float | None, float | None, float]:
        """(score %, score % after the stored penalty, the penalty in % of the score)."""
        penalty = 100.0 * self.late_penalty / self.score if self.score > 0 else 0.0
        if self.max_score <= 0:
            return None, None, penalty
        return (100.0 * self.score / self.max_score,
                100.0 * max(0.0, self.score - self.late_penalty) / self.max_score, penalty)


@dataclass
class Observations:
    """What the gradebook, the exchange and the homes show, keyed by (student, assignment)."""

    released: set[str] = field(default_factory=set)
    fetched: set[tuple[str, str]] = field(default_factory=set)
    homes_readable: bool = False
    submitted: dict[tuple[str, str], datetime | None] = field(default_factory=dict)  # not graded yet
    graded: dict[tuple[str, str], GradedSubmission] = field(default_factory=dict)
    unlisted: dict[tuple[str, str], GradedSubmission] = field(default_factory=dict)  # assignments not in course.yaml
    hidden_tests: set[str] = field(default_factory=set)  # assignments whose grade cells hold hidden tests
    withdrawn: set[str] = field(default_factory=set)  # released (in the exchange) but no longer in course.yaml
    # (student, assignment) submitted, not graded, of an assignment no longer in course.yaml (counted nowhere)
    submitted_unlisted: set[tuple[str, str]] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)


# -- results ---------------------------------------------------------------------------------------------


@dataclass
class AssignmentProgress:
    assignment: str
    title: str
    module: str
    points: float  # the assignment's weight in the course grade (course.yaml)
    deadline: str  # the student's own deadline, extension applied (ISO 8601, course time zone)
    extension: bool
    state: str
    submitted_at: str | None  # ISO 8601 UTC
    raw_score: float | None  # nbgrader points
    max_score: float | None
    score_percent: float | None  # before the late penalty
    days_late: int
    penalty_percent: float  # graded: the stored penalty in percent of the score; else what the policy would take
    final_percent: float | None  # after the stored late penalty
    penalty_points: float = 0.0  # the stored late penalty (nbgrader points)

    @property
    def submitted(self) -> bool:
        return self.state in SUBMITTED_STATES

    @property
    def submitted_late(self) -> bool:
        return self.days_late > 0


@dataclass
class CompetencyMastery:
    competency: str
    percent: float | None  # points-weighted mean of final scores of graded assignments assessing it
    level: str  # one of LEVELS
    assessed_by: list[str]  # graded assignments that count


@dataclass
class RiskFlag:
    kind: str  # missing | low_score | falling
    reason: str  # in English; a page in another language says it from the kind and the student's numbers


@dataclass
class StudentProgress:
    id: str
    name: str
    email: str
    track: str
    cohort: str
    first_name: str  # the given name and the family name, for systems that want them apart (Moodle)
    last_name: str  # (medai.course.names.family_and_given); `name` is what every view shows
    assignments: list[AssignmentProgress]  # the student's track only: common + their own, in course order
    weighted_score: float | None  # points-weighted mean of final scores over graded assignments
    standing: float | None  # the same with overdue missing work counted as 0
    completed: int  # assignments submitted (graded or not)
    total: int  # assignments of the track
    completion: float | None  # completed / total (0-1)
    competencies: list[CompetencyMastery]
    flags: list[RiskFlag]
    # graded work of assignments course.yaml does not list (state "not_in_course"): shown, counted nowhere
    unlisted: list[AssignmentProgress] = field(default_factory=list)

    @property
    def at_risk(self) -> bool:
        return bool(self.flags)


@dataclass
class AssignmentInfo:
    id: str
    title: str
    title_ko: str
    module: str
    tracks: list[str]
    competencies: list[str]
    points: float
    release: str
    due: str


@dataclass
class NamedItem:
    id: str
    title: str
    title_ko: str


@dataclass
class ProgressReport:
    """The whole picture at one moment: the course's parts, every student, and what looked wrong."""

    course_id: str
    title: str
    title_ko: str
    term: str
    timezone: str
    as_of: str  # ISO 8601, course time zone
    thresholds: Thresholds
    tracks: list[NamedItem]
    competencies: list[NamedItem]
    assignments: list[AssignmentInfo]
    students: list[StudentProgress]
    homes_readable: bool
    warnings: list[str]

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def to_json(self, **kw) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, **kw)

    def select(self, *, track: str | None = None, cohort: str | None = None, student: str | None = None,
               at_risk: bool | None = None) -> "ProgressReport":
        """The same report for a subset of the students (None: no filter on that field)."""
        keep = [s for s in self.students
                if (track is None or s.track == track) and (cohort is None or s.cohort == cohort)
                and (student is None or s.id == student) and (at_risk is None or s.at_risk == at_risk)]
        return dataclasses.replace(self, students=keep)

    def assignment(self, assignment_id: str) -> AssignmentInfo:
        return next(a for a in self.assignments if a.id == assignment_id)

    @property
    def cohorts(self) -> list[str]:
        return sorted({s.cohort for s in self.students})

    @property
    def student_tracks(self) -> list[str]:
        return [t.id for t in self.tracks if t.id != COMMON_TRACK]


# -- computation -----------------------------------------------------------------------------------------


def _utc(ts: datetime | None) -> str | None:
    return ts.astimezone(timezone.utc).isoformat() if ts is not None else None


def _weighted(pairs: list[tuple[float, float]]) -> float | None:
    """Points-weighted mean of (points, percent) pairs; None when there are none."""
    weight = sum(p for p, _ in pairs)
    return sum(p * v for p, v in pairs) / weight if weight > 0 else None


def trend_slope(values: list[float]) -> float:
    """Least-squares slope of values against 0, 1, 2, ... (points per assignment)."""
    n = len(values)
    mean_x, mean_y = (n - 1) / 2, sum(values) / n
    den = sum((i - mean_x) ** 2 for i in range(n))
    return sum((i - mean_x) * (v - mean_y) for i, v in enumerate(values)) / den


def assignment_progress(course: Course, a, student: str, obs: Observations, as_of: datetime) -> AssignmentProgress:
    """One student's state, deadline and (stored) score on one assignment at `as_of`."""
    key = (student, a.id)
    deadline = deadline_for(course, assignment_id=a.id, student=student)
    graded = obs.graded.get(key)
    submitted_at = graded.timestamp if graded else obs.submitted.get(key)
    raw = max_score = percent = final = None
    days_late, penalty, points = 0, 0.0, 0.0
    if graded is not None or key in obs.submitted:
        if submitted_at is not None:
            late = lateness(course, assignment_id=a.id, student=student, submitted=submitted_at)
            days_late, penalty = late.days_late, late.penalty_percent
        if graded is not None:
            state = "needs_manual_grading" if graded.needs_manual_grade else "graded"
            raw, max_score, points = graded.score, graded.max_score, graded.late_penalty
            percent, final, stored = graded.percents()  # what was taken off, as stored (as the feedback shows)
            penalty = stored if raw > 0 else penalty
        else:
            state = "submitted"
    elif a.id not in obs.released:
        state = "not_released"
    elif lateness(course, assignment_id=a.id, student=student, submitted=as_of).late:
        state = "late"
    else:
        state = "fetched" if key in obs.fetched else "released"
    return AssignmentProgress(
        assignment=a.id, title=a.title, module=a.module, points=a.points,
        deadline=deadline.astimezone(course.course.tz).isoformat(), extension=deadline != a.due, state=state,
        submitted_at=_utc(submitted_at), raw_score=raw, max_score=max_score, score_percent=percent,
        days_late=days_late, penalty_percent=penalty, final_percent=final, penalty_points=points)


def _unlisted_progress(assignment: str, g: GradedSubmission) -> AssignmentProgress:
    """Graded work of an assignment course.yaml does not list: its gradebook numbers, no weight, no deadline."""
    percent, final, penalty = g.percents()
    return AssignmentProgress(
        assignment=assignment, title=assignment, module="", points=0.0, deadline="", extension=False,
        state="not_in_course", submitted_at=_utc(g.timestamp), raw_score=g.score, max_score=g.max_score,
        score_percent=percent, days_late=0, penalty_percent=penalty, final_percent=final,
        penalty_points=g.late_penalty)


def _level(percent: float | None, t: Thresholds) -> str:
    if percent is None:
        return "not_assessed"
    return "mastered" if percent >= t.mastered else "developing" if percent >= t.developing else "not_yet"


def _fmt(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def recent_scores(rows: list[AssignmentProgress], t: Thresholds) -> list[float]:
    """The final scores of the last `t.trend_window` graded assignments, by deadline: what the falling-trend flag
    looks at (its slope: trend_slope)."""
    graded = sorted((r for r in rows if r.state == "graded" and r.final_percent is not None),
                    key=lambda r: datetime.fromisoformat(r.deadline))
    return [r.final_percent for r in graded][-t.trend_window:]


def _flags(rows: list[AssignmentProgress], weighted: float | None, t: Thresholds) -> list[RiskFlag]:
    flags = []
    missing = [r.assignment for r in rows if r.state == "late"]
    if missing:
        noun = "assignment" if len(missing) == 1 else "assignments"
        flags.append(RiskFlag("missing", f"{len(missing)} {noun} past due and not submitted: {', '.join(missing)}"))
    if weighted is not None and weighted < t.low_score:
        flags.append(RiskFlag("low_score", f"weighted score {_fmt(weighted)}% is under {_fmt(t.low_score)}%"))
    recent = recent_scores(rows, t)
    if len(recent) >= 3:
        slope = trend_slope(recent)
        if slope <= -t.falling_points:
            path = " → ".join(_fmt(v) for v in recent)
            flags.append(RiskFlag("falling", f"scores falling: {path} ({_fmt(slope)} points per assignment)"))
    return flags


def student_progress(course: Course, s: StudentInfo, obs: Observations, *, as_of: datetime,
                     thresholds: Thresholds) -> StudentProgress:
    """One student's progress over the assignments of their track (common + their own)."""
    assignments = course.assignments_for_track(s.track)
    rows = [assignment_progress(course, a, s.id, obs, as_of) for a in assignments]
    graded = [(r.points, r.final_percent) for r in rows if r.state == "graded" and r.final_percent is not None]
    weighted = _weighted(graded)
    standing = _weighted(graded + [(r.points, 0.0) for r in rows if r.state == "late"])
    completed = sum(r.submitted for r in rows)
    family, given = family_and_given(s.name)
    competencies = []
    for comp in dict.fromkeys(c for a in assignments for c in a.competencies):
        counted = [(r, a) for r, a in zip(rows, assignments) if comp in a.competencies
                   and r.state == "graded" and r.final_percent is not None]
        percent = _weighted([(r.points, r.final_percent) for r, _ in counted])
        competencies.append(CompetencyMastery(comp, percent, _level(percent, thresholds), [a.id for _, a in counted]))
    return StudentProgress(
        id=s.id, name=s.name, email=s.email, track=s.track, cohort=s.cohort,
        first_name=given, last_name=family, assignments=rows,
        weighted_score=weighted, standing=standing, completed=completed, total=len(rows),
        completion=completed / len(rows) if rows else None, competencies=competencies,
        flags=_flags(rows, weighted, thresholds),
        unlisted=[_unlisted_progress(a, g) for (sid, a), g in sorted(obs.unlisted.items()) if sid == s.id])


def compute_progress(*, course: Course, students: list[StudentInfo], observations: Observations,
                     as_of: datetime | None = None, thresholds: Thresholds | None = None) -> ProgressReport:
    """Every student's progress at `as_of` (default: now); pure, no I/O."""
    as_of = as_of or datetime.now(timezone.utc)
    if as_of.tzinfo is None:
        raise ValueError("as_of must be timezone-aware")
    thresholds = thresholds or Thresholds()
    if thresholds.trend_window < 3:
        raise ValueError("Thresholds.trend_window must be 3 or more")
    tz = course.course.tz
    return ProgressReport(
        course_id=course.course.id, title=course.course.title, title_ko=course.course.title_ko,
        term=course.course.term, timezone=course.course.timezone, as_of=as_of.astimezone(tz).isoformat(),
        thresholds=thresholds,
        tracks=[NamedItem(t.id, t.title, t.title_ko) for t in course.tracks],
        competencies=[NamedItem(c.id, c.title, c.title_ko) for c in course.competencies],
        assignments=[AssignmentInfo(a.id, a.title, a.title_ko or a.title, a.module, list(a.tracks),
                                    list(a.competencies), a.points, a.release.astimezone(tz).isoformat(),
                                    a.due.astimezone(tz).isoformat()) for a in course.assignments],
        students=[student_progress(course, s, observations, as_of=as_of, thresholds=thresholds) for s in students],
        homes_readable=observations.homes_readable,
        warnings=list(observations.warnings))
