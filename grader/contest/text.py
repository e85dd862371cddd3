"""Leaderboards and submissions as plain text (the CLI's `medai contest leaderboard`)."""
from __future__ import annotations

from medai.grader.contest.leaderboard import Board
from medai.grader.contest.store import SubmissionRow


def board_lines(board: Board) -> list[str]:
    arrow = "higher is better" if board.higher_is_better else "lower is better"
    lines = [f"{board.kind} leaderboard, {board.metric} ({arrow})",
             f"{'rank':>5}  {'team':<20} {'score':>8}  {'95% CI':<19} {'subs':>4}  shake-up"]
    for e in board.entries:
        rank = f"={e.rank}" if e.tied else str(e.rank)
        shake = "" if e.shake is None else f"{e.shake:+d}"
        lines.append(f"{rank:>5}  {e.team:<20} {e.score:>8.4f}  {e.low:.4f} to {e.high:.4f}  {e.submissions:>4}  {shake}")
    return lines


def submission_lines(rows: list[SubmissionRow]) -> list[str]:
    out = []
    for r in rows:
        score = f"public {r.public:.4f}" if r.public is not None else r.summary.format(**r.fields)
        out.append(f"#{r.id} {r.submitted.isoformat(timespec='seconds')} {r.team} ({r.student}) {r.status}: {score}"
                   + (f" [{r.reason}]" if r.reason else ""))
    return out
