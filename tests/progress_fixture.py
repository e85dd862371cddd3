"""A small course with a gradebook built through nbgrader's own Gradebook API, an exchange and homes.

Six assignments over the tracks, five students, one late submission (2 days: -20%), one capped at -50%,
one extension, one manual grade pending, one submission waiting in the exchange, one collected but not
graded, one student with nothing, plus a gradebook assignment and a student course.yaml/roster do not know.
The hand computation of every number is in tests/test_progress_model.py.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import yaml

from medai.course import load_course
from medai.course.layout import Layout
from tests.conftest import COURSE_YAML

AS_OF = datetime(2026, 10, 1, 3, 0, tzinfo=timezone.utc)  # 2026-10-01 12:00 KST

ASSIGNMENTS = [
    # id, module, tracks, competencies, points, release, due (KST)
    ("a1", "biostat-diagnostic", ["common"], ["STAT-1", "STAT-2"], 10, "2026-09-07T09:00", "2026-09-14T23:59"),
    ("a2", "clinical-data-omop", ["common"], ["DATA-1", "STAT-2"], 20, "2026-09-14T09:00", "2026-09-21T23:59"),
    ("a3", "clinical-informatics", ["medicine"], ["CLIN-1"], 10, "2026-09-21T09:00", "2026-09-28T23:59"),
    ("a4", "deep-learning", ["engineering"], ["DL-1"], 10, "2026-09-21T09:00", "2026-09-28T23:59"),
    ("a5", "ml-risk-prediction", ["common"], ["STAT-2", "ML-1"], 10, "2026-09-28T09:00", "2026-10-05T23:59"),
    ("a6", "interpretability-fairness", ["common"], ["ETH-1"], 10, "2026-10-20T09:00", "2026-11-02T23:59"),
]
# nbgrader grade cells per assignment: (name, max points, cell type)
CELLS = {"a2": [("q1", 12, "code"), ("q2", 8, "markdown")]}
DEFAULT_CELLS = [("q1", 6, "code"), ("q2", 4, "markdown")]

ROSTER = """id,name,email,role,track,cohort
med1,김민준,med1@medai.example.ac.kr,student,medicine,2026
med2,이서연,med2@medai.example.ac.kr,student,medicine,2026
med3,박지호,med3@medai.example.ac.kr,student,medicine,2025
eng1,최하은,eng1@medai.example.ac.kr,student,engineering,2026
eng2,정도윤,eng2@medai.example.ac.kr,student,engineering,2026
prof1,윤지원,prof1@medai.example.ac.kr,instructor,,
staff1,한수민,staff1@medai.example.ac.kr,staff,,
"""

# (student, assignment): (q1 score, q2 score or None = waiting for manual grading, submitted at UTC)
GRADED = {
    ("med1", "a1"): (6, 3, "2026-09-14 10:00:00"),  # 9/10 on time
    ("med1", "a2"): (12, 4, "2026-09-23 01:00:00"),  # 16/20, 1 d 10 h after the deadline: 2 days late, -20%
    ("med1", "a3"): (3, 2, "2026-09-28 05:00:00"),  # 5/10
    ("med2", "a1"): (6, 4, "2026-09-13 00:00:00"),  # 10/10
    ("med2", "a2"): (12, 8, "2026-09-23 12:00:00"),  # 20/20, late without the 3-day extension, on time with it
    ("med2", "a3"): (6, None, "2026-09-28 01:00:00"),  # written answer waits for a grader
    ("eng1", "a1"): (2, 2, "2026-09-14 08:00:00"),  # 4/10
    ("eng1", "a2"): (6, 4, "2026-09-21 09:00:00"),  # 10/20
    ("eng2", "a1"): (5, 3, "2026-09-14 14:00:00"),  # 8/10
    ("eng2", "a2"): (12, 8, "2026-10-01 00:00:00"),  # 20/20, 10 days late: capped at -50%
    ("ghost", "a1"): (6, 4, "2026-09-14 00:00:00"),  # not on the roster
    ("med1", "old-hw"): (1, 1, "2026-09-10 00:00:00"),  # assignment not in course.yaml
}
INBOUND = [("med2", "a5", "2026-09-30 03:00:00.000000 UTC")]  # submitted, not collected
COLLECTED = [("eng1", "a4", "2026-09-27 05:00:00.000000 UTC")]  # collected, not graded
FETCHED = [("med1", "a5"), ("med1", "a1")]


@dataclass
class Fixture:
    course_file: Path
    layout: Layout
    roster: Path

    @property
    def course(self):
        return load_course(self.course_file)


def write_course(base: Path, *, assignments=ASSIGNMENTS, extensions=True) -> Path:
    data = yaml.safe_load(COURSE_YAML.read_text(encoding="utf-8"))
    data["course"]["assignments_dir"] = "assignments"
    # only the modules and competencies the fixture uses, so edits to the shipped curriculum do not move it
    used_modules = {"biostat-diagnostic", "clinical-data-omop", "clinical-informatics", "deep-learning",
                    "ml-risk-prediction", "interpretability-fairness"}
    data["modules"] = [{**m, "prerequisites": []} for m in data["modules"] if m["id"] in used_modules]
    used = {c for m in data["modules"] for c in m["competencies"]} | {c for a in ASSIGNMENTS for c in a[3]}
    data["competencies"] = [c for c in data["competencies"] if c["id"] in used]
    data["assignments"] = [
        {"id": i, "title": f"Assignment {i.upper()} on {m}", "title_ko": f"과제 {i}", "module": m, "tracks": t,
         "competencies": c, "points": p, "release": f"{r}+09:00", "due": f"{d}+09:00"}
        for i, m, t, c, p, r, d in assignments]
    data["late_policy"] = {"percent_per_day": 10, "cap_percent": 50, "grace_minutes": 15, "extensions": (
        [{"student": "med2", "assignment": "a2", "days": 3, "reason": "medical certificate"}] if extensions else [])}
    (base / "assignments").mkdir(parents=True, exist_ok=True)
    for a in assignments:
        folder = base / "assignments" / a[0]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "nb.ipynb").write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    path = base / "course.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def build_gradebook(url: str, *, graded=GRADED, students=None, assignments=None, course=None) -> None:
    """nbgrader's gradebook with these grades; with `course`, each submission's late penalty stored as medai's
    grader stores it (medai.nbgrader_adapter.late_penalty)."""
    import warnings

    from nbgrader.api import Gradebook

    warnings.filterwarnings("ignore", message=".*not in session.*")  # nbgrader's add_submission, harmless
    names = {"med1": ("민준", "김"), "med2": ("서연", "이"), "med3": ("지호", "박"), "eng1": ("하은", "최"),
             "eng2": ("도윤", "정"), "ghost": ("Ghost", "")}
    with Gradebook(url) as gb:
        for sid in students if students is not None else names:
            first, last = names.get(sid, (sid, ""))
            gb.add_student(sid, first_name=first, last_name=last, email=f"{sid}@medai.example.ac.kr")
        for aid in assignments if assignments is not None else [a[0] for a in ASSIGNMENTS] + ["old-hw"]:
            gb.add_assignment(aid)
            gb.add_notebook("nb", aid)
            for cell, points, kind in CELLS.get(aid, DEFAULT_CELLS):
                gb.add_grade_cell(cell, "nb", aid, max_score=points, cell_type=kind)
        for (sid, aid), (q1, q2, ts) in graded.items():
            gb.add_submission(aid, sid, timestamp=datetime.fromisoformat(ts).replace(tzinfo=timezone.utc))
            g1 = gb.find_grade("q1", "nb", aid, sid)
            g1.auto_score, g1.needs_manual_grade = q1, False
            g2 = gb.find_grade("q2", "nb", aid, sid)
            g2.manual_score, g2.needs_manual_grade = q2, q2 is None
        gb.db.commit()
        if course is not None:
            from medai.nbgrader_adapter.late_penalty import store_late_penalty

            for sid, aid in graded:
                if aid in {a.id for a in course.assignments}:
                    store_late_penalty(gb, course, assignment_id=aid, student_id=sid)


def build(base: Path, *, graded=GRADED, exchange=True) -> Fixture:
    course_file = write_course(base / "course")
    layout = Layout(root=base / "root")
    layout.course_dir.mkdir(parents=True)
    roster = layout.roster_file
    roster.write_text(ROSTER, encoding="utf-8")
    from medai.course import load_course

    build_gradebook(layout.gradebook_url, graded=graded, course=load_course(course_file))
    if exchange:
        outbound = layout.exchange_dir / "medai101" / "outbound"
        for aid in ("a1", "a2", "a3", "a4", "a5"):
            (outbound / aid).mkdir(parents=True)
        inbound = layout.exchange_dir / "medai101" / "inbound"
        inbound.mkdir(parents=True)
        for sid, aid, ts in INBOUND:
            (inbound / f"{sid}+{aid}+{ts}+rnd").mkdir()
            (inbound / f"{sid}+{aid}+{ts}+rnd" / "timestamp.txt").write_text(ts)
    for sid, aid, ts in COLLECTED:
        folder = layout.course_dir / "submitted" / sid / aid
        folder.mkdir(parents=True)
        (folder / "timestamp.txt").write_text(ts)
    for sid, aid in FETCHED:
        (layout.home_dir / sid / aid).mkdir(parents=True)
    return Fixture(course_file=course_file, layout=layout, roster=roster)
