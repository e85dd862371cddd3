"""One score for one submission, everywhere a person looks (a real hub, real nbgrader, the real formgrader API).

A medicine student hands in c02 late (its due date has passed: course.yaml's late policy takes its capped
percentage). The hub grades it; the instructor then grades the written answer by hand through the formgrader's
own API (as its grading page does) and feedback is generated and returned. After each change of the total the
gradebook holds the late penalty on that total, and the feedback HTML, the formgrader (the assignment's
submissions, the student's assignments, the student's total), the progress model (JSON), the Excel, CSV and PDF
reports and the Canvas and Moodle exports all show that one number.
"""
from __future__ import annotations

import csv
import json
import os
import re
from datetime import datetime, timezone

import nbformat
import pytest
from openpyxl import load_workbook

from medai.course import load_course
from medai.course.late import lateness
from medai.grader.feedback_language import LOCALE_DIR as FEEDBACK_LOCALE
from medai.i18n import translator
from medai.progress.reports.tables import detail_columns
from medai.progress.reports.words import words
from tests.conftest import REPO
from tests.deployment import logged_in, running

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="users' servers run as their own Unix accounts: needs root"),
]

COURSE_ID = "medai101"
ASSIGNMENT = "c02-diagnostic-metrics"
NOTEBOOK = "diagnostic-metrics"
FORMGRADER = f"/services/formgrader-{COURSE_ID}/formgrader"
PLACEHOLDER = "    # YOUR CODE HERE\n    raise NotImplementedError()"
ANSWER = ('    truth, test = np.asarray(y_true) == 1, np.asarray(y_pred) == 1\n'
          '    return {"tp": int(np.sum(truth & test)), "fp": int(np.sum(~truth & test)),\n'
          '            "fn": int(np.sum(truth & ~test)), "tn": int(np.sum(~truth & ~test))}')
HAND_SCORE = 1.5

# the roster gives no language: Korean feedback (medai.grader.feedback_language)
FEEDBACK_WORDS = translator("ko", domain="feedback", localedir=FEEDBACK_LOCALE).gettext


@pytest.fixture(scope="module")
def hub():
    with running() as d:
        d.medai("release", ASSIGNMENT)
        yield d


def hand_in_late(hub) -> None:
    """med1 fetches c02, answers the first question (the written answer stays for the instructor), submits."""
    student = logged_in(hub, "med1")
    student.spawn()
    base = f"/user/{student.name}"
    r = student.server("POST", f"{base}/assignments/fetch", data={"course_id": COURSE_ID, "assignment_id": ASSIGNMENT})
    assert r.status_code == 200 and r.json()["success"], r.text
    path = f"{base}/api/contents/{ASSIGNMENT}/{NOTEBOOK}.ipynb"
    nb = nbformat.from_dict(student.server("GET", path).json()["content"])
    [cell] = [c for c in nb.cells if c.source.startswith("def confusion_counts")]
    cell.source = cell.source.replace(PLACEHOLDER, ANSWER)
    [written] = [c for c in nb.cells if c.source.strip() == "YOUR ANSWER HERE"]
    written.source = "A positive screening result is a reason for more tests, not a diagnosis (PPV 0.15)."
    r = student.server("PUT", path, json={"type": "notebook", "format": "json", "content": nb})
    assert r.status_code == 200, r.text
    r = student.server("POST", f"{base}/assignments/submit", data={"course_id": COURSE_ID, "assignment_id": ASSIGNMENT})
    assert r.status_code == 200 and r.json()["success"], r.text


def stored_penalty(hub, student: str) -> tuple[float, float, float]:
    """(total score, stored late penalty, max score) of the submission, from the gradebook itself."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{hub.root / 'course' / 'gradebook.db'}") as gb:
        s = gb.find_submission(ASSIGNMENT, student)
        return float(s.score), float(s.late_submission_penalty or 0), float(s.max_score)


def formgrader_numbers(hub, prof, student: str) -> dict[str, tuple[float, float]]:
    """(score, max) of the submission as the formgrader's pages get them."""
    subs = prof.server("GET", f"{FORMGRADER}/api/submissions/{ASSIGNMENT}")
    assert subs.status_code == 200, hub.log.read_text()[-4000:]  # the formgrader's traceback is in the hub's log
    [mine] = [s for s in subs.json() if s["student"] == student]
    theirs = prof.server("GET", f"{FORMGRADER}/api/student_submissions/{student}").json()
    [listed] = [s for s in theirs if s["name"] == ASSIGNMENT]
    notebooks = prof.server("GET", f"{FORMGRADER}/api/student_notebook_submissions/{student}/{ASSIGNMENT}").json()
    return {"submissions": (mine["score"], mine["max_score"]), "student": (listed["score"], listed["max_score"]),
            "notebook": (notebooks[0]["score"], notebooks[0]["max_score"]),
            "penalty": (mine["late_penalty"], listed["late_penalty"])}


def grade_written_answer_by_hand(prof, student: str) -> None:
    """What the grading page does: find the written answer's grade, PUT a manual score."""
    notebooks = prof.server("GET", f"{FORMGRADER}/api/submitted_notebooks/{ASSIGNMENT}/{NOTEBOOK}").json()
    [mine] = [n for n in notebooks if n["student"] == student]
    grades = prof.server("GET", f"{FORMGRADER}/api/grades", params={"submission_id": mine["id"]}).json()
    [written] = [g for g in grades if g["needs_manual_grade"] and g["auto_score"] is None]
    r = prof.server("PUT", f"{FORMGRADER}/api/grade/{written['id']}",
                    json={"manual_score": HAND_SCORE, "extra_credit": None})
    assert r.status_code == 200 and r.json()["manual_score"] == HAND_SCORE, r.text


def feedback_numbers(hub, student: str) -> tuple[float, float, float]:
    """(score, max, penalty) as the student's feedback HTML says them."""
    page = (hub.root / "course" / "feedback" / student / ASSIGNMENT / f"{NOTEBOOK}.html").read_text()
    score, late = FEEDBACK_WORDS("Score"), FEEDBACK_WORDS("Late submission penalty")  # the student's language
    heading = re.search(rf"<h4>[^<]*\({score}: ([\d.]+) / ([\d.]+)\)", page)
    penalty = re.search(rf"{late} \({score}: -([\d.]+)\)", page)
    assert heading and penalty, "the feedback gives no total or no late penalty"
    return float(heading.group(1)), float(heading.group(2)), float(penalty.group(1))


def report_fractions(hub, student: str) -> dict[str, float]:
    """The submission's score after the penalty, as a fraction of its maximum, in every export."""
    out, fractions = hub.root / "reports", {}
    out.mkdir(exist_ok=True)
    for fmt in ("json", "xlsx", "csv", "pdf"):
        hub.medai("report", "progress", "--format", fmt, "--student", student, "-o", str(out / f"p.{fmt}"))
    [row] = [a for s in json.loads((out / "p.json").read_text())["students"] for a in s["assignments"]
             if a["assignment"] == ASSIGNMENT]
    fractions["progress"] = row["final_percent"] / 100
    w = words("ko")  # the workbook is in Korean: its sheet and headers come from the reports' catalogue
    sheet = list(load_workbook(out / "p.xlsx")[w.gettext("Details")].iter_rows(values_only=True))
    label = {c.name: c.label for c in detail_columns(w)}
    [xrow] = [dict(zip(sheet[0], r)) for r in sheet[1:] if r[sheet[0].index(label["assignment"])] == ASSIGNMENT]
    fractions["excel"] = xrow[label["final_percent"]] / 100
    with (out / "p.csv").open(encoding="utf-8") as f:
        [crow] = [r for r in csv.DictReader(f) if r["assignment"] == ASSIGNMENT]
    fractions["csv"] = float(crow["final_percent"]) / 100
    assert (out / "p.pdf").read_bytes().startswith(b"%PDF")
    course = load_course(REPO / "course" / "course.yaml")
    a = course.assignment(ASSIGNMENT)
    for lms in ("canvas", "moodle"):
        hub.medai("report", "lms", "--format", lms, "--student", student, "-o", str(out / f"{lms}.csv"))
        rows = list(csv.reader((out / f"{lms}.csv").open(encoding="utf-8")))
        column = rows[0].index(a.title)
        [mine] = [r for r in rows if student in r]
        fractions[lms] = float(mine[column]) / a.points
    return fractions, row


def test_one_score_from_autograde_through_hand_grading_to_every_report(hub):
    student = hub.ids["med1"]
    hand_in_late(hub)
    out = hub.medai("grade", ASSIGNMENT, "--quiet").stdout
    assert re.search(r": (1 processed this run, 0|0 processed this run, 1) unchanged", out), out
    course = load_course(REPO / "course" / "course.yaml")
    late = lateness(course, assignment_id=ASSIGNMENT, student=student, submitted=datetime.now(timezone.utc))
    assert late.late and late.penalty_percent == 50  # months after the due date: the course's cap

    auto, penalty, top = stored_penalty(hub, student)
    assert auto > 0 and penalty == pytest.approx(auto * 0.5)  # stored at autograde, on the automatic points
    prof = logged_in(hub, "prof")
    before = formgrader_numbers(hub, prof, student)
    assert before["submissions"] == pytest.approx((auto - penalty, top))
    assert before["penalty"] == pytest.approx((penalty, penalty))

    grade_written_answer_by_hand(prof, student)
    total, penalty, top = stored_penalty(hub, student)
    assert total == pytest.approx(auto + HAND_SCORE)
    assert penalty == pytest.approx(total * 0.5)  # stored again when the hand grade was saved
    net = total - penalty
    seen = formgrader_numbers(hub, prof, student)
    assert seen["submissions"] == seen["student"] == seen["notebook"] == pytest.approx((net, top))
    students = {s["id"]: s for s in prof.server("GET", f"{FORMGRADER}/api/students").json()}
    track = {a.id for a in course.assignments_for_track("medicine")}
    gradebook_maxima = {a["name"]: a["max_score"] for a in prof.server("GET", f"{FORMGRADER}/api/assignments").json()}
    assert students[student]["score"] == pytest.approx(net)  # the only graded work
    assert students[student]["max_score"] == pytest.approx(sum(m for n, m in gradebook_maxima.items() if n in track))

    assert "feedback returned (1 student(s))" in hub.medai("feedback", ASSIGNMENT).stdout
    shown, shown_max, shown_penalty = feedback_numbers(hub, student)
    assert (shown, shown_max, shown_penalty) == (round(net, 2), round(top, 2), round(penalty, 2))

    fractions, row = report_fractions(hub, student)
    assert row["raw_score"] == pytest.approx(total) and row["penalty_points"] == pytest.approx(penalty)
    for where, fraction in fractions.items():
        assert fraction == pytest.approx(net / top, abs=0.005), where  # exports round to 2 decimals
