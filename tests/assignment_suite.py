"""The checks every assignment listed in course.yaml must pass, through real nbgrader: release hides the answers, the reference
solution gets full marks, the blank release gets zero without crashing grading, each typical mistake
(tests/mistakes/<id>.yaml) loses exactly its points, and answers typed into the released notebook are graded
by the hidden tests. A new assignment is covered by listing it in course.yaml and adding its mistakes file.

tests/test_assignments_<track>.py run these for the assignments of one track each, so that pytest-xdist
(--dist loadfile) grades the tracks in parallel.
"""
from __future__ import annotations

import os
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
import yaml

from medai.course import load_course
from tests.conftest import COURSE_YAML, REPO

COURSE = load_course(COURSE_YAML)
MISTAKES = REPO / "tests" / "mistakes"

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")]


def spec(assignment: str) -> dict:
    path = MISTAKES / f"{assignment}.yaml"
    assert path.exists(), f"{assignment}: add {path.relative_to(REPO)} with at least one typical mistake"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["mistakes"], f"{path}: list at least one typical mistake"
    return data


def grade_id(cell) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def autograded_points(nb) -> dict[str, float]:
    return {grade_id(c): c.metadata["nbgrader"]["points"] for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"}


@dataclass
class Course:
    """One nbgrader course directory with one assignment generated into release/."""

    root: Path
    api: object
    db_url: str
    assignment: str
    notebook: str
    source: nbformat.NotebookNode

    @property
    def released(self) -> nbformat.NotebookNode:
        return nbformat.read(self.root / "release" / self.assignment / f"{self.notebook}.ipynb", as_version=4)

    def autograde(self, student: str, nb) -> dict[str, float]:
        """Submit nb (with the assignment's other files) as `student`; the gradebook's score per grade cell."""
        from nbgrader.api import Gradebook

        folder = self.root / "submitted" / student / self.assignment
        shutil.copytree(self.root / "release" / self.assignment, folder, dirs_exist_ok=True)
        nbformat.write(nb, folder / f"{self.notebook}.ipynb")
        result = self.api.autograde(self.assignment, student)
        assert result["success"], (result.get("log") or "") + (result.get("error") or "")
        with Gradebook(self.db_url, "medai101") as gb:
            graded = gb.find_submission_notebook(self.notebook, self.assignment, student)
            autograded = autograded_points(self.source)
            return {g.name: g.score for g in graded.grades if g.name in autograded}


def assignments_of(track: str) -> list[str]:
    """Ids of the assignments listed with exactly this track (common: the shared core)."""
    return [a.id for a in COURSE.assignments if track in a.tracks]


def course_fixture(track: str):
    """A module fixture: one nbgrader course directory per assignment of `track`, generated into release/."""
    return pytest.fixture(scope="module", params=assignments_of(track))(_course)


def _course(request, tmp_path_factory, monkeypatch_module):
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    assignment = request.param
    notebook = spec(assignment)["notebook"]
    root = tmp_path_factory.mktemp(assignment)
    shutil.copytree(COURSE.resolved_assignments_dir / assignment, root / "source" / assignment)
    cfg = Config()
    cfg.CourseDirectory.root = str(root)
    cfg.CourseDirectory.course_id = "medai101"
    cfg.ExecutePreprocessor.timeout = COURSE.course.cell_timeout_seconds
    cfg.Execute.shutdown_kernel = "immediate"
    coursedir = CourseDirectory(config=cfg)
    api = NbGraderAPI(coursedir=coursedir, config=cfg)
    result = api.generate_assignment(assignment)
    assert result["success"], (result.get("log") or "") + (result.get("error") or "")
    source = nbformat.read(root / "source" / assignment / f"{notebook}.ipynb", as_version=4)
    return Course(root, api, coursedir.db_url, assignment, notebook, source)


@pytest.fixture(scope="module")
def monkeypatch_module(built_data):
    """The kernel spec runs `python` and a new gradebook runs `alembic`: both from this interpreter's venv.
    Kernels read the built datasets from $MEDAI_DATA, as users' servers do."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
        mp.setenv("MEDAI_DATA", str(built_data))
        yield mp


def solution_lines(nb) -> set[str]:
    lines = set()
    for cell in nb.cells:
        for region in re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", cell.source, flags=re.S):
            lines |= {line.strip() for line in region.splitlines() if len(line.strip()) >= 8}
    return lines


def test_source_has_visible_and_hidden_tests_and_a_free_response(course):
    nb = course.source
    nbformat.validate(nb)
    points = autograded_points(nb)
    assert points, "no autograded test cells"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{grade_id(cell)}: clear outputs"
        if grade_id(cell) in points:
            visible, _, hidden = cell.source.partition("### BEGIN HIDDEN TESTS")
            assert "assert" in visible and hidden.strip(), f"{grade_id(cell)}: needs visible and hidden tests"
    manual = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "markdown"]
    assert manual, "at least one manually graded free-response cell"
    assert "Learning objectives" in nb.cells[0].source or "learning objectives" in nb.cells[0].source.lower()


def test_release_hides_solutions_and_hidden_tests(course):
    text = "\n".join(c.source for c in course.released.cells)
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        assert marker not in text
    code = "\n".join(c.source for c in course.released.cells if c.cell_type == "code")
    leaked = [line for line in solution_lines(course.source) if line in code]
    assert not leaked, leaked
    shipped = {p.name for p in (course.root / "release" / course.assignment).iterdir()}
    assert not any(name.endswith((".yaml", ".key")) or "truth" in name for name in shipped), shipped


def test_reference_solution_gets_full_marks(course):
    # its runtime against the limit is measured by benchmarks/bench_assignments.py, not asserted here
    scores = course.autograde("reference", course.source)
    assert scores == autograded_points(course.source)


def test_blank_release_scores_zero_without_crashing(course):
    scores = course.autograde("blank", course.released)
    assert scores and set(scores.values()) == {0}


def test_answers_typed_into_the_release_are_graded_by_hidden_tests(course):
    answers = {grade_id(c): c.source for c in course.source.cells}
    typed = course.released
    for cell in typed.cells:
        if cell.metadata.get("nbgrader", {}).get("solution") and cell.cell_type == "code":
            cell.source = answers[grade_id(cell)]
    assert course.autograde("typed", typed) == autograded_points(course.source)


def test_each_typical_mistake_loses_exactly_its_points(course):
    points = autograded_points(course.source)
    for i, mistake in enumerate(spec(course.assignment)["mistakes"]):
        nb = nbformat.from_dict(course.source)
        (cell,) = [c for c in nb.cells if grade_id(c) == mistake["cell"]]
        assert cell.source.count(mistake["replace"]) == 1, f"{mistake['name']}: text not found once"
        cell.source = cell.source.replace(mistake["replace"], mistake["with"])
        scores = course.autograde(f"mistake{i}", nb)
        expected = {g: (0 if g in mistake["loses"] else p) for g, p in points.items()}
        assert scores == expected, mistake["name"]
