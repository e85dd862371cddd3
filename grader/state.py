"""The grading state inside the course directory: one JSON file per submission, written atomically.

    <course>/.medai-grade/<assignment>/<student>.json            the SubmissionResult (recorded or not)
    <course>/.medai-grade/<assignment>/executed/<student>/*.ipynb  executed notebooks not yet recorded

A submission is done when its JSON says `recorded` and its fingerprint (a hash of the submitted files, the
source notebooks and the grading settings) is unchanged. Executed notebooks are kept until they are recorded,
so a run killed between execution and recording does not run the code again. Gradebook writes are
idempotent (nbgrader's update-or-create on unique keys), so repeating a recording duplicates nothing.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from pathlib import Path

from medai.grader.results import SubmissionResult

STATE_DIR = ".medai-grade"


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _hash_tree(h, root: Path, label: str) -> None:
    if not root.is_dir():
        h.update(f"{label}:absent\n".encode())
        return
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()):
        h.update(f"{label}:{path.relative_to(root).as_posix()}\n".encode())
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)


class GradeState:
    """State of one assignment's grading in one course directory."""

    def __init__(self, course_dir: Path, assignment: str):
        self.root = Path(course_dir) / STATE_DIR / assignment
        self.assignment = assignment

    def ensure(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root.parent, 0o700)

    def result_path(self, student: str) -> Path:
        return self.root / f"{student}.json"

    def load(self, student: str) -> SubmissionResult | None:
        try:
            return SubmissionResult.from_json(self.result_path(student).read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError, KeyError, TypeError):
            return None  # unreadable state is as good as none: grade again

    def save(self, result: SubmissionResult) -> None:
        _write_atomic(self.result_path(result.student), result.to_json().encode("utf-8"))

    def save_attempt(self, result: SubmissionResult) -> None:
        """Keep this graded attempt's cell scores beside the others (the gradebook keeps the latest only): the
        instructor's item analysis of first attempts (medai.nbgrader_adapter.attempts)."""
        from medai.nbgrader_adapter.attempts import append_attempt

        cells = {f"{nb.name.removesuffix('.ipynb')}/{c.grade_id}": (None if c.needs_manual_grade else c.score)
                 for nb in result.notebooks for c in nb.cells}
        append_attempt(self.root.parent.parent, self.assignment, result.student, timestamp=result.timestamp,
                       graded_at=result.graded_at, cells=cells)

    def all(self) -> list[SubmissionResult]:
        out = []
        for path in sorted(self.root.glob("*.json")):
            result = self.load(path.stem)
            if result is not None:
                out.append(result)
        return out

    def save_receipt(self, student: str, receipt: dict) -> None:
        """How a collected submission arrived: its folder, claimed and received times (see
        medai.nbgrader_adapter.collect)."""
        _write_atomic(self.root / "receipts" / f"{student}.json", json.dumps(receipt, indent=1).encode())

    def rejected_before(self, rejected: list[tuple[str, str]]) -> set[str]:
        """Which of these rejected exchange folders were reported by an earlier run; remembers them all."""
        path = self.root / "rejected.json"
        try:
            seen = set(json.loads(path.read_text(encoding="utf-8")))
        except (FileNotFoundError, ValueError):
            seen = set()
        now = {folder for folder, _ in rejected}
        if now - seen:
            _write_atomic(path, json.dumps(sorted(seen | now)).encode())
        return seen & now

    # executed notebooks waiting to be recorded

    def executed_dir(self, student: str) -> Path:
        return self.root / "executed" / student

    def save_executed(self, student: str, fingerprint: str, notebooks: dict[str, str]) -> None:
        folder = self.executed_dir(student)
        for name, text in notebooks.items():
            _write_atomic(folder / name, text.encode("utf-8"))
        _write_atomic(folder / ".fingerprint", fingerprint.encode())

    def load_executed(self, student: str, fingerprint: str) -> dict[str, str] | None:
        folder = self.executed_dir(student)
        try:
            if (folder / ".fingerprint").read_text() != fingerprint:
                return None
        except FileNotFoundError:
            return None
        return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.ipynb"))}

    def drop_executed(self, student: str) -> None:
        shutil.rmtree(self.executed_dir(student), ignore_errors=True)


def fingerprint(*, course_dir: Path, assignment: str, student: str, submitted_dir: Path, source_dir: Path,
                settings: str) -> str:
    """Changes when the submission, the assignment's source or the grading settings change."""
    h = hashlib.sha256()
    h.update(f"{assignment}\n{student}\n{settings}\n".encode())
    _hash_tree(h, submitted_dir, "submitted")
    _hash_tree(h, source_dir, "source")
    return h.hexdigest()[:32]


def _make_lock_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    path.touch(exist_ok=True)


@contextlib.contextmanager
def course_lock(course_dir: Path, *, on_wait=None):
    """One grading run per course directory at a time (`medai grade`, grade-on-submit): the gradebook has one
    writer, and a second run waits for the first (`on_wait(message)` is told once) instead of failing. The lock
    is an flock on <course>/.medai-grade/lock, released by the kernel if a run dies."""
    import fcntl

    from medai.privileges import run_as_owner_of

    from medai.errors import UserError

    if not Path(course_dir).is_dir():
        raise UserError(f"course directory {course_dir} does not exist")
    path = Path(course_dir) / STATE_DIR / "lock"
    if not path.exists():
        run_as_owner_of(course_dir, _make_lock_file, path)  # the course's owner owns its state, even under root
    fd = os.open(path, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait(f"another grading run holds {path}; waiting for it to finish")
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
