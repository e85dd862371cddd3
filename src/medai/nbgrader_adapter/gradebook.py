"""nbgrader's gradebook as medai uses it: opening it, its times, the assignment's due date.

Depends on nbgrader 0.9.6: `nbgrader.api.Gradebook(db_url, course_id)` runs the `alembic` command by name when it
creates a new database (so this environment's bin/ must be on PATH, also for an account we dropped to); it
stores naive datetimes meant as UTC (`Assignment.duedate`, `SubmittedAssignment.timestamp`); timestamps in
`timestamp.txt` are parsed by `nbgrader.utils.parse_utc`.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import os
import sys


def venv_bin_on_path() -> None:
    """Put this environment's bin/ first on PATH (nbgrader runs `alembic` by name); idempotent."""
    bin_dir = os.path.dirname(sys.executable)
    parts = os.environ.get("PATH", "").split(os.pathsep)
    if parts[0] != bin_dir:
        os.environ["PATH"] = os.pathsep.join([bin_dir, *[p for p in parts if p and p != bin_dir]])


@contextlib.contextmanager
def gradebook(db_url: str, course_id: str | None = None):
    """nbgrader's Gradebook, opened and closed (created with its schema when the database is new)."""
    from nbgrader.api import Gradebook

    venv_bin_on_path()
    args = (db_url,) if course_id is None else (db_url, course_id)
    with Gradebook(*args) as gb:
        yield gb


def readonly_url(db_url: str) -> str:
    """An SQLite URL opened read-only (nothing the process does can change the gradebook); others unchanged."""
    if db_url.startswith("sqlite:///"):
        return f"sqlite:///file:{db_url[len('sqlite:///'):]}?mode=ro&uri=true"
    return db_url


def submission_totals(gb):
    """(student, assignment, timestamp, score, max score, needs manual grade) per submission, in one query.

    The same totals as nbgrader's Gradebook.submission_dicts (grade cells + task cells, manual score over
    auto score, extra credit added), aggregated in one statement over nbgrader's tables instead of several
    subqueries per assignment (1.6 s per assignment for 1,000 students there, 0.1 s for all of them here).
    Depends on nbgrader 0.9.6's ORM: Assignment, SubmittedAssignment, SubmittedNotebook, Grade, GradeCell,
    TaskCell and their columns."""
    from nbgrader.api import Assignment, Grade, GradeCell, SubmittedAssignment, SubmittedNotebook, TaskCell
    from sqlalchemy import func, select

    grade_cells, task_cells = GradeCell.__table__, TaskCell.__table__
    max_score = func.coalesce(grade_cells.c.max_score, task_cells.c.max_score)
    query = (
        select(SubmittedAssignment.student_id, Assignment.name, SubmittedAssignment.timestamp,
               func.sum(Grade.score), func.sum(max_score), func.max(Grade.needs_manual_grade))
        .select_from(SubmittedAssignment)
        .join(Assignment, Assignment.id == SubmittedAssignment.assignment_id)
        .join(SubmittedNotebook, SubmittedNotebook.assignment_id == SubmittedAssignment.id)
        .join(Grade, Grade.notebook_id == SubmittedNotebook.id)
        .outerjoin(grade_cells, grade_cells.c.id == Grade.cell_id)
        .outerjoin(task_cells, task_cells.c.id == Grade.cell_id)
        .where((grade_cells.c.id.is_not(None)) | (task_cells.c.id.is_not(None)))
        .group_by(SubmittedAssignment.id, SubmittedAssignment.student_id, Assignment.name,
                  SubmittedAssignment.timestamp))
    return gb.db.execute(query).all()


def assignments_with_hidden_tests(gb) -> set[str]:
    """Names of the assignments whose source notebooks hold hidden tests (nbgrader's "### BEGIN HIDDEN TESTS"
    region in a grade cell), from the source cells nbgrader keeps in the gradebook at generate_assignment."""
    from nbgrader.api import Assignment, Notebook, SourceCell
    from nbgrader.preprocessors.clearhiddentests import ClearHiddenTests
    from sqlalchemy import select

    marker = ClearHiddenTests().begin_test_delimeter
    query = (select(Assignment.name).distinct()
             .join(Notebook, Notebook.assignment_id == Assignment.id)
             .join(SourceCell, SourceCell.notebook_id == Notebook.id)
             .where(SourceCell.source.contains(marker)))
    return set(gb.db.execute(query).scalars())


def utc_naive(when: dt.datetime) -> dt.datetime:
    """An aware datetime as nbgrader stores it: naive, in UTC."""
    return when.astimezone(dt.timezone.utc).replace(tzinfo=None)


def utc(naive: dt.datetime) -> dt.datetime:
    """A datetime nbgrader stored (naive UTC) as an aware one; an aware one unchanged."""
    return naive.replace(tzinfo=dt.timezone.utc) if naive.tzinfo is None else naive


def parse_timestamp(text: str) -> dt.datetime | None:
    """A `timestamp.txt` as nbgrader reads it, aware UTC; None when it is not a timestamp."""
    from nbgrader.utils import parse_utc

    try:
        return utc(parse_utc(text.strip()))
    except (ValueError, OverflowError, TypeError):
        return None


def sync_due_date(gb, assignment: str, due: dt.datetime) -> bool:
    """Set the gradebook's due date of `assignment` (created if missing) to course.yaml's `due`; True when it
    changed."""
    from nbgrader.api import MissingEntry

    wanted = utc_naive(due)
    try:
        if gb.find_assignment(assignment).duedate == wanted:
            return False
    except MissingEntry:
        pass
    gb.update_or_create_assignment(assignment, duedate=wanted)
    return True
