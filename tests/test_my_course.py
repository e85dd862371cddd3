"""The My-course panel's data: one student's course from the progress model (medai.progress.my_course), the
progress service's students' API over HTTP (own data only), and the student server's join with nbgrader's list.

Hand computation on tests/progress_fixture.py at AS_OF (2026-10-01 12:00 KST), late policy 10 %/day, cap 50 %,
15 min grace; med2 has a 3-day extension on a2."""
from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

import pytest
import requests
import yaml

from medai.course import load_course
from medai.progress.my_course import NotAStudent, my_course, student_state
from medai.progress.sources import load_inputs
from tests import progress_fixture as pf
from tests.test_report_staff_page import SCOPE, serving

KST_NOON_SEP14 = datetime(2026, 9, 14, 3, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def fx(tmp_path_factory):
    return pf.build(tmp_path_factory.mktemp("mycourse"))


@pytest.fixture(scope="module")
def inputs(fx):
    return load_inputs(course=fx.course, layout=fx.layout, as_of=pf.AS_OF)


def rows(payload):
    return {r["id"]: r for r in payload["assignments"]}


def test_state_names_for_the_student():
    assert student_state("released", penalty_now=0) == "not_fetched"
    assert student_state("late", penalty_now=50) == "late"  # a submission now still earns half
    assert student_state("late", penalty_now=100) == "missed"
    for same in ("not_released", "fetched", "submitted", "graded", "needs_manual_grading"):
        assert student_state(same, penalty_now=0) == same
    with pytest.raises(ValueError):
        student_state("not_in_course", penalty_now=0)


def test_a_student_sees_common_work_and_their_own_track_only(inputs):
    med = my_course(inputs, "med1", now=pf.AS_OF)
    eng = my_course(inputs, "eng1", now=pf.AS_OF)
    assert list(rows(med)) == ["a1", "a2", "a3", "a5", "a6"]  # a4 is engineering's
    assert list(rows(eng)) == ["a1", "a2", "a4", "a5", "a6"]  # a3 is medicine's
    assert med["student"]["track"] == "medicine" and med["student"]["track_title_ko"]
    assert [m["id"] for m in med["modules"]] == [m.id for m in inputs.course.modules if m.id != "deep-learning"]
    with pytest.raises(NotAStudent):
        my_course(inputs, "prof1", now=pf.AS_OF)


def test_other_tracks_are_a_course_switch(fx, inputs):
    course = load_course(fx.course_file)
    course.course.other_tracks_visible = True
    shown = my_course(dataclasses.replace(inputs, course=course), "med1", now=pf.AS_OF)
    assert list(rows(shown)) == ["a1", "a2", "a3", "a4", "a5", "a6"]
    assert [r["id"] for r in shown["assignments"] if r["other_track"]] == ["a4"]
    assert shown["progress"]["total"] == 5  # counted nowhere for a medicine student


def test_states_dates_and_scores(inputs):
    med1 = rows(my_course(inputs, "med1", fetched=["a5", "a1"], now=pf.AS_OF))
    assert med1["a1"]["state"] == "graded" and med1["a1"]["score"]["final_percent"] == 90.0
    a2 = med1["a2"]  # 16/20, 2 days late: -20 % of the score
    assert a2["state"] == "graded" and a2["days_late"] == 2
    assert a2["score"] == {"points": 16.0, "max": 20.0, "percent": 80.0, "final_percent": 64.0,
                           "penalty_percent": 20.0, "penalty_points": 3.2}
    assert a2["submitted_at"] == "2026-09-23T10:00:00+09:00"  # the course's zone
    assert med1["a5"]["state"] == "fetched"  # from the folder in the student's home
    assert med1["a6"]["state"] == "not_released" and med1["a6"]["release"] == "2026-10-20T09:00:00+09:00"
    assert med1["a5"]["due"] == "2026-10-05T23:59:00+09:00" and not med1["a5"]["submit_now"]["late"]
    assert med1["a1"]["late_policy"] == {"percent_per_day": 10, "cap_percent": 50, "grace_minutes": 15}
    med3 = rows(my_course(inputs, "med3", now=pf.AS_OF))  # nothing submitted
    assert med3["a5"]["state"] == "not_fetched"
    assert med3["a1"]["state"] == "late"  # 17 days late: capped at -50 %, still worth submitting
    assert med3["a1"]["submit_now"] == {"late": True, "days_late": 17, "penalty_percent": 50.0}
    med2 = rows(my_course(inputs, "med2", now=pf.AS_OF))
    assert med2["a2"]["extension"] and med2["a2"]["due"] == "2026-09-24T23:59:00+09:00"
    assert med2["a2"]["original_due"] == "2026-09-21T23:59:00+09:00" and med2["a2"]["days_late"] == 0
    assert med2["a3"]["state"] == "needs_manual_grading" and med2["a5"]["state"] == "submitted"


def test_missed_when_a_submission_now_would_earn_nothing(fx, inputs):
    course = load_course(fx.course_file)
    course.late_policy.cap_percent = 100
    med3 = rows(my_course(dataclasses.replace(inputs, course=course), "med3", now=pf.AS_OF))
    assert med3["a1"]["state"] == "missed" and med3["a1"]["submit_now"]["penalty_percent"] == 100
    assert med3["a3"]["state"] == "late"  # due 2026-09-28 23:59: 3 started days, -30 %
    assert med3["a3"]["submit_now"]["penalty_percent"] == 30


def test_the_numbers_are_the_staff_pages(inputs):
    report = inputs.report()
    for s in report.students:
        mine = my_course(inputs, s.id, now=pf.AS_OF)
        p = mine["progress"]
        assert (p["weighted_score"], p["standing"], p["completed"], p["total"], p["completion"]) == (
            s.weighted_score, s.standing, s.completed, s.total, s.completion), s.id
        assert [(c["id"], c["level"], c["percent"]) for c in p["competencies"]] == [
            (c.competency, c.level, c.percent) for c in s.competencies]
        staff_rows = {r.assignment: r for r in s.assignments}
        for r in mine["assignments"]:
            assert r["days_late"] == staff_rows[r["id"]].days_late
            if r["score"]:
                assert r["score"]["final_percent"] == staff_rows[r["id"]].final_percent
        assert p["overdue"] == [r.assignment for r in s.assignments if r.state == "late"]


def test_no_score_while_hidden_tests_are_withheld(inputs):
    hidden = dataclasses.replace(inputs, observations=dataclasses.replace(inputs.observations, hidden_tests={"a1"}))
    before = my_course(hidden, "med1", now=KST_NOON_SEP14)  # a1 graded, its deadline tonight
    a1 = rows(before)["a1"]
    assert a1["state"] == "graded" and a1["score"] is None
    assert a1["score_hidden_until"] == "2026-09-14T23:59:00+09:00"
    assert a1["hidden_tests"] == {"policy": "after-due", "present": True, "shown_from": "2026-09-14T23:59:00+09:00"}
    # a1 leaves the scores (the fixture's gradebook already holds a2 and a3, graded "later")
    assert before["progress"]["weighted_score"] == pytest.approx((20 * 64 + 10 * 50) / 30)
    assert [p["assignment"] for p in before["progress"]["series"]] == ["a2", "a3"]
    assert before["progress"]["completed"] == 3  # a1 still counts as submitted
    after = my_course(hidden, "med1", now=pf.AS_OF)
    assert rows(after)["a1"]["score"]["final_percent"] == 90.0 and rows(after)["a1"]["score_hidden_until"] is None
    shown = my_course(inputs, "med1", now=KST_NOON_SEP14)  # no hidden tests in a1: nothing to wait for
    assert rows(shown)["a1"]["score"]["final_percent"] == 90.0


def test_withdrawn_work_is_named_for_a_note(inputs):
    obs = dataclasses.replace(inputs.observations, withdrawn={"c99-old"})
    payload = my_course(dataclasses.replace(inputs, observations=obs), "med1", fetched=["c99-old", "a1"],
                        now=pf.AS_OF)
    assert payload["withdrawn"] == ["c99-old", "old-hw"]  # fetched, and graded in the gradebook
    assert "c99-old" not in rows(payload) and "old-hw" not in rows(payload)
    assert my_course(inputs, "med2", now=pf.AS_OF)["withdrawn"] == []


def test_series_for_the_plot(inputs):
    series = my_course(inputs, "med1", now=pf.AS_OF)["progress"]["series"]
    assert [(p["assignment"], p["final_percent"]) for p in series] == [("a1", 90.0), ("a2", 64.0), ("a3", 50.0)]


def test_hidden_tests_are_found_in_the_gradebook(tmp_path):
    from nbgrader.api import Gradebook

    from medai.nbgrader_adapter.gradebook import assignments_with_hidden_tests

    url = f"sqlite:///{tmp_path}/gradebook.db"
    with Gradebook(url) as gb:
        for aid, source in (("open", "assert f(1) == 2"),
                            ("secret", "assert f(1) == 2\n### BEGIN HIDDEN TESTS\nassert f(2) == 4\n### END HIDDEN TESTS")):
            gb.add_assignment(aid)
            gb.add_notebook("nb", aid)
            gb.add_grade_cell("t1", "nb", aid, max_score=1, cell_type="code")
            gb.add_source_cell("t1", "nb", aid, cell_type="code", locked=True, source=source, checksum="x")
        assert assignments_with_hidden_tests(gb) == {"secret"}


# -- the service's API over HTTP -------------------------------------------------------------------------

USERS = {
    "med1": {"name": "med1", "kind": "user", "groups": ["students", "medicine"], "scopes": [SCOPE]},
    "med2": {"name": "med2", "kind": "user", "groups": ["students", "medicine"], "scopes": [SCOPE]},
    "staff1": {"name": "staff1", "kind": "user", "groups": ["staff"], "scopes": [SCOPE]},
}


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    fx = pf.build(tmp_path_factory.mktemp("api"))
    with serving(fx, USERS, max_age=3600) as base:
        yield fx, f"{base}api/students/"


def api(base, student, user=None, **params):
    return requests.get(f"{base}{student}/my-course", params=params,
                        headers={"X-Test-User": user} if user else {}, allow_redirects=False, timeout=60)


def test_a_student_reads_their_own_course_and_no_one_elses(service):
    _, base = service
    mine = api(base, "med1", "med1", fetched="a5,a1")
    assert mine.status_code == 200 and mine.headers["Content-Type"].startswith("application/json")
    assert mine.json()["student"]["id"] == "med1" and rows(mine.json())["a5"]["state"] == "fetched"
    theirs = api(base, "med2", "med1")
    assert theirs.status_code == 403 and "own course only" in theirs.json()["message"]
    assert "med2" not in theirs.text.replace("not med2's", "")  # nothing of med2's course in the refusal
    assert api(base, "med1").status_code == 403  # no token: refused, not redirected to a login page
    assert api(base, "med2", "staff1").status_code == 200  # staff read any student's (as on the staff page)
    assert api(base, "nobody", "staff1").status_code == 404


def test_an_extension_granted_now_shows_on_the_next_request(service):
    fx, base = service
    assert rows(api(base, "med1", "med1").json())["a5"]["due"] == "2026-10-05T23:59:00+09:00"
    original = fx.course_file.read_text(encoding="utf-8")
    data = yaml.safe_load(original)
    data["late_policy"]["extensions"].append({"student": "med1", "assignment": "a5", "days": 2, "reason": "illness"})
    try:
        fx.course_file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        a5 = rows(api(base, "med1", "med1").json())["a5"]  # the service caches for an hour in this test
        assert a5["due"] == "2026-10-07T23:59:00+09:00" and a5["extension"]
    finally:
        fx.course_file.write_text(original, encoding="utf-8")


def test_an_assignment_withdrawn_from_course_yaml_leaves_with_a_note_on_the_next_request(service):
    fx, base = service
    before = api(base, "med1", "med1", fetched="a5,a1").json()
    assert "a5" in rows(before) and before["withdrawn"] == ["old-hw"]  # graded once, never in course.yaml
    assert api(base, "med2", "med2").json()["withdrawn"] == []
    original = fx.course_file.read_text(encoding="utf-8")
    data = yaml.safe_load(original)
    data["assignments"] = [a for a in data["assignments"] if a["id"] != "a5"]  # released and fetched: withdrawn
    try:
        fx.course_file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        after = api(base, "med1", "med1", fetched="a5,a1").json()  # the service caches for an hour in this test
        assert "a5" not in rows(after) and after["withdrawn"] == ["a5", "old-hw"]  # gone, named for the note
        assert api(base, "med2", "med2").json()["withdrawn"] == ["a5"]  # submitted, not collected: a note too
    finally:
        fx.course_file.write_text(original, encoding="utf-8")


# -- the student's server: the service's payload joined with nbgrader's own list ---------------------------

def test_nbgrader_list_is_joined_per_assignment():
    from medai.hub.my_course import join_local

    listing = [
        {"course_id": "medai101", "assignment_id": "a1", "status": "fetched", "path": "a1",
         "notebooks": [{"notebook_id": "nb", "path": "a1/nb.ipynb"}]},
        {"course_id": "medai101", "assignment_id": "a2", "status": "released", "path": "/x/outbound/a2",
         "notebooks": [{"notebook_id": "nb", "path": "/x/outbound/a2/nb.ipynb"}]},
        {"course_id": "medai101", "assignment_id": "a1", "status": "submitted", "submissions": [
            {"timestamp": "2026-09-14 10:00:00.000000 UTC", "has_local_feedback": True, "has_exchange_feedback": True,
             "feedback_updated": False, "local_feedback_path": "a1/feedback/2026-09-14 10:00:00.000000 UTC",
             "notebooks": [{"notebook_id": "nb"}]},
            {"timestamp": "2026-09-13 10:00:00.000000 UTC", "has_local_feedback": False,
             "has_exchange_feedback": False, "local_feedback_path": None, "notebooks": [{"notebook_id": "nb"}]}]},
    ]
    payload = join_local({"assignments": [{"id": "a1"}, {"id": "a2"}, {"id": "a3"}]}, listing)
    a1, a2, a3 = (r["local"] for r in payload["assignments"])
    assert a1["status"] == "submitted" and a1["notebooks"] == [{"notebook_id": "nb", "path": "a1/nb.ipynb"}]
    assert a1["feedback"] == {"local": True, "exchange": True, "updated": False,
                              "path": "a1/feedback/2026-09-14 10:00:00.000000 UTC/nb.html"}
    assert a2["status"] == "released" and a2["notebooks"] == []  # nothing to open before fetching
    assert a3["status"] is None and a3["feedback"]["path"] is None


def test_a_hand_grade_shows_on_the_next_request_of_the_staff_page(service):
    from nbgrader.api import Gradebook

    fx, base = service
    page = base.replace("api/students/", "") + "student/med1"
    before = requests.get(page, headers={"X-Test-User": "staff1"}, timeout=60)
    assert before.status_code == 200 and ">90.0<" in before.text  # a1: 9 / 10
    with Gradebook(fx.layout.gradebook_url) as gb:  # the instructor changes the written answer's grade
        grade = gb.find_grade("q2", "nb", "a1", "med1")
        grade.manual_score = 4
        gb.db.commit()
    try:  # the page caches for an hour in this test: the gradebook's change is what reloads it
        after = requests.get(page, headers={"X-Test-User": "staff1"}, timeout=60)
        assert ">100.0<" in after.text and ">90.0<" not in after.text
    finally:
        with Gradebook(fx.layout.gradebook_url) as gb:
            gb.find_grade("q2", "nb", "a1", "med1").manual_score = 3
            gb.db.commit()
