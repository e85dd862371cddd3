"""Team rules: teams fixed in course.yaml (students of the roster), or formed by students within the size
limit; one team per student; with `mix_tracks`, a team submits only once its members span two tracks."""
from __future__ import annotations

from dataclasses import dataclass

from medai.course.model import SLUG_PATTERN, Contest
from medai.course.roster import Roster
from medai.grader.contest.store import Store
from medai.grader.contest.words import N_, ContestError


@dataclass(frozen=True)
class Students:
    """The roster's students and their tracks."""

    tracks: dict[str, str]

    @classmethod
    def of(cls, roster: Roster) -> "Students":
        return cls({p.id: p.track or "" for p in roster.by_role("student")})

    def check(self, student: str) -> None:
        if student not in self.tracks:
            raise ContestError(N_("{student} is not a student on the roster"), student=student)


def sync_fixed(contest: Contest, store: Store, students: Students) -> None:
    """Put the teams course.yaml fixes into the record (members must be students on the roster)."""
    for team in contest.teams.fixed:
        for m in team.members:
            students.check(m)
    if not contest.teams.fixed:
        return  # nothing to put: the record is not written (nor made, before `medai contest prepare`)
    with store.connect(write=True) as con:
        for team in contest.teams.fixed:
            store.add_team(con, team.id, fixed=True)
            for m in team.members:
                row = con.execute("SELECT team FROM members WHERE student = ?", (m,)).fetchone()
                if row is None:
                    store.add_member(con, team.id, m)
                elif row[0] != team.id:
                    raise ContestError(N_("{student} is already in team {team}"), student=m, team=row[0])


def create_team(contest: Contest, store: Store, students: Students, *, student: str, team: str) -> None:
    import re

    students.check(student)
    if not contest.teams.formed_by_students:
        raise ContestError(N_("teams of this contest are set by the instructors"))
    if not re.match(SLUG_PATTERN, team) or len(team) > 64:
        raise ContestError(N_("a team name is a lowercase letter, then lowercase letters, digits or '-'"))
    with store.connect(write=True) as con:
        if con.execute("SELECT 1 FROM teams WHERE team = ?", (team,)).fetchone():
            raise ContestError(N_("team {team} already exists"), team=team)
        _not_in_a_team(con, student)
        store.add_team(con, team)
        store.add_member(con, team, student)


def join_team(contest: Contest, store: Store, students: Students, *, student: str, team: str) -> None:
    students.check(student)
    if not contest.teams.formed_by_students:
        raise ContestError(N_("teams of this contest are set by the instructors"))
    with store.connect(write=True) as con:
        row = con.execute("SELECT fixed FROM teams WHERE team = ?", (team,)).fetchone()
        if row is None:
            raise ContestError(N_("there is no team {team}"), team=team)
        if row[0]:
            raise ContestError(N_("team {team} is set by the instructors"), team=team)
        _not_in_a_team(con, student)
        size = con.execute("SELECT COUNT(*) FROM members WHERE team = ?", (team,)).fetchone()[0]
        if size >= contest.teams.max_size:
            raise ContestError(N_("team {team} is full ({size} members at most)"), team=team,
                               size=contest.teams.max_size)
        store.add_member(con, team, student)


def _not_in_a_team(con, student: str) -> None:
    row = con.execute("SELECT team FROM members WHERE student = ?", (student,)).fetchone()
    if row:
        raise ContestError(N_("{student} is already in team {team}"), student=student, team=row[0])


def team_for_submission(contest: Contest, store: Store, students: Students, *, student: str) -> str:
    """The team `student` submits for; refused when not in one, or when tracks must mix and do not yet."""
    students.check(student)
    team = store.team_of(student)
    if team is None:
        raise ContestError(N_("{student} is in no team of this contest; create or join one first"), student=student)
    if contest.teams.mix_tracks:
        tracks = {students.tracks.get(m, "") for m in store.teams().get(team, [])}
        if len(tracks) < 2:
            raise ContestError(N_("team {team} must have members of more than one track before it submits"),
                               team=team)
    return team


def enrol(contest: Contest, store: Store, students: Students, *, student: str, team: str, create: bool) -> list[str]:
    """Create (`create`) or join `team` for `student`, after the course.yaml teams are in the record; the members."""
    sync_fixed(contest, store, students)
    (create_team if create else join_team)(contest, store, students, student=student, team=team)
    return store.teams()[team]
