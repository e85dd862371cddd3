"""Read what progress is made of: the roster, nbgrader's gradebook (read only), the exchange and the homes.

- roster: <root>/roster.csv (the last imported one), parsed with medai.course.parse_roster;
- gradebook: nbgrader's Gradebook API on the course's gradebook.db, opened read-only (SQLite `mode=ro`);
  scores, submission timestamps (UTC) and the late penalty stored with each submission
  (medai.nbgrader_adapter.late_penalty: computed on the current total whenever it changes, the number the
  feedback and the formgrader show too); a stored penalty that course.yaml's policy would now put otherwise
  (the policy or an extension changed after grading) is reported, not recomputed;
- exchange: an assignment is released when exchange/<course>/outbound/<id>/ exists; a submission waiting in
  exchange/<course>/inbound/ or collected into <course dir>/submitted/ but not graded is "submitted";
- homes: "fetched" cannot be seen in the gradebook; it is read from <root>/home/<student>/<assignment>/, which
  only an account that can read the students' homes (0700) sees. The staff page runs as the grader account,
  which cannot: there, fetched assignments show as "released" and the report says so.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from medai.course import Course, parse_roster
from medai.course.layout import Layout
from medai.course.names import display_name
from medai.errors import UserError
from medai.nbgrader_adapter.collect import Rejection, account_uid, parse_inbound_name
from medai.nbgrader_adapter.gradebook import parse_timestamp, utc
from medai.progress.model import (
    GradedSubmission,
    Observations,
    ProgressReport,
    StudentInfo,
    Thresholds,
    compute_progress,
)


class GradebookMismatch(UserError):
    """The gradebook belongs to another course than course.yaml describes."""


def read_gradebook(db_url: str) -> tuple[set[str], dict[tuple[str, str], GradedSubmission], set[str]]:
    """(assignment names, (student, assignment) -> graded submission, assignments with hidden tests). Names come
    from the roster, not from here: the roster keeps each name whole (the gradebook holds the same,
    medai.course.names)."""
    from sqlalchemy.exc import SQLAlchemyError

    from medai.nbgrader_adapter.gradebook import (
        assignments_with_hidden_tests,
        gradebook,
        readonly_url,
        submission_totals,
    )
    from medai.nbgrader_adapter.late_penalty import stored_penalties

    if db_url.startswith("sqlite:///"):
        path = Path(db_url[len("sqlite:///"):])
        if not path.is_file():
            raise UserError(f"no gradebook at {path}: is --course-dir (or $MEDAI_COURSE_DIR) right? "
                            "`medai roster import` creates it")
        if not os.access(path, os.R_OK):
            raise UserError(f"cannot read the gradebook {path}: run as root or as its owner (the grader account)")
    try:
        # course_id="": nbgrader then adds no course row, so opening writes nothing
        with gradebook(readonly_url(db_url), course_id="") as gb:
            assignments = {a.name for a in gb.assignments}
            hidden = assignments_with_hidden_tests(gb)
            penalties = stored_penalties(gb)
            graded = {
                (student, name): GradedSubmission(
                    score=float(score or 0), max_score=float(top or 0), needs_manual_grade=bool(manual),
                    timestamp=ts.replace(tzinfo=timezone.utc) if ts is not None else None,
                    late_penalty=penalties.get((student, name), 0.0))
                for student, name, ts, score, top, manual in submission_totals(gb)}
    except SQLAlchemyError as err:
        raise UserError(f"cannot read the gradebook {db_url}: not an nbgrader gradebook? "
                        f"({type(err).__name__}: {str(err).splitlines()[0]})") from None
    return assignments, graded, hidden


def _exchange(course: Course, layout: Layout, obs: Observations, as_of: datetime) -> None:
    base = layout.exchange_dir / course.course.id
    outbound, inbound = base / "outbound", base / "inbound"
    if not outbound.is_dir():
        obs.released = {a.id for a in course.assignments if a.release <= as_of}
        obs.warnings.append(f"no exchange at {base}: assignments count as released from their release dates")
    else:
        released = {entry.name for entry in os.scandir(outbound) if entry.is_dir()}
        obs.released = {a.id for a in course.assignments if a.id in released}
        obs.withdrawn = released - {a.id for a in course.assignments}
    try:
        entries = os.listdir(inbound) if inbound.is_dir() else []
    except PermissionError:
        entries = []
        obs.warnings.append(f"cannot list {inbound}: submissions not yet collected are not shown")
    for entry in entries:  # nbgrader's name: <student>+<assignment>+<timestamp>[+<random>]
        try:
            name = parse_inbound_name(entry)
        except Rejection:
            continue  # not a submission (the collector rejects and reports it)
        if not _owned_by(inbound / entry, name.student):
            continue  # in someone else's name: not this student's submission
        key, ts = (name.student, name.assignment), utc(name.timestamp)
        if key not in obs.submitted or (ts and (obs.submitted[key] is None or ts > obs.submitted[key])):
            obs.submitted[key] = ts


def _owned_by(path: Path, student: str) -> bool:
    try:
        owner = path.lstat().st_uid
    except OSError:
        return False
    if owner == os.geteuid():  # put there by this (the graders') account
        return True
    uid = account_uid(student)
    return uid is not None and owner == uid


def _collected(layout: Layout, obs: Observations) -> None:
    submitted = layout.course_dir / "submitted"
    try:
        students = os.listdir(submitted)
    except OSError:
        return
    for student in students:
        try:
            assignments = os.listdir(submitted / student)
        except OSError:
            continue
        for assignment in assignments:
            try:
                ts = parse_timestamp((submitted / student / assignment / "timestamp.txt").read_text())
            except OSError:
                ts = None
            key = (student, assignment)
            if ts is not None or key not in obs.submitted:
                obs.submitted[key] = max(filter(None, (ts, obs.submitted.get(key))), default=None)


def _homes(course: Course, layout: Layout, student_ids: list[str], obs: Observations) -> None:
    wanted = {a.id for a in course.assignments}
    unreadable = 0
    for sid in student_ids:
        home = layout.home_dir / sid
        try:
            names = os.listdir(home)
        except FileNotFoundError:
            continue
        except OSError:
            unreadable += 1
            continue
        obs.fetched.update((sid, n) for n in names if n in wanted and (home / n).is_dir())
    obs.homes_readable = unreadable == 0
    if unreadable:
        obs.warnings.append(f"this account cannot read {unreadable} student home(s) under {layout.home_dir}: "
                            "fetched assignments show as 'released' for them")


def observe(*, course: Course, layout: Layout, students: list[StudentInfo], as_of: datetime,
            db_url: str | None = None) -> Observations:
    """Everything observable about the students' work; raises GradebookMismatch for another course's gradebook."""
    gb_assignments, graded, hidden = read_gradebook(db_url or layout.gradebook_url)
    obs = Observations(hidden_tests=hidden)
    known = {a.id for a in course.assignments}
    roster_ids = {s.id for s in students}
    if graded and gb_assignments and not (gb_assignments & known):
        raise GradebookMismatch(
            f"the gradebook ({db_url or layout.gradebook_url}) holds assignment(s) "
            f"{', '.join(sorted(gb_assignments))} and none of course.yaml's "
            f"({', '.join(sorted(known)) or 'none'}): is --course or --course-dir wrong?")
    extra = sorted(gb_assignments - known)
    if extra:
        obs.warnings.append(f"gradebook assignment(s) not in course.yaml: {', '.join(extra)}; their scores are "
                            "listed (state 'not_in_course') but count in no weighted score, track or LMS export: "
                            "add them to course.yaml to count them")
    strangers = sorted({s for s, a in graded if s not in roster_ids and a in known})
    if strangers:
        shown = ", ".join(strangers[:10]) + (f" and {len(strangers) - 10} more" if len(strangers) > 10 else "")
        obs.warnings.append(f"graded submissions of {len(strangers)} student(s) not on the roster, left out: {shown}")
    obs.graded = {k: v for k, v in graded.items() if k[0] in roster_ids and k[1] in known}
    obs.unlisted = {k: v for k, v in graded.items() if k[0] in roster_ids and k[1] not in known}
    _stale_penalties(course, obs)
    _exchange(course, layout, obs, as_of)
    _collected(layout, obs)
    obs.submitted_unlisted = {k for k in obs.submitted
                              if k[0] in roster_ids and k[1] not in known and k not in obs.unlisted}
    obs.submitted = {k: v for k, v in obs.submitted.items()
                     if k[0] in roster_ids and k[1] in known and k not in obs.graded}
    _homes(course, layout, [s.id for s in students], obs)
    for a in course.assignments:
        if a.release <= as_of and a.id not in obs.released:
            obs.warnings.append(f"{a.id}: its release date has passed but it is not in the exchange")
    return obs


def _stale_penalties(course: Course, obs: Observations) -> None:
    """Warn about stored late penalties that course.yaml's policy would now put otherwise (shown as stored)."""
    from medai.nbgrader_adapter.late_penalty import late_decision

    stale: dict[str, int] = {}
    for (student, assignment), g in sorted(obs.graded.items()):
        decision = late_decision(course, assignment_id=assignment, student_id=student, timestamp=g.timestamp)
        if decision is not None and abs(decision.penalty_points(g.score) - g.late_penalty) > 0.005:
            stale[assignment] = stale.get(assignment, 0) + 1
    for assignment, count in stale.items():
        obs.warnings.append(f"{assignment}: the late penalty stored for {count} submission(s) is not what "
                            f"course.yaml's late policy gives now (changed after grading?); shown as stored: "
                            f"`medai grade {assignment}` stores it again")


def roster_students(*, course: Course, roster_path: str | Path) -> list[StudentInfo]:
    """The roster's students (RosterError if the file is missing or bad)."""
    roster = parse_roster(roster_path, course=course)
    return [StudentInfo(p.id, display_name(p), p.email, p.track or "", p.cohort or "") for p in roster.by_role("student")]


@dataclass(frozen=True)
class ProgressInputs:
    """What progress is computed from at one moment: the course, its students and what was observed."""

    course: Course
    students: list[StudentInfo]
    observations: Observations
    as_of: datetime

    def report(self, thresholds: Thresholds | None = None) -> ProgressReport:
        return compute_progress(course=self.course, students=self.students, observations=self.observations,
                                as_of=self.as_of, thresholds=thresholds)


def load_inputs(*, course: Course, layout: Layout, roster_path: str | Path | None = None,
                as_of: datetime | None = None, db_url: str | None = None) -> ProgressInputs:
    """The roster's students and what the deployment's gradebook, exchange and homes show of their work."""
    as_of = as_of or datetime.now(timezone.utc)
    roster_path = Path(roster_path) if roster_path else layout.roster_file
    if not roster_path.is_file():
        raise UserError(f"no roster at {roster_path}: import one with `medai roster import FILE.csv` or pass --roster")
    students = roster_students(course=course, roster_path=roster_path)
    obs = observe(course=course, layout=layout, students=students, as_of=as_of, db_url=db_url)
    return ProgressInputs(course=course, students=students, observations=obs, as_of=as_of)


def load_progress(*, course: Course, layout: Layout, roster_path: str | Path | None = None,
                  as_of: datetime | None = None, thresholds: Thresholds | None = None,
                  db_url: str | None = None) -> ProgressReport:
    """Progress of every roster student, from the deployment's gradebook, exchange and homes."""
    return load_inputs(course=course, layout=layout, roster_path=roster_path, as_of=as_of,
                       db_url=db_url).report(thresholds)
