"""Grade exports an LMS imports: Canvas's and Moodle's gradebook CSV.

Both put one column per assignment, on the assignment's own scale: its `points` in course.yaml, and the score
after the late penalty (final_percent x points / 100). Work not fully graded is left blank (an LMS leaves a
blank cell unchanged); overdue missing work is blank too unless `missing_as_zero`.

- Canvas (Grades > Import): columns Student, ID, SIS User ID, SIS Login ID, Section, then one per assignment;
  a second row "Points Possible". Students are matched on SIS User ID / SIS Login ID (the roster id: set it
  as the login in the university's SIS), ID (Canvas's own number) is left empty. Assignment columns are
  matched by name; an unknown name becomes a new assignment.
- Moodle (Grades > Import > CSV file): columns First name, Surname, ID number, Email address, then one per
  assignment; map "Email address" (or "ID number") to the user field and each assignment column to its grade
  item. Moodle grade items should have the same maximum as course.yaml's points. First name is the given name
  and Surname the family name (김민준: 민준, 김; 남궁민수: 민수, 남궁; Jane Doe: Jane, Doe), split from the
  roster's whole name by medai.course.names, so each lands in the field Moodle keeps it in.

Canvas's Student column holds the name as the roster writes it (김민준, Jane Doe): no "last, first" comma.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

from medai.progress.model import AssignmentProgress, ProgressReport

FORMATS = ("canvas", "moodle")


def _grade(a: AssignmentProgress | None, *, missing_as_zero: bool) -> str:
    if a is None:
        return ""
    if a.state == "graded" and a.final_percent is not None:
        return f"{a.final_percent * a.points / 100:.2f}".rstrip("0").rstrip(".")
    if a.state == "late" and missing_as_zero:
        return "0"
    return ""


def _points(v: float) -> str:
    return f"{v:g}"


def lms_csv(report: ProgressReport, *, lms: str, missing_as_zero: bool = False) -> str:
    if lms not in FORMATS:
        raise ValueError(f"unknown LMS format {lms!r}; one of {', '.join(FORMATS)}")
    buf = io.StringIO(newline="")
    out = csv.writer(buf, lineterminator="\n")
    titles = [a.title for a in report.assignments]
    if lms == "canvas":
        out.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *titles])
        out.writerow(["    Points Possible", "", "", "", "", *[_points(a.points) for a in report.assignments]])
    else:
        out.writerow(["First name", "Surname", "ID number", "Email address", *titles])
    for s in report.students:
        mine = {a.assignment: a for a in s.assignments}
        grades = [_grade(mine.get(a.id), missing_as_zero=missing_as_zero) for a in report.assignments]
        if lms == "canvas":
            out.writerow([s.name, "", s.id, s.id, f"{s.track} {s.cohort}", *grades])
        else:
            out.writerow([s.first_name, s.last_name, s.id, s.email, *grades])
    return buf.getvalue()


def write_lms(report: ProgressReport, path: str | Path, *, lms: str, missing_as_zero: bool = False) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(lms_csv(report, lms=lms, missing_as_zero=missing_as_zero), encoding="utf-8")
    return path
