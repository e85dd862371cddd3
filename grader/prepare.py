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
from pathlib import Path

from medai.grader.context import Submission
from medai.grader.execute import ExecJob
from medai.grader.results import Status, SubmissionResult
from medai.grader.state import fingerprint
from medai.nbgrader_adapter import converters


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
        sub.run.state.drop_executed(sub.student)  # left by a run killed after recording, before it cleaned up
        return
    sub.executed = sub.run.state.load_executed(sub.student, sub.fingerprint)


def run_converter(sub: Submission, converter_cls, *, config, name: str) -> tuple[bool, list[tuple[int, str]]]:
    """Run one of nbgrader's converters for this student; (succeeded, what it logged)."""
    coursedir = sub.run.target.coursedir(assignment_id=sub.run.target.assignment, student_id=sub.student)
    return converters.run_converter(converter_cls, coursedir=coursedir, config=config, name=name)


def sanitize(sub: Submission) -> None:
    from nbgrader.converters import Autograde

    config = copy.deepcopy(sub.run.record_config)
    config.Autograde.autograde_preprocessors = []
    ok, records = run_converter(sub, Autograde, config=config, name="sanitize")
    said = converters.read_sanitize_log(records)
    release = Path(sub.run.target.coursedir().format_path("release", ".", sub.run.target.assignment))
    for notebook, cell_id, attribute in said.changed:
        if attribute == "checksum" and converters.cell_as_released(release / notebook, submitted_dir(sub) / notebook,
                                                                   cell_id):
            continue
        sub.warnings.append(f"{notebook}: cell {cell_id}: {attribute} changed, restored from the source")
    for notebook, cell_id in said.duplicates:
        sub.warnings.append(f"{notebook}: cell id {cell_id} appears more than once; duplicates ignored")
    sub.warnings += _missing_and_added(sub)
    if not ok:
        invalid, reason = converters.classify_failure(records)
        if converters.NO_NOTEBOOKS in reason:  # nbgrader's words suppose an instructor forgot to generate it
            reason = not_in_assignment(sub) or reason
        added = [w for w in sub.warnings if "(added)" in w]
        if added:  # nbgrader dropped the cell's id, then its metadata check refused the notebook
            reason = f"{added[0].split(': nbgrader')[0]}, and nbgrader refuses the notebook ({reason})"
        sub.result = new_result(sub, Status.INVALID if invalid else Status.FAILED, reason)
        sub.result.tampered = list(sub.warnings)
        sub.done = True


def unknown_notebooks(sub: Submission) -> list[str]:
    """Submitted notebooks that are not the assignment's (renamed, say): nbgrader skips them."""
    known = {f"{name}.ipynb" for name in sub.run.notebooks}
    return sorted(p.name for p in submitted_dir(sub).glob("*.ipynb") if p.name not in known)


def not_in_assignment(sub: Submission) -> str:
    """Why nothing of the submission could be graded, in the student's file names (or "")."""
    if not sub.run.notebooks:
        return ""
    expected = ", ".join(f"{name}.ipynb" for name in sub.run.notebooks)
    unknown = unknown_notebooks(sub)
    if not unknown:
        return f"no notebook of assignment {sub.run.target.assignment} was submitted (expected {expected})"
    names = ", ".join(repr(name) for name in unknown)
    return (f"notebook {names} is not part of assignment {sub.run.target.assignment} (expected {expected})"
            if len(unknown) == 1 else
            f"notebooks {names} are not part of assignment {sub.run.target.assignment} (expected {expected})")


def _missing_and_added(sub: Submission) -> list[str]:
    """Grade, task and locked cells the submission deleted or added (tampering nbgrader's log does not name)."""
    from medai.nbgrader_adapter.gradebook import gradebook

    run, out = sub.run, []
    with gradebook(run.target.db_url, run.target.course_id) as gb:
        for notebook in run.notebooks:
            path = submitted_dir(sub) / f"{notebook}.ipynb"
            if path.is_file():
                out += converters.missing_and_added_cells(gb, notebook=notebook, assignment=run.target.assignment,
                                                          submitted=path)
    return out


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
