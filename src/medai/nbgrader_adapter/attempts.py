"""Every graded attempt of a submission: what nbgrader's gradebook forgets. It keeps one submission per student
and assignment, so a resubmission graded on submit replaces the first attempt's scores; medai's grader appends
each recorded attempt's grade-cell scores here, and the instructor's item analysis reads the first and the latest.

    <course dir>/.medai-grade/<assignment>/attempts/<student>.jsonl
        one JSON object a line: {"timestamp": submission's timestamp (UTC ISO), "graded_at": ...,
        "cells": {"<notebook>/<grade_id>": score or null (waits for a hand grade)}}

The same submission graded again (a forced regrade) is the same attempt: the last line of a timestamp counts.
Depends on nbgrader 0.9.6 keeping one SubmittedAssignment per (assignment, student).
"""
from __future__ import annotations

import json
import os
from pathlib import Path

STATE_DIR = ".medai-grade"  # medai.grader.state.STATE_DIR (tests/test_insight.py checks they agree)


def attempts_dir(course_dir: str | Path, assignment: str) -> Path:
    return Path(course_dir) / STATE_DIR / assignment / "attempts"


def append_attempt(course_dir: str | Path, assignment: str, student: str, *, timestamp: str | None,
                   graded_at: str, cells: dict[str, float | None]) -> None:
    """Add one attempt's scores (appended whole in one write, so a reader never sees half a line)."""
    folder = attempts_dir(course_dir, assignment)
    folder.mkdir(parents=True, exist_ok=True)
    line = json.dumps({"timestamp": timestamp, "graded_at": graded_at, "cells": cells}, ensure_ascii=False) + "\n"
    fd = os.open(folder / f"{student}.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode("utf-8"))
    finally:
        os.close(fd)


def read_attempts(course_dir: str | Path, assignment: str) -> dict[str, list[dict]]:
    """student -> their attempts, oldest first (one per submission timestamp, its last grading); students
    without a readable log are missing."""
    out: dict[str, list[dict]] = {}
    folder = attempts_dir(course_dir, assignment)
    if not folder.is_dir():
        return out
    for path in sorted(folder.glob("*.jsonl")):
        by_time: dict[str, dict] = {}
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError:
            continue
        for line in lines:
            try:
                record = json.loads(line)
            except ValueError:
                continue  # a torn line: skip it, keep the others
            if isinstance(record, dict) and isinstance(record.get("cells"), dict):
                by_time[str(record.get("timestamp") or record.get("graded_at"))] = record
        if by_time:
            out[path.stem] = [by_time[k] for k in sorted(by_time)]
    return out
