"""Where a contest keeps its files (pure paths; no I/O).

    <course dir>/contests/<id>/hidden/inputs.parquet    hidden test inputs (enter the sandbox, nothing else)
    <course dir>/contests/<id>/hidden/labels.parquet    their labels and the public/private flag (never enter it)
    <course dir>/contests/<id>/contest.sqlite           teams, submissions, scores, the reveal
    <course dir>/contests/<id>/seed                     the contest's private seed (drawn by the first prepare)
    <course dir>/contests/<id>/source/                  the whole task's data: a cohort generated with that seed
                                                        (task omop-mi) or the instructor's table (task table)
    <data dir>/contests/<id>/train.parquet              the training part, readable by students
    <data dir>/contests/<id>/test_inputs.parquet        only for predictions-file contests: the inputs to predict
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from medai.course.layout import Layout

ID = "id"  # the row id column every contest table has
PREDICTIONS_MIME = "application/vnd.medai.contest-predictions+json"


@dataclass(frozen=True)
class ContestPaths:
    course_dir: Path
    data_dir: Path
    contest_id: str

    @classmethod
    def of(cls, layout: Layout, contest_id: str, *, data_dir: Path | None = None) -> "ContestPaths":
        return cls(course_dir=layout.course_dir, data_dir=data_dir or layout.data_dir, contest_id=contest_id)

    @property
    def private(self) -> Path:
        return self.course_dir / "contests" / self.contest_id

    @property
    def hidden_dir(self) -> Path:
        return self.private / "hidden"

    @property
    def hidden_inputs(self) -> Path:
        return self.hidden_dir / "inputs.parquet"

    @property
    def hidden_labels(self) -> Path:
        return self.hidden_dir / "labels.parquet"

    @property
    def database(self) -> Path:
        return self.private / "contest.sqlite"

    @property
    def seed_file(self) -> Path:
        return self.private / "seed"

    @property
    def source_dir(self) -> Path:
        return self.private / "source"

    @property
    def public(self) -> Path:
        return self.data_dir / "contests" / self.contest_id

    @property
    def train(self) -> Path:
        return self.public / "train.parquet"

    @property
    def test_inputs(self) -> Path:
        return self.public / "test_inputs.parquet"
