"""The gradebook cell by cell, and the notebooks behind it, for the instructor's insight (medai.progress.insight).

Depends on nbgrader 0.9.6's ORM (Assignment, Notebook, SubmittedAssignment, SubmittedNotebook, Grade, GradeCell,
TaskCell, SourceCell and their columns), on its cell metadata (`metadata.nbgrader.grade_id`, `grade`, `solution`,
`task`, `points`) and on its directory format (`CourseDirectory.format_path(step, student, assignment)`, steps
"release", "submitted" and "autograded").
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(slots=True)
class CellGrade:
    """One student's grade of one grade (or task) cell, as nbgrader stores it: the manual score over the
    automatic one, extra credit added; `score` None while a person has still to grade it."""

    assignment: str
    student: str
    notebook: str
    cell: str
    cell_type: str  # "code" or "markdown"
    score: float | None
    max_score: float
    needs_manual_grade: bool


def cell_grades(gb, assignment: str | None = None) -> list[CellGrade]:
    """Every grade of every submission of `assignment` (None: of every assignment), in one query."""
    from nbgrader.api import (Assignment, BaseCell, Grade, GradeCell, Notebook, SubmittedAssignment, SubmittedNotebook,
                              TaskCell)
    from sqlalchemy import func, select

    cells, grade_cells, task_cells = BaseCell.__table__, GradeCell.__table__, TaskCell.__table__
    name = func.coalesce(grade_cells.c.id, task_cells.c.id)
    query = (
        select(Assignment.name, SubmittedAssignment.student_id, Notebook.name, cells.c.name, Grade.auto_score, Grade.manual_score,
               Grade.extra_credit, func.coalesce(grade_cells.c.max_score, task_cells.c.max_score),
               func.coalesce(grade_cells.c.cell_type, task_cells.c.cell_type), Grade.needs_manual_grade)
        .select_from(SubmittedAssignment)
        .join(Assignment, Assignment.id == SubmittedAssignment.assignment_id)
        .join(SubmittedNotebook, SubmittedNotebook.assignment_id == SubmittedAssignment.id)
        .join(Notebook, Notebook.id == SubmittedNotebook.notebook_id)
        .join(Grade, Grade.notebook_id == SubmittedNotebook.id)
        .join(cells, cells.c.id == Grade.cell_id)
        .outerjoin(grade_cells, grade_cells.c.id == Grade.cell_id)
        .outerjoin(task_cells, task_cells.c.id == Grade.cell_id)
        .where(name.is_not(None)))
    if assignment is not None:
        query = query.where(Assignment.name == assignment)
    out = []
    for assignment_name, student, notebook, cell, auto, manual, extra, top, kind, manual_needed in gb.db.execute(query):
        score = manual if manual is not None else auto
        if score is not None and extra:
            score += extra
        out.append(CellGrade(assignment=assignment_name, student=student, notebook=notebook, cell=cell, cell_type=kind or "code",
                             score=None if score is None else float(score), max_score=float(top or 0),
                             needs_manual_grade=bool(manual_needed)))
    return out


def source_cells(gb, assignment: str) -> dict[tuple[str, str], str]:
    """(notebook, grade_id) -> the cell's source as released (solutions cleared; nbgrader keeps it at
    generate_assignment): the starter code a student was given."""
    from nbgrader.api import Assignment, Notebook, SourceCell
    from sqlalchemy import select

    query = (select(Notebook.name, SourceCell.name, SourceCell.source)
             .join(Notebook, Notebook.id == SourceCell.notebook_id)
             .join(Assignment, Assignment.id == Notebook.assignment_id)
             .where(Assignment.name == assignment))
    return {(nb, cell): source or "" for nb, cell, source in gb.db.execute(query)}


def gradebook_students(gb, assignment: str) -> list[str]:
    """The students with a submission of `assignment` in the gradebook."""
    from nbgrader.api import Assignment, SubmittedAssignment
    from sqlalchemy import select

    query = (select(SubmittedAssignment.student_id).join(Assignment, Assignment.id == SubmittedAssignment.assignment_id)
             .where(Assignment.name == assignment).order_by(SubmittedAssignment.student_id))
    return list(gb.db.execute(query).scalars())


def assignment_names(gb) -> list[str]:
    return sorted(a.name for a in gb.assignments)


def notebook_names(gb, assignment: str) -> list[str]:
    return sorted(nb.name for nb in gb.find_assignment(assignment).notebooks)


@dataclass(frozen=True)
class CellMeta:
    """What nbgrader's metadata says of one cell of a notebook."""

    grade_id: str
    grade: bool
    solution: bool
    task: bool
    cell_type: str


def cell_meta(cell) -> CellMeta | None:
    """The nbgrader metadata of a notebook cell (None: not an nbgrader cell)."""
    meta = (cell.get("metadata") or {}).get("nbgrader") or {}
    grade_id = meta.get("grade_id")
    if not grade_id:
        return None
    return CellMeta(grade_id=str(grade_id), grade=bool(meta.get("grade")), solution=bool(meta.get("solution")),
                    task=bool(meta.get("task")), cell_type=cell.get("cell_type", "code"))


def notebook_locator(course_dir: Path):
    """A function (step, student, assignment, notebook) -> path, where nbgrader keeps that notebook by the course
    directory's own nbgrader configuration; step is "release" (student ignored), "submitted" or "autograded"."""
    from medai.nbgrader_adapter.config import coursedir, load_course_config

    config = load_course_config(Path(course_dir))
    config.CourseDirectory.root = str(course_dir)
    cd = coursedir(config)
    steps = {"release": cd.release_directory, "submitted": cd.submitted_directory,
             "autograded": cd.autograded_directory}

    def locate(step: str, student: str, assignment: str, notebook: str) -> Path:
        folder = cd.format_path(steps[step], "." if step == "release" else student, assignment)
        return Path(folder) / f"{notebook}.ipynb"

    return locate
