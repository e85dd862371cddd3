"""Steps before execution, in the single writer: fingerprint, resume, sanitize (nbgrader's own), build the job.

Sanitizing is nbgrader's `Autograde` converter itself, run for one student with an empty list of autograde
preprocessors: it creates the student and the submission (with its timestamp) in the gradebook, copies the
assignment's files over the student's, scores missing notebooks zero, and runs the configured sanitize
preprocessors (ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells, CheckCellMetadata) into the
autograded directory, exactly as `nbgrader autograde` does before it executes anything. What nbgrader reports
while restoring changed cells is kept as the submission's tampering record.
"""
from __future__ import annotations

import copy
import datetime as dt
import logging
import re
from pathlib import Path

from medai.grader.context import Submission
from medai.grader.execute import ExecJob
from medai.grader.results import Status, SubmissionResult
from medai.grader.state import fingerprint

_CHANGED = re.compile(r"Attribute '(\w+)' for cell (\S+) has changed")
_DUPLICATE = re.compile(r"Cell with id '(\S+)' exists multiple times")
_SANITIZING = re.compile(r"Sanitizing (.+\.ipynb)")


def submitted_dir(sub: Submission) -> Path:
    return Path(sub.run.target.coursedir().format_path("submitted", sub.student, sub.run.target.assignment))


def autograded_dir(sub: Submission) -> Path:
    return Path(sub.run.target.coursedir().format_path("autograded", sub.student, sub.run.target.assignment))


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def new_result(sub: Submission, status: Status, reason: str = "") -> SubmissionResult:
    return SubmissionResult(assignment=sub.run.target.assignment, student=sub.student, fingerprint=sub.fingerprint,
                            status=status, reason=reason, graded_at=_now())


def take_fingerprint(sub: Submission) -> None:
    run = sub.run
    sub.fingerprint = fingerprint(
        course_dir=run.target.course_dir, assignment=run.target.assignment, student=sub.student,
        submitted_dir=submitted_dir(sub),
        source_dir=Path(run.target.coursedir().format_path("source", ".", run.target.assignment)),
        settings=run.settings_key)


def resume(sub: Submission) -> None:
    """Unchanged and cleanly recorded before: nothing to do. Executed but not recorded: record, do not re-run."""
    if sub.run.options.force:
        sub.run.state.drop_executed(sub.student)
        return
    previous = sub.run.state.load(sub.student)
    if (previous is not None and previous.recorded and previous.fingerprint == sub.fingerprint
            and not previous.status.needs_attention):
        sub.result, sub.skipped, sub.done = previous, True, True
        return
    sub.executed = sub.run.state.load_executed(sub.student, sub.fingerprint)


class _Capture(logging.Handler):
    """Keeps (level, message) pairs, formatted at once: nbgrader logs gradebook objects that expire later."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.records: list[tuple[int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001
            message = str(record.msg)
        if record.exc_info and record.exc_info[1] is not None:
            message += f"\n{type(record.exc_info[1]).__name__}: {record.exc_info[1]}"
        self.records.append((record.levelno, message))


def _converter_log(name: str) -> tuple[logging.Logger, _Capture]:
    log = logging.getLogger(f"medai.grade.{name}")
    log.propagate = False
    log.setLevel(logging.INFO)
    for h in list(log.handlers):
        log.removeHandler(h)
    capture = _Capture()
    log.addHandler(capture)
    return log, capture


def run_converter(sub: Submission, converter_cls, *, config, name: str) -> tuple[bool, list[tuple[int, str]]]:
    """Run one of nbgrader's converters for this student; (succeeded, what it logged)."""
    from nbgrader.converters.base import NbGraderException

    log, capture = _converter_log(name)
    coursedir = sub.run.target.coursedir(assignment_id=sub.run.target.assignment, student_id=sub.student)
    converter = converter_cls(coursedir=coursedir, config=config, log=log)
    converter.force = True
    try:
        converter.start()
        ok = True
    except NbGraderException:
        ok = False
    except Exception as err:  # noqa: BLE001 - nbgrader raised outside its own handling
        log.error("%s: %s", type(err).__name__, err)
        ok = False
    return ok, capture.records


def _failure(records: list[tuple[int, str]]) -> tuple[Status, str]:
    text = "\n".join(message for level, message in records if level >= logging.ERROR)
    if re.search(r"NotJSONError|does not appear to be JSON|JSONDecodeError|Unreadable Notebook|"
                 r"Notebook does not appear|not valid JSON", text):
        return Status.INVALID, "a notebook is not valid JSON (not a notebook file)"
    if "SchemaTooOld" in text or "old version" in text:
        return Status.INVALID, "a notebook uses an old nbgrader metadata format (run `nbgrader update`)"
    if "SchemaTooNew" in text or "newer version" in text:
        return Status.INVALID, "a notebook uses a newer nbgrader metadata format than this nbgrader"
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith(("Traceback", "  "))]
    useful = [line for line in lines if "error processing assignment" not in line and "Please see" not in line]
    return Status.FAILED, (useful or lines or ["nbgrader could not sanitize the submission"])[-1][:300]


def _as_released(sub: Submission, notebook: str, cell_id: str) -> bool:
    """Whether the submitted cell is exactly the released one. nbgrader keeps in the gradebook the checksum of
    each locked cell *before* hidden tests are removed, so it reports every cell with hidden tests as changed
    (and restores it, which is right); that alone is no tampering."""
    import nbformat
    from nbgrader.utils import compute_checksum

    def cell(path: Path):
        try:
            nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
        except (OSError, ValueError):
            return None
        return next((c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == cell_id), None)

    release = Path(sub.run.target.coursedir().format_path("release", ".", sub.run.target.assignment))
    released, submitted = cell(release / notebook), cell(submitted_dir(sub) / notebook)
    return released is not None and submitted is not None and compute_checksum(released) == compute_checksum(submitted)


def sanitize(sub: Submission) -> None:
    from nbgrader.converters import Autograde

    config = copy.deepcopy(sub.run.record_config)
    config.Autograde.autograde_preprocessors = []
    ok, records = run_converter(sub, Autograde, config=config, name="sanitize")
    notebook = "?"
    for _, message in records:
        if m := _SANITIZING.search(message):
            notebook = Path(m.group(1)).name
        elif m := _CHANGED.search(message):
            if m.group(1) == "checksum" and _as_released(sub, notebook, m.group(2)):
                continue
            sub.warnings.append(f"{notebook}: cell {m.group(2)}: {m.group(1)} changed, restored from the source")
        elif m := _DUPLICATE.search(message):
            sub.warnings.append(f"{notebook}: cell id {m.group(1)} appears more than once; duplicates ignored")
    if not ok:
        status, reason = _failure(records)
        sub.result = new_result(sub, status, reason)
        sub.result.tampered = list(sub.warnings)
        sub.done = True


def build_job(sub: Submission) -> None:
    if sub.executed is not None:
        return  # executed by an earlier run that was stopped before recording
    folder = autograded_dir(sub)
    files = {p.relative_to(folder).as_posix(): p.read_bytes()
             for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()}
    notebooks = sorted(name for name in files if "/" not in name and name.endswith(".ipynb"))
    run = sub.run
    sub.job = ExecJob(assignment=run.target.assignment, student=sub.student, notebooks=notebooks, files=files,
                      config=run.worker_config, wall_seconds=run.options.limits.wall_seconds)


STEPS = [take_fingerprint, resume, sanitize, build_job]
