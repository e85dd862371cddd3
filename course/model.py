"""The curriculum as a pydantic model: the shape of course.yaml and its cross-checks.

Field validation (types, patterns, ranges, unknown keys) is pydantic's; the cross-checks that need
the whole document (duplicate ids, undefined references, dates) run in one model validator on
`Course`. They collect every problem and raise a single `PydanticCustomError` of type
``course_cross_check`` whose context holds ``problems``: a list of ``(location tuple, message)``,
so `medai.course.load` can report each with its own key path.

Naive datetimes (no UTC offset, e.g. ``2026-09-21 23:59``) are interpreted in ``course.timezone``;
after validation every datetime on the model is timezone-aware. A date without a time is rejected,
because "due 2026-09-21" would silently mean midnight at the *start* of that day.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator
from pydantic_core import PydanticCustomError

SLUG_PATTERN = r"^[a-z][a-z0-9-]*$"
COMPETENCY_PATTERN = r"^[A-Z][A-Z0-9]*-[0-9]+$"
# A login name is also the student's Unix account name (useradd's portable limit is 32 characters).
LOGIN_PATTERN = r"^[a-z][a-z0-9_-]{0,31}$"
COMMON_TRACK = "common"
REQUIRED_TRACKS = ("common", "medicine", "engineering")
# Hub group of each roster role (declared here only: the roster, the hub and its RBAC use these names); a track
# may not take one of them (see Roster.groups()).
ROLE_GROUPS = {"student": "students", "instructor": "instructors", "staff": "staff"}
RESERVED_GROUPS = tuple(ROLE_GROUPS.values())

Slug = Annotated[str, Field(pattern=SLUG_PATTERN, max_length=64)]
CompetencyId = Annotated[str, Field(pattern=COMPETENCY_PATTERN, max_length=32)]
Login = Annotated[str, Field(pattern=LOGIN_PATTERN)]
Loc = tuple[str | int, ...]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _require_time(value: Any) -> Any:
    """Reject a bare date given where a moment is meant (before pydantic turns it into midnight)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        raise ValueError("give a time too, e.g. 2026-09-21T23:59+09:00 (a bare date means 00:00)")
    if isinstance(value, str) and len(value.strip()) <= 10:
        raise ValueError(f"{value!r} has no time; write e.g. {value.strip()}T23:59+09:00")
    return value


class CourseInfo(_Model):
    """The course itself: identity, term and the settings every assignment shares."""

    id: Slug = Field(description="Course id, a lowercase slug such as 'medai101'; used as nbgrader's course_id.")
    title: str = Field(min_length=1, description="Course title in English.")
    title_ko: str = Field(min_length=1, description="Course title in Korean (국문 과목명).")
    term: str = Field(
        pattern=r"^[0-9]{4}-(1|2|S|W)$",
        description="Academic term: year, then 1 (spring, 1학기), 2 (fall, 2학기), S (summer session) or W (winter session), e.g. '2026-2'.",
    )
    starts: date = Field(description="First day of the term (YYYY-MM-DD, in the course timezone).")
    ends: date = Field(description="Last day of the term, final exams included (YYYY-MM-DD, in the course timezone).")
    timezone: str = Field(
        default="Asia/Seoul",
        description="IANA time zone of the course; naive datetimes in this file are read in it.",
    )
    assignments_dir: str = Field(
        default="../assignments",
        min_length=1,
        description="Directory holding assignments/<id>/*.ipynb, relative to this course.yaml file (or absolute).",
    )
    cell_timeout_seconds: int = Field(
        default=120, gt=0, le=3600, description="Wall-clock limit for one notebook cell when autograding, in seconds."
    )
    other_tracks_visible: bool = Field(
        default=False,
        description="Whether a student's My course panel also lists the other tracks' assignments (marked as "
        "another track's, counted nowhere for them); by default a student sees only common work and their own track's.",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r}; use a name such as 'Asia/Seoul'") from None
        return value

    @property
    def tz(self) -> ZoneInfo:
        """The course timezone as a tzinfo."""
        return ZoneInfo(self.timezone)


class Track(_Model):
    """A track of the major. 'common' is the shared core; every student belongs to one other track."""

    id: Slug = Field(description="Track id, a lowercase slug; also the hub group name of its students.")
    title: str = Field(min_length=1, description="Track title in English.")
    title_ko: str = Field(min_length=1, description="Track title in Korean.")
    description: str = Field(default="", description="Who the track is for and what it emphasises.")


class Competency(_Model):
    """A learning outcome that modules teach and assignments assess."""

    id: CompetencyId = Field(description="Competency id: an upper-case area code and a number, e.g. 'DATA-1'.")
    title: str = Field(min_length=1, description="Competency title in English.")
    title_ko: str = Field(min_length=1, description="Competency title in Korean.")
    description: str = Field(default="", description="What a student who has this competency can do.")


class Module(_Model):
    """A course unit of the curriculum (one subject of the major, placed by year and semester)."""

    id: Slug = Field(description="Module id, a lowercase slug.")
    code: str | None = Field(
        default=None, pattern=r"^[A-Z]{2,4}[0-9]{3,4}$", description="University course code, e.g. 'MAI2004'."
    )
    title: str = Field(min_length=1, description="Module title in English.")
    title_ko: str = Field(min_length=1, description="Module title in Korean.")
    tracks: list[Slug] = Field(min_length=1, description="Tracks that take the module; ['common'] means every track.")
    competencies: list[CompetencyId] = Field(min_length=1, description="Competency ids the module develops.")
    year: int = Field(ge=1, le=6, description="Recommended year of study (학년).")
    semester: int = Field(ge=1, le=2, description="Recommended semester within the year: 1 (spring) or 2 (fall).")
    credits: int = Field(default=3, ge=1, le=6, description="Credit hours (학점).")
    prerequisites: list[Slug] = Field(
        default_factory=list, description="Module ids that must come before this one (placed strictly earlier)."
    )
    topics: list[str] = Field(default_factory=list, description="Main topics, one short phrase each.")
    description: str = Field(default="", description="What the module covers.")


class LateRules(_Model):
    """Per-assignment override of the course late policy; a field left out keeps the course value."""

    percent_per_day: float | None = Field(
        default=None, ge=0, le=100, description="Deduction per started day late, in percent of the score."
    )
    cap_percent: float | None = Field(default=None, ge=0, le=100, description="Maximum total deduction, in percent.")
    grace_minutes: int | None = Field(default=None, ge=0, description="Minutes after the deadline that are not late.")


class Assignment(_Model):
    """An nbgrader assignment: assignments/<id>/ holds its source notebooks."""

    id: Slug = Field(description="Assignment id, a lowercase slug; also its directory name and nbgrader assignment name.")
    title: str = Field(min_length=1, description="Assignment title in English.")
    title_ko: str | None = Field(default=None, description="Assignment title in Korean, if any.")
    module: Slug = Field(description="Id of the module the assignment belongs to.")
    tracks: list[Slug] = Field(min_length=1, description="Tracks that must do it; ['common'] means every student.")
    competencies: list[CompetencyId] = Field(min_length=1, description="Competency ids the assignment assesses.")
    points: float = Field(gt=0, description="Weight of the assignment in the course grade (relative to the other assignments).")
    release: datetime = Field(description="When students can fetch it (ISO 8601; no offset means course timezone).")
    due: datetime = Field(description="Deadline (ISO 8601; no offset means course timezone).")
    late_policy: LateRules | None = Field(default=None, description="Override of the course late policy for this assignment.")

    _dates = field_validator("release", "due", mode="before")(_require_time)


class Extension(_Model):
    """A deadline extension for one student on one assignment: give `days` or `until`, not both."""

    student: Login = Field(description="Login name of the student, as in the roster.")
    assignment: Slug = Field(description="Id of the assignment whose deadline moves.")
    days: int | None = Field(default=None, ge=1, le=365, description="Days added to the assignment's due date.")
    until: datetime | None = Field(default=None, description="New deadline (ISO 8601; no offset means course timezone).")
    reason: str = Field(min_length=1, description="Why it was granted (e.g. medical certificate); kept for the record.")

    _dates = field_validator("until", mode="before")(_require_time)

    @model_validator(mode="after")
    def _days_or_until(self) -> Extension:
        if (self.days is None) == (self.until is None):
            raise ValueError("give exactly one of 'days' or 'until'")
        return self


class LatePolicy(_Model):
    """How late submissions are penalised, and the extensions granted."""

    percent_per_day: float = Field(ge=0, le=100, description="Deduction per started day late, in percent of the score.")
    cap_percent: float = Field(ge=0, le=100, description="Maximum total deduction, in percent.")
    grace_minutes: int = Field(default=0, ge=0, description="Minutes after the deadline that are not counted late.")
    extensions: list[Extension] = Field(default_factory=list, description="Individual deadline extensions.")


class GradingPolicy(_Model):
    """How submissions are autograded (`medai grade`, and the hub's grade-on-submit service)."""

    on_submit: bool = Field(
        default=True,
        description="Grade each submission as it arrives (the hub runs `medai grade-watch`) and return its feedback.",
    )
    hidden_tests: Literal["always", "after-due", "never"] = Field(
        default="after-due",
        description="What a student's feedback shows of hidden tests (their code, outputs and points): always, only "
        "after the student's own deadline, or never. The gradebook keeps every score either way.",
    )
    poll_seconds: float = Field(default=10, gt=0, le=3600, description="How often grade-on-submit looks for new submissions.")
    timeout_seconds: int = Field(default=1800, ge=10, description="Wall-clock limit per submission; every process is killed.")
    memory: str = Field(default="4G", pattern=r"^\d+(\.\d+)?[KMGT]?$", description="Address-space limit per process, e.g. 4G.")


class SelfCheckPolicy(_Model):
    """What the notebooks' self-checks (`q1.check()`, `q1.hint()`) leave for the instructor."""

    record: bool = Field(
        default=True,
        description="Record each use of a self-check or hint (student, question, pass or not, which check failed, "
        "when) for the instructor's live view; off: nothing is recorded. Students are told in the notebooks.",
    )


class InsightPolicy(_Model):
    """Who sees the instructor's insight page (item analysis, failure groups, similarity) besides instructors."""

    staff_item_statistics: bool = Field(
        default=False,
        description="Let program staff see the aggregate item statistics (difficulty, discrimination, alpha) of "
        "each assignment. Failure groups and similarity are for instructors only, whatever this says.",
    )
CONTEST_TASKS = ("omop-mi", "table", "mr-lesions")  # implemented in medai.grader.contest.tasks (a test keeps them equal)
SEGMENTATION_TASKS = ("mr-lesions",)  # predict() returns a mask per image, scored with the Dice metric
CONTEST_METRICS = ("auroc", "average-precision", "log-loss", "macro-f1", "accuracy", "rmse", "mae", "c-index", "dice")


class ContestPhase(_Model):
    """A phase of a contest (e.g. development, then final); submissions are taken while one is open."""

    id: Slug = Field(description="Phase id, e.g. 'development' or 'final'.")
    title: str = Field(min_length=1, description="Phase title in English.")
    title_ko: str = Field(min_length=1, description="Phase title in Korean.")
    starts: datetime = Field(description="When submissions open (ISO 8601; no offset means course timezone).")
    ends: datetime = Field(description="When submissions close (ISO 8601; no offset means course timezone).")

    _dates = field_validator("starts", "ends", mode="before")(_require_time)


class ContestTeam(_Model):
    """A team fixed by the instructors (students of the roster)."""

    id: Slug = Field(description="Team id, a lowercase slug.")
    members: list[Login] = Field(min_length=1, description="Login names of its members (students on the roster).")


class ContestTeams(_Model):
    """Who competes together: teams listed here, or formed by students within a size limit."""

    formed_by_students: bool = Field(default=True, description="Students may create and join teams themselves.")
    max_size: int = Field(default=3, ge=1, le=20, description="Most members a team may have.")
    mix_tracks: bool = Field(
        default=False, description="A team may submit only when its members come from more than one track.")
    fixed: list[ContestTeam] = Field(default_factory=list, description="Teams set by the instructors.")


class ContestData(_Model):
    """Which data the contest is on and how the contest's private seed splits it."""

    task: Literal[CONTEST_TASKS] = Field(  # type: ignore[valid-type]
        description="The prediction task: 'omop-mi' (myocardial infarction within horizon_days of the index date, "
                    "from the OMOP cohort's index-date data; the group is the care site), 'table' (a Parquet table "
                    "with a label column) or 'mr-lesions' (lesion segmentation on synthetic brain MR slices of the "
                    "contest's own, generated privately: predict() returns a mask per image; metric 'dice').")
    horizon_days: int = Field(default=365, ge=1, le=1826, description="For task 'omop-mi': the label's horizon "
                                                                      "(every person is followed at least 1826 days).")
    persons: int = Field(default=60_000, ge=100, le=2_000_000,
                         description="For task 'omop-mi': the size of the contest's own cohort, generated privately "
                                     "(never the students' omop-cohort) into the course directory.")
    cases: int = Field(default=200, ge=10, le=5000,
                       description="For task 'mr-lesions': the number of slices generated privately (training and "
                                   "hidden together).")
    image_size: int = Field(default=64, ge=32, le=256, description="For task 'mr-lesions': each slice's side in pixels.")
    table: str | None = Field(default=None, description="For task 'table': the Parquet file, in the contest's private "
                                                        "folder <course dir>/contests/<id>/source/.")
    label: str = Field(default="label", description="For task 'table': the label column.")
    group: str | None = Field(default=None, description="For task 'table': the column test_groups refers to.")
    seed: int | None = Field(default=None, ge=0, description="The contest's seed (its cohort, the splits, the "
                             "bootstrap). Leave it out: `prepare` then draws a private one and keeps it in the course "
                             "directory. A seed written here is public (students can read course.yaml) and lets anyone "
                             "regenerate the hidden set: for tests only.")
    test_groups: list[int | str] = Field(
        default_factory=list, description="Rows of these groups (sites, for the OMOP task) form the hidden test set "
                                          "(dataset shift); empty: a random test_fraction of the rows.")
    test_fraction: float = Field(default=0.3, gt=0, lt=1, description="Share of rows held out when test_groups is empty.")
    public_fraction: float = Field(default=0.5, gt=0, lt=1,
                                   description="Share of the hidden set scored on the public leaderboard.")


class Contest(_Model):
    """A code competition on hidden data (medai.grader.contest): submissions run in the grading sandbox."""

    id: Slug = Field(description="Contest id, a lowercase slug.")
    title: str = Field(min_length=1, description="Contest title in English.")
    title_ko: str = Field(min_length=1, description="Contest title in Korean.")
    description: str = Field(default="", description="The task in English.")
    description_ko: str = Field(default="", description="The task in Korean.")
    data: ContestData = Field(description="The dataset, the task and the split.")
    metric: Literal[CONTEST_METRICS] = Field(description="How predictions are scored (scikit-learn's metric; 'dice': "
                                                          "MONAI's DiceMetric per image, for segmentation tasks).")  # type: ignore[valid-type]
    submission: Literal["notebook", "predictions"] = Field(
        default="notebook", description="A notebook that defines predict(inputs), run in the sandbox on the hidden "
                                        "inputs; or a predictions CSV (id, prediction) for published test inputs.")
    phases: list[ContestPhase] = Field(min_length=1, description="Phases in order; the last is the final one.")
    teams: ContestTeams = Field(default_factory=ContestTeams, description="Team rules.")
    daily_cap: int = Field(default=3, ge=1, le=100, description="Submissions per team per day (course timezone).")
    final_choices: int = Field(default=2, ge=1, le=10, description="Submissions a team may choose for the final ranking.")
    timeout_seconds: int = Field(default=600, ge=10, le=7200, description="Wall-clock limit of one submission.")
    bootstrap_resamples: int = Field(default=1000, ge=50, le=100_000,
                                     description="Bootstrap resamples behind each score's 95% interval.")
    baseline: str | None = Field(default=None, description="A baseline notebook students start from, relative to "
                                                            "assignments_dir (e.g. contests/mi-1y/baseline.ipynb).")

    @property
    def final_phase(self) -> ContestPhase:
        return self.phases[-1]


class LmsPolicy(_Model):
    """What grades medai sends back to the university's LMS (`medai lms sync`, LTI 1.3 Assignment and Grade
    Services)."""

    resubmissions: Literal["latest", "best"] = Field(
        default="latest",
        description="After a resubmission the LMS gets the latest graded score, or the best one it was ever sent.",
    )


class Course(_Model):
    """A whole course.yaml: the curriculum and the assignments of one term."""

    model_config = ConfigDict(title="medai course.yaml")

    course: CourseInfo = Field(description="The course: id, titles, term, timezone and shared settings.")
    tracks: list[Track] = Field(description="Tracks of the major; must include 'common', 'medicine' and 'engineering'.")
    competencies: list[Competency] = Field(description="Competencies (learning outcomes) of the curriculum.")
    modules: list[Module] = Field(description="Modules of the curriculum; may describe the whole major.")
    assignments: list[Assignment] = Field(
        default_factory=list, description="Assignments of this term, each with a directory under assignments_dir."
    )
    late_policy: LatePolicy = Field(description="Late penalty rules and extensions.")
    grading: GradingPolicy = Field(default_factory=GradingPolicy, description="Autograding policy (defaults apply).")
    selfchecks: SelfCheckPolicy = Field(default_factory=SelfCheckPolicy,
                                        description="Recording of self-check use (defaults apply).")
    insight: InsightPolicy = Field(default_factory=InsightPolicy, description="Who sees the instructor's insight page.")
    contests: list[Contest] = Field(default_factory=list, description="Code competitions on hidden data.")
    lms: LmsPolicy = Field(default_factory=LmsPolicy, description="Grades sent back to the LMS (defaults apply).")

    _source: Path | None = PrivateAttr(default=None)
    _assignments_dir: Path | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _cross_check(self) -> Course:
        _localise_datetimes(self)
        problems = _cross_problems(self)
        if problems:
            details = "\n".join(f"{_dotted(loc)}: {msg}" for loc, msg in problems)
            raise PydanticCustomError(
                "course_cross_check",
                "{count} problem(s) across the course:\n{details}",
                {"count": len(problems), "details": details, "problems": problems},
            )
        return self

    # -- convenience -------------------------------------------------------------------------

    @property
    def student_tracks(self) -> list[str]:
        """Track ids a student can belong to: every track except 'common'."""
        return [t.id for t in self.tracks if t.id != COMMON_TRACK]

    def assignment(self, assignment_id: str) -> Assignment:
        """The assignment with this id; KeyError naming the known ids otherwise."""
        for a in self.assignments:
            if a.id == assignment_id:
                return a
        raise KeyError(f"no assignment {assignment_id!r}; known: {', '.join(a.id for a in self.assignments) or 'none'}")

    def contest(self, contest_id: str) -> Contest:
        """The contest with this id; KeyError naming the known ids otherwise."""
        for k in self.contests:
            if k.id == contest_id:
                return k
        raise KeyError(f"no contest {contest_id!r}; known: {', '.join(k.id for k in self.contests) or 'none'}")

    def assignments_for_track(self, track: str) -> list[Assignment]:
        """Assignments a student of `track` must do: the common ones plus that track's own, in file order."""
        if track not in {t.id for t in self.tracks}:
            raise KeyError(f"no track {track!r}; known: {', '.join(t.id for t in self.tracks)}")
        return [a for a in self.assignments if COMMON_TRACK in a.tracks or track in a.tracks]

    @property
    def source_path(self) -> Path | None:
        """The course.yaml this was loaded from (None when built in memory)."""
        return self._source

    @property
    def resolved_assignments_dir(self) -> Path:
        """Absolute assignments directory, resolved against the course.yaml's directory by load_course()."""
        if self._assignments_dir is None:
            raise RuntimeError("this Course was not loaded from a file, so assignments_dir is unresolved; use load_course()")
        return self._assignments_dir


def _dotted(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _localise_datetimes(c: Course) -> None:
    tz = c.course.tz
    for a in c.assignments:
        a.release = a.release if a.release.tzinfo else a.release.replace(tzinfo=tz)
        a.due = a.due if a.due.tzinfo else a.due.replace(tzinfo=tz)
    for e in c.late_policy.extensions:
        if e.until is not None and e.until.tzinfo is None:
            e.until = e.until.replace(tzinfo=tz)
    for k in c.contests:
        for ph in k.phases:
            ph.starts = ph.starts if ph.starts.tzinfo else ph.starts.replace(tzinfo=tz)
            ph.ends = ph.ends if ph.ends.tzinfo else ph.ends.replace(tzinfo=tz)


def _duplicates(items: list[Any], section: str, kind: str) -> list[tuple[Loc, str]]:
    first: dict[str, int] = {}
    out = []
    for i, item in enumerate(items):
        if item.id in first:
            out.append(((section, i, "id"), f"duplicate {kind} id {item.id!r} (first at {section}[{first[item.id]}])"))
        else:
            first[item.id] = i
    return out


def _check_refs(
    loc: Loc, values: list[str], known: set[str], kind: str, *, tracks: bool = False
) -> list[tuple[Loc, str]]:
    out = []
    seen: set[str] = set()
    for j, value in enumerate(values):
        if value in seen:
            out.append(((*loc, j), f"{kind} {value!r} is listed twice"))
        elif value not in known:
            out.append(((*loc, j), f"undefined {kind} {value!r}; defined: {', '.join(sorted(known)) or 'none'}"))
        seen.add(value)
    if tracks and COMMON_TRACK in values and len(values) > 1:
        out.append((loc, "'common' already means every track; list it alone"))
    return out


def _cross_problems(c: Course) -> list[tuple[Loc, str]]:
    """Every problem that needs more than one field to see, each with its location."""
    problems: list[tuple[Loc, str]] = []
    for section, kind in (("tracks", "track"), ("competencies", "competency"), ("modules", "module"), ("assignments", "assignment")):
        problems += _duplicates(getattr(c, section), section, kind)

    track_ids = {t.id for t in c.tracks}
    comp_ids = {k.id for k in c.competencies}
    modules = {m.id: m for m in c.modules}
    missing = [t for t in REQUIRED_TRACKS if t not in track_ids]
    if missing:
        problems.append((("tracks",), f"missing required track(s): {', '.join(missing)}"))
    for i, t in enumerate(c.tracks):
        if t.id in RESERVED_GROUPS:
            problems.append((("tracks", i, "id"), f"{t.id!r} is reserved for a hub group; choose another track id"))

    info = c.course
    if info.ends <= info.starts:
        problems.append((("course", "ends"), f"the term ends ({info.ends}) on or before it starts ({info.starts})"))
    if int(info.term[:4]) != info.starts.year:
        problems.append((("course", "starts"), f"term {info.term!r} but the term starts in {info.starts.year}"))

    for i, m in enumerate(c.modules):
        problems += _check_refs(("modules", i, "tracks"), m.tracks, track_ids, "track", tracks=True)
        problems += _check_refs(("modules", i, "competencies"), m.competencies, comp_ids, "competency")
        problems += _check_refs(("modules", i, "prerequisites"), m.prerequisites, set(modules), "module")
        for j, pid in enumerate(m.prerequisites):
            p = modules.get(pid)
            if p is not None and (p.year, p.semester) >= (m.year, m.semester):
                problems.append((
                    ("modules", i, "prerequisites", j),
                    f"prerequisite {pid!r} (year {p.year}, semester {p.semester}) is not placed before "
                    f"{m.id!r} (year {m.year}, semester {m.semester})",
                ))

    tz = info.tz
    term_start = datetime.combine(info.starts, datetime.min.time(), tzinfo=tz)
    term_end = datetime.combine(info.ends + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    for i, a in enumerate(c.assignments):
        if a.module not in modules:
            problems.append((("assignments", i, "module"), f"undefined module {a.module!r}"))
        problems += _check_refs(("assignments", i, "tracks"), a.tracks, track_ids, "track", tracks=True)
        problems += _check_refs(("assignments", i, "competencies"), a.competencies, comp_ids, "competency")
        if a.release >= a.due:
            problems.append((("assignments", i, "due"), f"due {a.due.isoformat()} is not after release {a.release.isoformat()}"))
        if not term_start <= a.release < term_end:
            problems.append((("assignments", i, "release"), f"release {a.release.isoformat()} is outside the term ({info.starts} to {info.ends})"))
        if not term_start <= a.due < term_end:
            problems.append((("assignments", i, "due"), f"due {a.due.isoformat()} is outside the term ({info.starts} to {info.ends})"))

    by_id = {a.id: a for a in c.assignments}
    seen_ext: dict[tuple[str, str], int] = {}
    for i, e in enumerate(c.late_policy.extensions):
        loc: Loc = ("late_policy", "extensions", i)
        a = by_id.get(e.assignment)
        if a is None:
            problems.append(((*loc, "assignment"), f"extension for unknown assignment {e.assignment!r}"))
        elif e.until is not None and e.until <= a.due:
            problems.append(((*loc, "until"), f"until {e.until.isoformat()} is not after the due date {a.due.isoformat()}"))
        key = (e.student, e.assignment)
        if key in seen_ext:
            problems.append((loc, f"second extension for {e.student!r} on {e.assignment!r} (first at extensions[{seen_ext[key]}])"))
        seen_ext.setdefault(key, i)
    return problems + _contest_problems(c)


def _contest_problems(c: Course) -> list[tuple[Loc, str]]:
    problems = _duplicates(c.contests, "contests", "contest")
    for i, k in enumerate(c.contests):
        loc: Loc = ("contests", i)
        problems += [((*loc, *where), msg) for where, msg in _duplicates(k.phases, "phases", "phase")]
        for j, ph in enumerate(k.phases):
            if ph.starts >= ph.ends:
                problems.append(((*loc, "phases", j, "ends"), f"ends {ph.ends.isoformat()} is not after starts"))
            if j and ph.starts < k.phases[j - 1].ends:
                problems.append(((*loc, "phases", j, "starts"), "phase starts before the previous one ends"))
        problems += [((*loc, "teams", *where), msg) for where, msg in _duplicates(k.teams.fixed, "fixed", "team")]
        members: dict[str, str] = {}
        for j, t in enumerate(k.teams.fixed):
            if len(t.members) > k.teams.max_size:
                problems.append(((*loc, "teams", "fixed", j, "members"),
                                 f"{len(t.members)} members; max_size is {k.teams.max_size}"))
            for m in t.members:
                if m in members:
                    problems.append(((*loc, "teams", "fixed", j, "members"), f"{m!r} is already in team {members[m]!r}"))
                members.setdefault(m, t.id)
        d = k.data
        if d.task == "table" and not d.table:
            problems.append(((*loc, "data", "table"), "task 'table' needs the Parquet file's name"))
        if d.test_groups and d.task == "table" and not d.group:
            problems.append(((*loc, "data", "group"), "test_groups needs the group column"))
        segmentation = d.task in SEGMENTATION_TASKS
        if segmentation != (k.metric == "dice"):
            problems.append(((*loc, "metric"), f"task {d.task!r} is scored with 'dice'" if segmentation else
                             f"metric 'dice' needs a segmentation task ({', '.join(SEGMENTATION_TASKS)})"))
        if segmentation and k.submission != "notebook":
            problems.append(((*loc, "submission"), f"task {d.task!r} takes notebooks (predict() returns masks)"))
        if segmentation and d.test_groups:
            problems.append(((*loc, "data", "test_groups"), f"task {d.task!r} has no groups: use test_fraction"))
    return problems
