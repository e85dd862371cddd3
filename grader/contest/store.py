"""The contest's record (SQLite, <course dir>/contests/<id>/contest.sqlite): teams, members, submissions with
their scores, the teams' final choices and the reveal. Written only outside the sandbox; results are plain
dataclasses."""
from __future__ import annotations

import json
import os
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS teams (team TEXT PRIMARY KEY, fixed INTEGER NOT NULL DEFAULT 0, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS members (student TEXT PRIMARY KEY, team TEXT NOT NULL REFERENCES teams(team));
CREATE TABLE IF NOT EXISTS submissions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, team TEXT NOT NULL, student TEXT NOT NULL, phase TEXT NOT NULL,
    submitted TEXT NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL, summary TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL DEFAULT '', fields TEXT NOT NULL DEFAULT '{}', seconds REAL NOT NULL DEFAULT 0,
    public REAL, public_low REAL, public_high REAL, private REAL, private_low REAL, private_high REAL,
    chosen INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS reveal (revealed TEXT NOT NULL, by TEXT NOT NULL);
"""
SCORED, FAILED = "scored", "failed"


@dataclass
class SubmissionRow:
    id: int
    team: str
    student: str
    phase: str
    submitted: datetime
    kind: str
    status: str
    summary: str  # what the team sees of a failure (no output, no message text of its code)
    reason: str  # what instructors see
    fields: dict  # the summary's placeholders
    seconds: float
    public: float | None
    public_low: float | None
    public_high: float | None
    private: float | None
    private_low: float | None
    private_high: float | None
    chosen: bool


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


class Store:
    def __init__(self, path: Path):
        self.path = path

    @contextmanager
    def connect(self, *, write: bool = False):
        if not write and not self.path.exists():
            con = sqlite3.connect(":memory:")
        else:
            fresh = not self.path.exists()
            con = sqlite3.connect(self.path, timeout=30)
            if fresh and os.geteuid() == 0:  # the record stays the course directory owner's (the page reads it)
                st = self.path.parent.stat()
                os.chown(self.path, st.st_uid, st.st_gid)
                self.path.chmod(0o600)
        try:
            con.execute("PRAGMA foreign_keys = ON")
            con.executescript(SCHEMA)
            with con:
                yield con
        finally:
            con.close()

    # -- teams ----------------------------------------------------------------------------------------

    def teams(self) -> dict[str, list[str]]:
        with self.connect() as con:
            out = {t: [] for (t,) in con.execute("SELECT team FROM teams ORDER BY team")}
            for student, team in con.execute("SELECT student, team FROM members ORDER BY student"):
                out.setdefault(team, []).append(student)
        return out

    def team_of(self, student: str) -> str | None:
        with self.connect() as con:
            row = con.execute("SELECT team FROM members WHERE student = ?", (student,)).fetchone()
        return row[0] if row else None

    def is_fixed(self, team: str) -> bool:
        with self.connect() as con:
            row = con.execute("SELECT fixed FROM teams WHERE team = ?", (team,)).fetchone()
        return bool(row and row[0])

    def add_team(self, con, team: str, *, fixed: bool = False) -> None:
        con.execute("INSERT OR IGNORE INTO teams (team, fixed, created) VALUES (?, ?, ?)",
                    (team, int(fixed), now_utc().isoformat()))

    def add_member(self, con, team: str, student: str) -> None:
        con.execute("INSERT INTO members (student, team) VALUES (?, ?)", (student, team))

    # -- submissions ----------------------------------------------------------------------------------

    def add_submission(self, *, team: str, student: str, phase: str, submitted: datetime, kind: str, status: str,
                       summary: str = "", reason: str = "", fields: dict | None = None, seconds: float = 0.0, public=None, private=None) -> int:
        pub = (public.value, public.low, public.high) if public else (None, None, None)
        priv = (private.value, private.low, private.high) if private else (None, None, None)
        with self.connect(write=True) as con:
            cur = con.execute(
                "INSERT INTO submissions (team, student, phase, submitted, kind, status, summary, reason, fields, "
                "seconds, public, public_low, public_high, private, private_low, private_high) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (team, student, phase, submitted.astimezone(timezone.utc).isoformat(), kind, status, summary, reason,
                 json.dumps(fields or {}), seconds, *pub, *priv))
            return int(cur.lastrowid)

    def submissions(self, team: str | None = None) -> list[SubmissionRow]:
        with self.connect() as con:
            query = "SELECT * FROM submissions" + (" WHERE team = ?" if team else "") + " ORDER BY id"
            rows = con.execute(query, (team,) if team else ()).fetchall()
        return [SubmissionRow(*r[:4], datetime.fromisoformat(r[4]), *r[5:9], json.loads(r[9]), *r[10:-1], bool(r[-1]))
                for r in rows]

    def set_chosen(self, team: str, ids: list[int]) -> None:
        with self.connect(write=True) as con:
            con.execute("UPDATE submissions SET chosen = 0 WHERE team = ?", (team,))
            con.executemany("UPDATE submissions SET chosen = 1 WHERE team = ? AND id = ?", [(team, i) for i in ids])

    # -- the reveal -----------------------------------------------------------------------------------

    def revealed(self) -> datetime | None:
        with self.connect() as con:
            row = con.execute("SELECT revealed FROM reveal LIMIT 1").fetchone()
        return datetime.fromisoformat(row[0]) if row else None

    def reveal(self, by: str) -> datetime:
        when = now_utc()
        with self.connect(write=True) as con:
            con.execute("DELETE FROM reveal")
            con.execute("INSERT INTO reveal (revealed, by) VALUES (?, ?)", (when.isoformat(), by))
        return when
