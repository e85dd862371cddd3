"""What the LMS should hold for each student and assignment, from the progress model: the one stored score
(late penalty included) on the assignment's points scale (course.yaml `points`), and the AGS progress words.

| medai state            | activityProgress | gradingProgress | scoreGiven                       |
| graded                 | Completed        | FullyGraded     | final % x points / 100           |
| needs_manual_grading   | Submitted        | PendingManual   | the autograded part, same scale  |
| submitted (not graded) | Submitted        | Pending         | none                             |
| anything else          | nothing is sent (the LMS's cell stays as it is)              |

`best` resubmission policy (course.yaml `lms.resubmissions`): a fully graded score lower than the best one sent
for that student is not sent again (the LMS keeps the best).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from medai.progress.model import AssignmentProgress, ProgressReport

PROGRESS = {
    "graded": ("Completed", "FullyGraded"),
    "needs_manual_grading": ("Submitted", "PendingManual"),
    "submitted": ("Submitted", "Pending"),
}


@dataclass(frozen=True)
class Wanted:
    """One score the LMS should hold: for whom, where, and the AGS body without its timestamp."""

    assignment: str
    student: str
    user_id: str
    body: dict

    @property
    def key(self) -> str:
        return f"{self.assignment}/{self.student}"

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps({"u": self.user_id, **self.body}, sort_keys=True).encode()).hexdigest()

    @property
    def score_given(self) -> float | None:
        return self.body.get("scoreGiven")


def _round(v: float) -> float:
    return round(v + 0.0, 4)


def score_body(a: AssignmentProgress, *, user_id: str) -> dict | None:
    if a.state not in PROGRESS:
        return None
    activity, grading = PROGRESS[a.state]
    body = {"userId": user_id, "activityProgress": activity, "gradingProgress": grading,
            "scoreMaximum": _round(a.points)}
    if a.state != "submitted" and a.final_percent is not None:
        body["scoreGiven"] = _round(a.final_percent * a.points / 100)
    if a.submitted_at:
        body["submission"] = {"submittedAt": a.submitted_at}
    return body


def wanted_scores(report: ProgressReport, *, user_ids: dict[str, str],
                  assignment: str | None = None) -> tuple[list[Wanted], list[str]]:
    """(the scores to hold, roster students the LMS does not know: they get nothing and are reported)."""
    out, unknown = [], []
    for s in report.students:
        uid = user_ids.get(s.id)
        rows = [a for a in s.assignments if assignment is None or a.assignment == assignment]
        if uid is None:
            if any(a.state in PROGRESS for a in rows):
                unknown.append(s.id)
            continue
        for a in rows:
            body = score_body(a, user_id=uid)
            if body is not None:
                out.append(Wanted(a.assignment, s.id, uid, body))
    return out, unknown
