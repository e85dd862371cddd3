"""Running nbgrader's converters for one student and reading what they said.

Depends on nbgrader 0.9.6:
- converters (`Autograde`, `GenerateFeedback`) take `coursedir`, `config` and `log`, raise `NbGraderException`
  on failure, and redo work with `force = True`;
- `Autograde.autograde_preprocessors` lists the preprocessors in order, and `SaveAutoGrades` is the first that
  needs the gradebook (medai runs those before it in the sandbox and the rest in the writer);
- the log messages of its sanitizing preprocessors: "Sanitizing <path>.ipynb", "Attribute '<attr>' for cell
  <id> has changed" (OverwriteCells restoring a locked/grade cell), "Cell with id '<id>' exists multiple
  times" (DeduplicateIds), "No notebooks found, ..." (Autograde, no submitted notebook is the assignment's),
  and the wording of invalid-notebook and metadata-version errors;
- the gradebook keeps each locked cell's checksum as it was *before* hidden tests were removed, so a cell with
  hidden tests is always logged as changed (`nbgrader.utils.compute_checksum`).
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

CHANGED = re.compile(r"Attribute '(\w+)' for cell (\S+) has changed")
DUPLICATE = re.compile(r"Cell with id '(\S+)' exists multiple times")
NO_NOTEBOOKS = "No notebooks found"  # Autograde's error when no submitted notebook is one of the assignment's
SANITIZING = re.compile(r"Sanitizing (.+\.ipynb)")
_INVALID_JSON = re.compile(r"NotJSONError|does not appear to be JSON|JSONDecodeError|Unreadable Notebook|"
                           r"Notebook does not appear|not valid JSON")


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


def run_converter(converter_cls, *, coursedir, config, name: str) -> tuple[bool, list[tuple[int, str]]]:
    """Run one of nbgrader's converters (for the student and assignment set on `coursedir`); (succeeded, what it
    logged as (level, message) pairs)."""
    from nbgrader.converters.base import NbGraderException

    log, capture = _converter_log(name)
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


def autograde_split(config) -> tuple[list[type], list[type]]:
    """nbgrader's configured autograde preprocessors, split where the gradebook is first needed."""
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import SaveAutoGrades

    from traitlets.utils.importstring import import_item

    classes = [import_item(c) if isinstance(c, str) else c for c in Autograde(config=config).autograde_preprocessors]
    cut = next((i for i, cls in enumerate(classes) if issubclass(cls, SaveAutoGrades)), len(classes))
    return classes[:cut], classes[cut:]


@dataclass
class SanitizeLog:
    """What nbgrader's sanitizing pass said about one submission."""

    changed: list[tuple[str, str, str]] = field(default_factory=list)  # (notebook, cell id, attribute) restored
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (notebook, cell id) seen more than once


def read_sanitize_log(records: list[tuple[int, str]]) -> SanitizeLog:
    out, notebook = SanitizeLog(), "?"
    for _, message in records:
        if m := SANITIZING.search(message):
            notebook = Path(m.group(1)).name
        elif m := CHANGED.search(message):
            out.changed.append((notebook, m.group(2), m.group(1)))
        elif m := DUPLICATE.search(message):
            out.duplicates.append((notebook, m.group(1)))
    return out


def classify_failure(records: list[tuple[int, str]]) -> tuple[bool, str]:
    """(invalid, reason) for a converter that failed: invalid means a notebook that is not one nbgrader can read
    (not JSON, a metadata format too old or too new); else the last useful error line."""
    text = "\n".join(message for level, message in records if level >= logging.ERROR)
    if _INVALID_JSON.search(text):
        return True, "a notebook is not valid JSON (not a notebook file)"
    if "SchemaTooOld" in text or "old version" in text:
        return True, "a notebook uses an old nbgrader metadata format (run `nbgrader update`)"
    if "SchemaTooNew" in text or "newer version" in text:
        return True, "a notebook uses a newer nbgrader metadata format than this nbgrader"
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith(("Traceback", "  "))]
    useful = [line for line in lines if "error processing assignment" not in line and "Please see" not in line]
    return False, (useful or lines or ["nbgrader could not sanitize the submission"])[-1][:300]


def cell_as_released(released: Path, submitted: Path, cell_id: str) -> bool:
    """Whether grade cell `cell_id` of the submitted notebook is exactly the released one (see the module
    docstring: a cell with hidden tests is always reported as changed; that alone is no tampering)."""
    import nbformat
    from nbgrader.utils import compute_checksum

    def cell(path: Path):
        try:
            nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
        except (OSError, ValueError):
            return None
        return next((c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == cell_id), None)

    a, b = cell(released), cell(submitted)
    return a is not None and b is not None and compute_checksum(a) == compute_checksum(b)


def missing_and_added_cells(gb, *, notebook: str, assignment: str, submitted: Path) -> list[str]:
    """What a submission did to the assignment's grade, task and locked cells that nbgrader's sanitizing does not
    report: such a cell deleted (nbgrader, without `OverwriteCells.add_missing_cells`, then has no autograde
    result for it), or a cell marked grade or locked that the assignment does not have (nbgrader drops its id
    and grades nothing in it). One line a person can act on per cell; [] when nothing is off."""
    import nbformat
    from nbgrader import utils

    try:
        nb = nbformat.read(submitted, as_version=nbformat.NO_CONVERT)
        source = gb.find_notebook(notebook, assignment)
    except Exception:  # noqa: BLE001 - unreadable: sanitizing reports it; not in the gradebook: nothing to compare
        return []
    submitted_ids = {c.metadata["nbgrader"].get("grade_id") for c in nb.cells if "nbgrader" in c.get("metadata", {})}
    graded = {c.name: "grade" for c in source.grade_cells} | {c.name: "task" for c in source.task_cells}
    expected = {**{c.name: "locked" for c in source.source_cells if c.locked}, **graded}
    then = {"grade": "nbgrader could not autograde it and leaves it to manual grading",
            "task": "it waits for manual grading", "locked": "its code did not run"}
    out = [f"{notebook}.ipynb: {kind} cell {name!r} is missing from the submission (deleted): {then[kind]}"
           for name, kind in sorted(expected.items()) if name not in submitted_ids]
    known = {c.name for c in source.source_cells} | set(graded)
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        grade_id = meta.get("grade_id")
        if grade_id not in known and (utils.is_grade(cell) or utils.is_locked(cell) or utils.is_task(cell)):
            kind = "grade" if utils.is_grade(cell) or utils.is_task(cell) else "locked"
            out.append(f"{notebook}.ipynb: {kind} cell {grade_id!r} is not part of the assignment (added): "
                       "nbgrader ignores its grade id")
    return out
