"""What grading produced, as plain dataclasses that round-trip through JSON (the resumable state, the summary).

One :class:`SubmissionResult` per student and assignment: a status with a reason a person can act on, the
score of every grade cell as nbgrader's gradebook holds it, what was restored (tampering), and lateness.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import Enum


class Status(str, Enum):
    GRADED = "graded"  # executed and scored
    FAILED = "failed"  # could not be graded (kernel died, error in nbgrader, ...): see reason
    TIMED_OUT = "timed out"  # the wall-clock limit for the submission ran out; its processes were killed
    INVALID = "invalid"  # a notebook is not valid JSON / not a notebook
    MISSING = "missing"  # a notebook of the assignment was not submitted (nbgrader scores it 0)
    CELL_TIMEOUT = "cell timeout"  # scored as nbgrader scores it, but a cell ran into nbgrader's cell timeout

    @property
    def needs_attention(self) -> bool:
        return self not in (Status.GRADED, Status.MISSING)

    @property
    def scored(self) -> bool:
        """Executed and scored into the gradebook (feedback can be made), whether or not a person should look."""
        return self in (Status.GRADED, Status.CELL_TIMEOUT)


@dataclass
class CellScore:
    grade_id: str
    score: float
    max_score: float
    auto_score: float | None = None
    needs_manual_grade: bool = False


@dataclass
class NotebookResult:
    name: str
    status: Status
    reason: str = ""
    cells: list[CellScore] = field(default_factory=list)
    seconds: float = 0.0
    late_penalty: float = 0.0

    @property
    def score(self) -> float:
        return sum(c.score for c in self.cells)

    @property
    def max_score(self) -> float:
        return sum(c.max_score for c in self.cells)


@dataclass
class LateRecord:
    """How late a graded submission was, as the run records it in its JSON state (by course.yaml's policy, or
    nbgrader's own when there is no course.yaml). The field names are the state files' keys: keep them."""

    seconds_late: float
    days_late: int = 0
    penalty_percent: float = 0.0
    deadline: str | None = None
    policy: str = "course.yaml"


@dataclass
class SubmissionResult:
    assignment: str
    student: str
    fingerprint: str
    status: Status
    reason: str = ""
    notebooks: list[NotebookResult] = field(default_factory=list)
    tampered: list[str] = field(default_factory=list)  # what nbgrader restored: "p1.ipynb: cell ro1 checksum"
    late: LateRecord | None = None
    timestamp: str | None = None  # the submission's own timestamp (nbgrader's timestamp.txt), UTC ISO
    recorded: bool = False  # scores are in the gradebook and the autograded notebooks written
    feedback: bool = False
    feedback_hidden_tests: bool | None = None  # feedback withheld the hidden tests (None: no feedback)
    graded_at: str = ""
    seconds: float = 0.0

    @property
    def score(self) -> float:
        return sum(nb.score - nb.late_penalty for nb in self.notebooks)

    @property
    def max_score(self) -> float:
        return sum(nb.max_score for nb in self.notebooks)

    @property
    def needs_attention(self) -> bool:
        return self.status.needs_attention or bool(self.tampered)

    def cell_scores(self) -> dict[tuple[str, str], float]:
        """(notebook, grade_id) -> score: what the identical-score tests compare."""
        return {(nb.name.removesuffix(".ipynb"), c.grade_id): c.score for nb in self.notebooks for c in nb.cells}

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1, ensure_ascii=False, default=str)

    @classmethod
    def from_json(cls, text: str) -> "SubmissionResult":
        data = json.loads(text)
        notebooks = [
            NotebookResult(**{**nb, "status": Status(nb["status"]), "cells": [CellScore(**c) for c in nb["cells"]]})
            for nb in data.pop("notebooks")
        ]
        late = LateRecord(**data.pop("late")) if data.get("late") else data.pop("late", None)
        return cls(**{**data, "status": Status(data.pop("status")), "notebooks": notebooks, "late": late})


@dataclass
class Summary:
    """The end of a run: counts for the person at the terminal, and the exit code."""

    assignment: str
    results: list[SubmissionResult] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # already graded, unchanged since
    carried: list[SubmissionResult] = field(default_factory=list)  # skipped, but still needing attention
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)  # exchange folders newly rejected, with why

    def count(self, status: Status) -> int:
        return sum(r.status == status for r in self.results)

    @property
    def tampered(self) -> list[SubmissionResult]:
        return [r for r in self.results if r.tampered]

    @property
    def late(self) -> list[SubmissionResult]:
        return [r for r in self.results if r.late and r.late.seconds_late > 0]

    @property
    def attention(self) -> list[SubmissionResult]:
        return [r for r in self.results + self.carried if r.needs_attention]

    @property
    def exit_code(self) -> int:
        """0: everything graded cleanly; 1: something needs a person (failed, timed out, a cell timeout, invalid,
        tampered, a submission the exchange check rejected)."""
        return 1 if self.attention or self.rejected else 0

    def lines(self) -> list[str]:
        n = len(self.results)
        rate = f", {n / self.seconds:.2f} submissions/s" if self.seconds and n else ""
        out = [
            f"{self.assignment}: {n} processed this run, {len(self.skipped)} unchanged since last run "
            f"({self.seconds:.1f} s{rate})",
            f"  graded {self.count(Status.GRADED)}, cell timeout {self.count(Status.CELL_TIMEOUT)}, "
            f"failed {self.count(Status.FAILED)}, timed out {self.count(Status.TIMED_OUT)}, "
            f"invalid {self.count(Status.INVALID)}, "
            f"tampered {len(self.tampered)}, late {len(self.late)}"
            + (f", rejected from the exchange {len(self.rejected)}" if self.rejected else ""),
        ]
        for r in self.attention:
            said = [f"{r.status.value}: {r.reason}"] if r.status.needs_attention else []
            said += ["tampered: " + "; ".join(r.tampered[:3])] if r.tampered else []
            out.append(f"  ! {r.student}: " + "; ".join(said))
        for folder, reason in self.rejected:
            out.append(f"  ! rejected {folder}: {reason}")
        for r in self.late:
            if r.late.policy == "course.yaml":
                out.append(f"  late {r.student}: {r.late.days_late} day(s), -{r.late.penalty_percent:g}%")
            else:
                out.append(f"  late {r.student}: {r.late.seconds_late / 3600:.1f} h after the gradebook's due date "
                           "(nbgrader's late plugin decides any penalty)")
        out += [f"  note: {n}" for n in self.notes]
        return out
