"""Leaderboards from the record: public (best public score per team) and private (the best private score among
each team's chosen submissions; none chosen: its best public one), with bootstrap intervals, ties within noise,
the number of submissions and the shake-up (public rank minus private rank)."""
from __future__ import annotations

from dataclasses import dataclass

from medai.course.model import Contest
from medai.grader.contest.metrics import METRICS
from medai.grader.contest.store import SCORED, Store, SubmissionRow


@dataclass
class Entry:
    rank: int
    team: str
    score: float
    low: float
    high: float
    submissions: int
    submission_id: int
    tied: bool = False  # within the interval of the team ranked above it (or of one below)
    shake: int | None = None  # private board: public rank - private rank (positive: moved up)


@dataclass
class Board:
    kind: str  # "public" | "private"
    metric: str
    higher_is_better: bool
    entries: list[Entry]


def _better(metric: str):
    up = METRICS[metric].higher_is_better
    return (lambda v: -v) if up else (lambda v: v)


def best_public(rows: list[SubmissionRow], metric: str) -> SubmissionRow | None:
    scored = [r for r in rows if r.status == SCORED and r.public is not None]
    key = _better(metric)
    return min(scored, key=lambda r: (key(r.public), r.id)) if scored else None


def _rank(entries: list[Entry], metric: str) -> list[Entry]:
    key = _better(metric)
    entries.sort(key=lambda e: (key(e.score), e.submission_id))
    head = None
    for i, e in enumerate(entries):
        if head is not None and head.low <= e.score <= head.high:
            e.rank, e.tied, head.tied = head.rank, True, True
        else:
            e.rank, head = i + 1, e
    return entries


def public_board(contest: Contest, store: Store) -> Board:
    by_team: dict[str, list[SubmissionRow]] = {}
    for row in store.submissions():
        by_team.setdefault(row.team, []).append(row)
    entries = []
    for team, rows in by_team.items():
        best = best_public(rows, contest.metric)
        if best is not None:
            entries.append(Entry(0, team, best.public, best.public_low, best.public_high, len(rows), best.id))
    return Board("public", contest.metric, METRICS[contest.metric].higher_is_better, _rank(entries, contest.metric))


def chosen_or_default(rows: list[SubmissionRow], metric: str) -> list[SubmissionRow]:
    chosen = [r for r in rows if r.chosen and r.status == SCORED]
    if chosen:
        return chosen
    best = best_public(rows, metric)
    return [best] if best else []


def private_board(contest: Contest, store: Store) -> Board:
    public_ranks = {e.team: e.rank for e in public_board(contest, store).entries}
    by_team: dict[str, list[SubmissionRow]] = {}
    for row in store.submissions():
        by_team.setdefault(row.team, []).append(row)
    key = _better(contest.metric)
    entries = []
    for team, rows in by_team.items():
        counted = [r for r in chosen_or_default(rows, contest.metric) if r.private is not None]
        if counted:
            best = min(counted, key=lambda r: (key(r.private), r.id))
            entries.append(Entry(0, team, best.private, best.private_low, best.private_high, len(rows), best.id))
    board = Board("private", contest.metric, METRICS[contest.metric].higher_is_better, _rank(entries, contest.metric))
    for e in board.entries:
        e.shake = public_ranks[e.team] - e.rank if e.team in public_ranks else None
    return board
