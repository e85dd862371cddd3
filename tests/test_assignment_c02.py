"""c02-diagnostic-metrics through nbgrader's own API: release hides the answers, autograding scores them.

One nbgrader course directory per module: the source notebook is generated (released) once, then
submissions are autograded one student at a time and scored from nbgrader's gradebook, cell by cell.
"""
from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parent.parent
ASSIGNMENT = "c02-diagnostic-metrics"
NOTEBOOK = "diagnostic-metrics"
SOURCE = REPO / "assignments" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
COURSE_ID = "medai101"

# the autograded test cells and their points; the one hand-graded answer
AUTOGRADED = {
    "test_confusion_counts": 2,
    "test_diagnostic_metrics": 3,
    "test_ppv_at_prevalence": 2,
    "test_auc_bootstrap": 3,
}
MANUAL = {"interpret_ppv_screening": 2}

# runs nbgrader, which starts a kernel per submission; its gradebook emits SQLAlchemy autoflush warnings
pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")]


@dataclass(frozen=True)
class CellScore:
    score: float
    max_score: float
    needs_manual_grade: bool


@dataclass
class NbgraderCourse:
    root: Path
    api: object
    db_url: str

    @property
    def released(self) -> Path:
        return self.root / "release" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"

    def autograde(self, student: str, nb: nbformat.NotebookNode) -> dict[str, CellScore]:
        """Submit nb as student's work, autograde it, and return the gradebook's score per grade cell."""
        from nbgrader.api import Gradebook

        folder = self.root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, folder / f"{NOTEBOOK}.ipynb")
        result = self.api.autograde(ASSIGNMENT, student)
        assert result["success"], (result.get("log") or "") + (result.get("error") or "")
        with Gradebook(self.db_url, COURSE_ID) as gb:
            submitted = gb.find_submission_notebook(NOTEBOOK, ASSIGNMENT, student)
            return {
                g.name: CellScore(g.score, g.max_score, g.needs_manual_grade) for g in submitted.grades
            }


@pytest.fixture(scope="module")
def c02(tmp_path_factory) -> Iterator[NbgraderCourse]:
    """A course directory with the assignment in source/ and generated into release/."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    root = tmp_path_factory.mktemp("nbgrader-c02")
    shutil.copytree(SOURCE.parent, root / "source" / ASSIGNMENT)
    cfg = Config()
    cfg.CourseDirectory.root = str(root)
    cfg.CourseDirectory.course_id = COURSE_ID
    coursedir = CourseDirectory(config=cfg)
    api = NbGraderAPI(coursedir=coursedir, config=cfg)
    with pytest.MonkeyPatch.context() as mp:
        # the kernel spec runs "python", and a new gradebook runs "alembic": both from this interpreter's venv
        mp.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
        result = api.generate_assignment(ASSIGNMENT)
        assert result["success"], (result.get("log") or "") + (result.get("error") or "")
        yield NbgraderCourse(root=root, api=api, db_url=coursedir.db_url)


def _source() -> nbformat.NotebookNode:
    return nbformat.read(SOURCE, as_version=4)


def _grade_id(cell) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def _solution_lines(nb) -> set[str]:
    """Every substantial line written between BEGIN SOLUTION and END SOLUTION in the source."""
    lines = set()
    for cell in nb.cells:
        for region in re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", cell.source, flags=re.S):
            lines |= {line.strip() for line in region.splitlines() if len(line.strip()) >= 8}
    return lines


def _replace_in_cell(nb, grade_id: str, old: str, new: str) -> nbformat.NotebookNode:
    nb = nbformat.from_dict(nb)
    (cell,) = [c for c in nb.cells if _grade_id(c) == grade_id]
    assert cell.source.count(old) == 1, f"{old!r} not found once in {grade_id}"
    cell.source = cell.source.replace(old, new)
    return nb


def test_source_notebook_is_well_formed():
    nb = _source()
    nbformat.validate(nb)
    grade_cells = {
        _grade_id(c): c.metadata["nbgrader"]["points"] for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")
    }
    assert grade_cells == AUTOGRADED | MANUAL
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, _grade_id(cell)
        if _grade_id(cell) in AUTOGRADED:
            assert cell.source.count("### BEGIN HIDDEN TESTS") == 1, _grade_id(cell)
            visible = cell.source.split("### BEGIN HIDDEN TESTS")[0]
            assert "assert " in visible, f"{_grade_id(cell)} has no visible checks"


def test_release_hides_solutions_and_hidden_tests(c02):
    source = _source()
    released = nbformat.read(c02.released, as_version=4)
    text = "\n".join(c.source for c in released.cells)
    assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
    assert "BEGIN HIDDEN TESTS" not in text and "_auc_pairs" not in text
    assert "Marking guide" not in text and "Model answer" not in text
    code = "\n".join(c.source for c in released.cells if c.cell_type == "code")
    leaked = [line for line in _solution_lines(source) if line in code]
    assert not leaked, leaked
    assert len(_solution_lines(source)) >= 10  # the check above looked at real solution code
    by_id = {_grade_id(c): c for c in released.cells}
    assert by_id["interpret_ppv_screening"].source.strip() == "YOUR ANSWER HERE"
    assert "raise NotImplementedError()" in by_id["confusion_counts"].source
    assert by_id["setup"].metadata["nbgrader"]["locked"] is True


def test_solutions_get_full_autograded_marks(c02):
    scores = c02.autograde("alice", _source())
    for grade_id, points in AUTOGRADED.items():
        assert scores[grade_id] == CellScore(points, points, False), grade_id
    assert sum(scores[g].score for g in AUTOGRADED) == 10
    (manual,) = MANUAL
    assert scores[manual].needs_manual_grade and scores[manual].max_score == MANUAL[manual]


def test_blank_release_scores_zero_without_crashing(c02):
    scores = c02.autograde("bob", nbformat.read(c02.released, as_version=4))
    for grade_id, points in AUTOGRADED.items():
        assert scores[grade_id].score == 0 and scores[grade_id].max_score == points, grade_id


def test_ppv_confused_with_sensitivity_loses_exactly_q2(c02):
    wrong = _replace_in_cell(
        _source(),
        "diagnostic_metrics",
        'return counts["tp"] / (counts["tp"] + counts["fp"])',
        'return counts["tp"] / (counts["tp"] + counts["fn"])',
    )
    scores = c02.autograde("carol", wrong)
    assert scores["test_diagnostic_metrics"].score == 0
    for grade_id in AUTOGRADED.keys() - {"test_diagnostic_metrics"}:
        assert scores[grade_id].score == AUTOGRADED[grade_id], grade_id


def test_hidden_tests_run_on_a_release_based_submission(c02):
    """Answers typed into the released notebook (no hidden tests in it) are still graded by the hidden ones.

    The Q3 answer uses 1 - sensitivity where 1 - specificity belongs: it passes the visible checks,
    where sensitivity equals specificity or only an ordering is checked, and must fail the hidden ones.
    """
    source = {_grade_id(c): c.source for c in _source().cells}
    submission = nbformat.read(c02.released, as_version=4)
    for cell in submission.cells:
        if cell.metadata.get("nbgrader", {}).get("solution") and cell.cell_type == "code":
            cell.source = source[_grade_id(cell)]
    submission = _replace_in_cell(
        submission,
        "ppv_at_prevalence",
        "false_positives = (1 - spec) * (1 - prevalence)",
        "false_positives = (1 - sens) * (1 - prevalence)",
    )
    scores = c02.autograde("dave", submission)
    assert scores["test_ppv_at_prevalence"].score == 0
    for grade_id in AUTOGRADED.keys() - {"test_ppv_at_prevalence"}:
        assert scores[grade_id].score == AUTOGRADED[grade_id], grade_id
