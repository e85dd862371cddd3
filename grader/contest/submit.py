"""Submitting to a contest: who (team rules), when (an open phase, the daily cap), what (a notebook run in the
sandbox, or a predictions file), then the score, computed here outside the sandbox, into the record.

A team's submissions of one calendar day (in the course's time zone) are capped; over the cap the submission is
refused, with the time the next one is allowed. Every recorded submission counts, failed ones too (a crash still
used the hidden set). Submissions of one team are serialised by a lock, so two at once cannot both pass the cap.
"""
from __future__ import annotations

import fcntl
import io
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path

from medai.course.model import Contest, ContestPhase, Course
from medai.grader.contest import teams
from medai.grader.contest.metrics import Score, score
from medai.grader.contest.paths import ID, ContestPaths
from medai.grader.contest.background import preparing
from medai.grader.contest.prepare import PUBLIC, contest_seed
from medai.grader.contest.sandboxed import Outcome, exec_spec, run_notebook
from medai.grader.contest.store import FAILED, SCORED, Store, now_utc
from medai.grader.contest.tasks import LABEL, SHAPE, masks
from medai.grader.contest.words import N_, ContestError
from medai.errors import UserError
from medai.grader.sandbox import ACCOUNT_PREFIX, Limits
from medai.grader.sandbox import unavailable_reason as sandbox_unavailable
from medai.settings import parse_size

PREDICTION = "prediction"


@dataclass
class SubmitOptions:
    unsafe: bool = False  # no sandbox (tests without root; never for students' code on a shared machine)
    sandbox_prefix: str = ACCOUNT_PREFIX
    limits: Limits | None = None  # None: the course's grading policy (memory), the contest's timeout_seconds


@dataclass
class Submitted:
    id: int
    team: str
    status: str
    public: Score | None
    summary: str = ""
    fields: dict = field(default_factory=dict)

    def lines(self) -> list[str]:
        if self.status == SCORED:
            return [f"submission {self.id} of team {self.team}: public score {self.public.value:.4f} "
                    f"(95% CI {self.public.low:.4f} to {self.public.high:.4f})"]
        return [f"submission {self.id} of team {self.team} failed: {self.summary.format(**self.fields)}"]


def open_phase(contest: Contest, when: datetime) -> ContestPhase | None:
    return next((ph for ph in contest.phases if ph.starts <= when < ph.ends), None)


def day_bounds(when: datetime, course: Course) -> tuple[datetime, datetime]:
    tz = course.course.tz
    start = datetime.combine(when.astimezone(tz).date(), time.min, tzinfo=tz)
    return start, start + timedelta(days=1)


def next_allowed(contest: Contest, course: Course, store: Store, team: str, when: datetime) -> datetime | None:
    """None when `team` may submit at `when`; else the moment it may again (the next day, course time)."""
    start, end = day_bounds(when, course)
    today = [r for r in store.submissions(team) if start <= r.submitted < end]
    return end if len(today) >= contest.daily_cap else None


@contextmanager
def team_lock(paths: ContestPaths, team: str):
    folder = paths.private / "locks"
    folder.mkdir(mode=0o700, exist_ok=True)
    with open(folder / f"{team}.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def hidden(paths: ContestPaths):
    import pandas as pd

    if not paths.hidden_labels.is_file():
        if preparing(paths):
            raise ContestError(N_("the contest's data are being prepared; submit again in a few minutes"))
        raise ContestError(N_("the contest is not prepared yet"))
    return pd.read_parquet(paths.hidden_labels)


def _from_file(data: bytes, labels) -> Outcome:
    """A predictions CSV (id, prediction), matched to the hidden rows by id."""
    import pandas as pd

    try:
        frame = pd.read_csv(io.BytesIO(data), dtype={ID: str})
        frame = frame.set_index(ID)[PREDICTION].astype(float)
        preds = frame.reindex(labels[ID])
    except Exception as err:  # noqa: BLE001 - the team's file
        return Outcome(None, N_("the predictions file needs the columns id and prediction"), {}, str(err))
    missing = int(preds.isna().sum())
    if missing:
        return Outcome(None, N_("the predictions file lacks {count} of the ids"), {"count": missing}, "")
    return Outcome([float(v) for v in preds])


def score_predictions(contest: Contest, labels, predictions: list[float], *, seed: int) -> tuple[Score, Score]:
    import numpy as np

    p = np.asarray(predictions, dtype=float)
    y = masks(labels) if SHAPE in labels else labels[LABEL].to_numpy()
    mask = labels[PUBLIC].to_numpy(bool)
    n = contest.bootstrap_resamples
    return (score(contest.metric, y[mask], p[mask], seed=seed, resamples=n),
            score(contest.metric, y[~mask], p[~mask], seed=seed + 1, resamples=n))


def submit(*, course: Course, contest_id: str, paths: ContestPaths, roster, student: str, data: bytes,
           options: SubmitOptions, layout, when: datetime | None = None) -> Submitted:
    """One submission by `student` for their team; ContestError when refused (nothing recorded then)."""
    contest = course.contest(contest_id)
    when = when or now_utc()
    store = Store(paths.database)
    students = teams.Students.of(roster)
    teams.sync_fixed(contest, store, students)
    team = teams.team_for_submission(contest, store, students, student=student)
    phase = open_phase(contest, when)
    if phase is None:
        raise ContestError(N_("contest {contest} takes no submissions now"), contest=contest.id)
    labels = hidden(paths)
    with team_lock(paths, team):
        later = next_allowed(contest, course, store, team, when)
        if later is not None:
            shown = later.astimezone(course.course.tz).strftime("%Y-%m-%d %H:%M %Z")
            raise ContestError(N_("team {team} has used its {cap} submissions of the day; the next is allowed from "
                                  "{when}"), team=team, cap=contest.daily_cap, when=shown)
        if contest.submission == "predictions":
            outcome = _from_file(data, labels)
        else:
            reason = None if options.unsafe else sandbox_unavailable()
            if reason:
                raise UserError(f"cannot sandbox the submission: {reason}")
            limits = options.limits or Limits(memory_bytes=parse_size(course.grading.memory),
                                              wall_seconds=float(contest.timeout_seconds))
            spec = exec_spec(layout=layout, data_dir=paths.data_dir, unsafe=options.unsafe,
                             prefix=options.sandbox_prefix, limits=limits)
            outcome = run_notebook(notebook=data, inputs=paths.hidden_inputs.read_bytes(), rows=len(labels),
                                   spec=spec, wall_seconds=min(limits.wall_seconds, contest.timeout_seconds),
                                   cell_timeout=contest.timeout_seconds,
                                   masks=tuple(labels[SHAPE].iloc[0]) if SHAPE in labels else None)
        public = private = None
        if outcome.predictions is not None:
            try:
                public, private = score_predictions(contest, labels, outcome.predictions,
                                                    seed=contest_seed(contest, paths))
            except ValueError as err:  # e.g. NaN predictions, labels where scores are expected
                outcome = Outcome(None, N_("the predictions could not be scored"), {}, str(err), outcome.seconds)
        status = SCORED if public is not None else FAILED
        ident = store.add_submission(team=team, student=student, phase=phase.id, submitted=when,
                                     kind=contest.submission, status=status, summary=outcome.summary,
                                     reason=outcome.reason, fields=outcome.fields, seconds=outcome.seconds,
                                     public=public, private=private)
    return Submitted(ident, team, status, public, outcome.summary, outcome.fields or {})


def choose(*, course: Course, contest_id: str, paths: ContestPaths, roster, student: str, ids: list[int]) -> None:
    """The team's submissions that count for the final ranking (at most final_choices, scored ones)."""
    contest = course.contest(contest_id)
    store = Store(paths.database)
    students = teams.Students.of(roster)
    team = teams.team_for_submission(contest, store, students, student=student)
    if len(ids) > contest.final_choices:
        raise ContestError(N_("a team may choose {count} submissions at most"), count=contest.final_choices)
    own = {r.id: r for r in store.submissions(team)}
    for i in ids:
        if i not in own or own[i].status != SCORED:
            raise ContestError(N_("submission {id} is not a scored submission of team {team}"), id=i, team=team)
    if now_utc() >= contest.final_phase.ends:
        raise ContestError(N_("the final phase is over; choices are closed"))
    store.set_chosen(team, ids)


def reveal(*, course: Course, contest_id: str, paths: ContestPaths, by: str, when: datetime | None = None) -> datetime:
    """Show the private leaderboard (instructors; only after the final phase ended)."""
    contest = course.contest(contest_id)
    when = when or now_utc()
    if when < contest.final_phase.ends:
        shown = contest.final_phase.ends.astimezone(course.course.tz).strftime("%Y-%m-%d %H:%M %Z")
        raise ContestError(N_("the private leaderboard can be revealed after the final phase ends ({when})"),
                           when=shown)
    return Store(paths.database).reveal(by)


def bytes_of(path: str | Path) -> bytes:
    p = Path(path)
    if not p.is_file():
        raise ContestError(N_("no file {path}"), path=str(p))
    return p.read_bytes()
