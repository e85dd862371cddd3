"""Progress reports at scale: 1,000 students x 12 assignments (issue 7's targets, measured and printed).

    /opt/medai/venv/bin/python benchmarks/bench_progress.py [--students 1000] [--keep DIR] [--lang ko|en]

Builds a synthetic course (12 assignments over the tracks), a roster, an exchange and an nbgrader gradebook
(3 grade cells per assignment; bulk inserts through nbgrader's own ORM classes, so the schema is nbgrader's),
then times: reading + computing progress (target <= 1 s), CSV + Excel (<= 5 s), the full PDF (<= 30 s).
"""
from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
TARGETS = {"progress": 1.0, "csv+xlsx": 5.0, "pdf": 30.0}
MODULES = [
    ("python-health-data", ["common"], ["DATA-2"]),
    ("clinical-data-omop", ["common"], ["DATA-1", "DATA-2"]),
    ("biostat-diagnostic", ["common"], ["STAT-1", "STAT-2"]),
    ("clinical-informatics", ["medicine"], ["DATA-1", "CLIN-1"]),
    ("health-data-privacy", ["common"], ["PRIV-1", "ETH-1"]),
    ("ml-risk-prediction", ["common"], ["ML-1", "ML-2"]),
    ("deep-learning", ["engineering"], ["DL-1", "ML-1"]),
    ("survival-analysis", ["common"], ["STAT-3"]),
    ("clinical-ai-appraisal", ["medicine"], ["ML-2", "CLIN-1"]),
    ("image-segmentation", ["engineering"], ["IMG-1", "DL-1"]),
    ("causal-inference", ["common"], ["STAT-4"]),
    ("capstone", ["common"], ["COMM-1", "ML-1"]),
]
START = datetime(2026, 9, 7, 0, 0, tzinfo=timezone.utc)
AS_OF = START + timedelta(weeks=11, days=3)  # 10 assignments past due, one open, one not released


def write_course(base: Path) -> Path:
    data = yaml.safe_load((REPO / "course" / "course.yaml").read_text(encoding="utf-8"))
    data["course"]["assignments_dir"] = "assignments"
    data["assignments"] = []
    for i, (module, tracks, comps) in enumerate(MODULES):
        aid = f"hw{i + 1:02d}"
        release, due = START + timedelta(weeks=i), START + timedelta(weeks=i + 1, hours=14, minutes=59)
        data["assignments"].append({
            "id": aid, "title": f"Homework {i + 1}: {module}", "title_ko": f"과제 {i + 1}", "module": module,
            "tracks": tracks, "competencies": comps, "points": 10 + 5 * (i % 3),
            "release": release.isoformat(), "due": due.isoformat()})
        folder = base / "assignments" / aid
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "nb.ipynb").write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    data["late_policy"]["extensions"] = [
        {"student": "s0001", "assignment": "hw03", "days": 2, "reason": "medical certificate"}]
    path = base / "course.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


SURNAMES = "김이박최정강조윤장임한오서신권황안송류홍"
GIVEN = ["민준", "서연", "지호", "하은", "도윤", "서준", "지우", "예준", "수아", "시우", "지유", "하준"]


def write_roster(path: Path, n: int, rng: random.Random) -> list[tuple[str, str]]:
    lines = ["id,name,email,role,track,cohort"]
    students = []
    for i in range(1, n + 1):
        sid, track = f"s{i:04d}", ("medicine", "engineering")[i % 2]
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        lines.append(f"{sid},{name},{sid}@medai.example.ac.kr,student,{track},{2025 + i % 2}")
        students.append((sid, track))
    lines += ["prof01,윤지원,prof01@medai.example.ac.kr,instructor,,", "staff01,한수민,staff01@medai.example.ac.kr,staff,,"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return students


def build_gradebook(url: str, course, students: list[tuple[str, str]], rng: random.Random) -> int:
    """Bulk-insert students, assignments, notebooks, grade cells, submissions and grades; returns submissions."""
    from nbgrader.api import Assignment, Grade, GradeCell, Notebook, Student, SubmittedAssignment, SubmittedNotebook
    from sqlalchemy import insert

    from medai.nbgrader_adapter.gradebook import gradebook

    def uid() -> str:
        return uuid.uuid4().hex

    with gradebook(url) as gb:
        db = gb.db
        db.execute(insert(Student), [{"id": sid, "first_name": sid, "last_name": "", "email": f"{sid}@x.kr"}
                                     for sid, _ in students])
        cells, notebooks, assignment_ids = {}, {}, {}
        for a in course.assignments:
            assignment_ids[a.id] = uid()
            notebooks[a.id] = uid()
            cells[a.id] = [(uid(), 4.0, "code"), (uid(), 4.0, "code"), (uid(), 2.0, "markdown")]
        db.execute(insert(Assignment), [{"id": assignment_ids[a.id], "name": a.id, "course_id": "default_course",
                                         "duedate": a.due.astimezone(timezone.utc).replace(tzinfo=None)}
                                        for a in course.assignments])
        db.execute(insert(Notebook), [{"id": notebooks[a], "name": "nb", "assignment_id": assignment_ids[a]}
                                      for a in assignment_ids])
        db.execute(insert(GradeCell), [{"id": cid, "name": f"q{j}", "notebook_id": notebooks[a], "max_score": pts,
                                        "cell_type": kind}
                                       for a in cells for j, (cid, pts, kind) in enumerate(cells[a])])
        subs, snbs, grades = [], [], []
        for sid, track in students:
            ability = rng.uniform(0.35, 1.0)
            for i, a in enumerate(course.assignments_for_track(track)):
                due = a.due.astimezone(timezone.utc).replace(tzinfo=None)
                if due > AS_OF.replace(tzinfo=None) or rng.random() < 0.02:
                    continue  # not due yet, or missing
                sub, snb = uid(), uid()
                ts = due - timedelta(hours=rng.uniform(-30, 60)) if rng.random() < 0.15 else due - timedelta(hours=rng.uniform(1, 120))
                subs.append({"id": sub, "assignment_id": assignment_ids[a.id], "student_id": sid, "timestamp": ts})
                snbs.append({"id": snb, "notebook_id": notebooks[a.id], "assignment_id": sub})
                drift = ability - 0.02 * i * (sid.endswith("7"))
                for cid, pts, kind in cells[a.id]:
                    score = round(pts * min(1.0, max(0.0, rng.gauss(drift, 0.15))), 1)
                    manual = kind == "markdown" and rng.random() < 0.03
                    grades.append({"id": uid(), "cell_id": cid, "notebook_id": snb,
                                   "auto_score": None if kind == "markdown" else score,
                                   "manual_score": None if manual or kind == "code" else score,
                                   "needs_manual_grade": manual})
        db.execute(insert(SubmittedAssignment), subs)
        db.execute(insert(SubmittedNotebook), snbs)
        db.execute(insert(Grade), grades)
        db.commit()
        return len(subs)


def build(base: Path, n: int):
    from medai.course import load_course
    from medai.course.layout import Layout

    rng = random.Random(7)
    course_file = write_course(base / "course")
    course = load_course(course_file)
    layout = Layout(root=base / "root")
    layout.course_dir.mkdir(parents=True)
    students = write_roster(layout.roster_file, n, rng)
    subs = build_gradebook(layout.gradebook_url, course, students, rng)
    outbound = layout.exchange_dir / course.course.id / "outbound"
    for a in course.assignments:
        if a.release <= AS_OF:
            (outbound / a.id).mkdir(parents=True)
    (layout.exchange_dir / course.course.id / "inbound").mkdir(parents=True)
    return course, layout, subs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--keep", metavar="DIR", help="build in DIR and keep it (default: a temporary directory)")
    parser.add_argument("--lang", default="ko", choices=("ko", "en"),
                        help="language of the Excel and PDF reports (default ko: Hangul in every table)")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from medai.progress.model import compute_progress
    from medai.progress.reports.csv_export import write_csv
    from medai.progress.reports.pdf import expected_pages, write_pdf
    from medai.progress.reports.xlsx import write_xlsx
    from medai.progress.sources import load_progress, observe, roster_students

    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="medai-bench-"))
    try:
        t0 = time.perf_counter()
        course, layout, subs = build(base, args.students)
        print(f"setup: {args.students} students x {len(course.assignments)} assignments, {subs} graded submissions "
              f"in {time.perf_counter() - t0:.1f} s")
        load_progress(course=course, layout=layout, as_of=AS_OF)  # warm imports (nbgrader, SQLAlchemy)
        times = {}
        t = time.perf_counter()
        report = load_progress(course=course, layout=layout, as_of=AS_OF)
        times["progress"] = time.perf_counter() - t
        students = roster_students(course=course, roster_path=layout.roster_file)
        obs = observe(course=course, layout=layout, students=students, as_of=AS_OF)
        t = time.perf_counter()
        compute_progress(course=course, students=students, observations=obs, as_of=AS_OF)
        compute_only = time.perf_counter() - t
        out = base / "out"
        t = time.perf_counter()
        write_csv(report, out / "progress.csv")
        csv_s = time.perf_counter() - t
        write_xlsx(report, out / "progress.xlsx", lang=args.lang)
        times["csv+xlsx"] = time.perf_counter() - t
        t, cpu = time.perf_counter(), time.process_time()
        write_pdf(report, out / "progress.pdf", lang=args.lang)
        times["pdf"] = time.perf_counter() - t
        pdf_cpu = time.process_time() - cpu  # the PDF is drawn in this one thread: CPU time, whatever runs beside
        at_risk = sum(s.at_risk for s in report.students)
        print(f"progress (roster + gradebook + exchange + homes + computation): {times['progress']:.2f} s "
              f"(computation alone {compute_only:.2f} s); {at_risk} students at risk")
        print(f"csv + xlsx: {times['csv+xlsx']:.2f} s (csv {csv_s:.2f} s, xlsx {times['csv+xlsx'] - csv_s:.2f} s)")
        print(f"pdf ({args.lang}): {times['pdf']:.2f} s, {expected_pages(report, args.lang)} pages, "
              f"{(out / 'progress.pdf').stat().st_size / 1e6:.1f} MB, {pdf_cpu:.2f} s of CPU")
        failed = [k for k, limit in TARGETS.items() if times[k] > limit]
        for k, limit in TARGETS.items():
            print(f"  {k:10s} {times[k]:6.2f} s  (target <= {limit:g} s) {'OVER' if k in failed else 'ok'}")
        return 1 if failed else 0
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
