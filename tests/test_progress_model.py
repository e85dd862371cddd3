"""The progress model on a small gradebook built with nbgrader's API: every number is computed by hand here."""
from __future__ import annotations

import json
import os
import shutil
from datetime import datetime, timezone

import pytest

from medai.course import load_course
from medai.errors import UserError
from medai.progress.model import Observations, StudentInfo, Thresholds, compute_progress
from medai.progress.sources import GradebookMismatch, load_progress
from tests import progress_fixture as pf

# Late policy of the fixture: 10 % per started day after deadline + 15 min grace, capped at 50 %.
# Points: a1 10, a2 20, a3 10 (medicine), a4 10 (engineering), a5 10 (open), a6 10 (not released).
# med1: a1 9/10 = 90; a2 16/20 = 80, submitted 2026-09-23 01:00Z, deadline 09-21 14:59Z -> 1 d 10 h 01 min,
#       minus 15 min grace -> 2 started days -> -20 % -> 64; a3 5/10 = 50.
#       weighted (10*90 + 20*64 + 10*50) / 40 = 2680 / 40 = 67.0; trend 90, 64, 50: slope -20 -> falling.
# med2: a1 100; a2 100 (late without, on time with the 3-day extension); a3 waits for manual grading;
#       a5 submitted (in the exchange). weighted (10*100 + 20*100) / 30 = 100.
# med3: nothing; a1, a2, a3 past due -> missing; standing 0 over 40 points.
# eng1: a1 40, a2 50 -> (400 + 1000) / 30 = 46.67 < 60 -> low score; a4 collected, not graded.
# eng2: a1 80; a2 100 -> 10 days late, capped at -50 % -> 50; a4 missing.
#       weighted (800 + 1000) / 30 = 60.0 (not under 60); standing (800 + 1000 + 0) / 40 = 45.0.
HAND = {
    "med1": {"weighted": 67.0, "standing": 67.0, "completed": 3, "flags": ["falling"]},
    "med2": {"weighted": 100.0, "standing": 100.0, "completed": 4, "flags": []},
    "med3": {"weighted": None, "standing": 0.0, "completed": 0, "flags": ["missing"]},
    "eng1": {"weighted": 1400 / 30, "standing": 1400 / 30, "completed": 3, "flags": ["low_score"]},
    "eng2": {"weighted": 60.0, "standing": 45.0, "completed": 2, "flags": ["missing"]},
}
STATES = {
    "med1": {"a1": "graded", "a2": "graded", "a3": "graded", "a5": "fetched", "a6": "not_released"},
    "med2": {"a1": "graded", "a2": "graded", "a3": "needs_manual_grading", "a5": "submitted", "a6": "not_released"},
    "med3": {"a1": "late", "a2": "late", "a3": "late", "a5": "released", "a6": "not_released"},
    "eng1": {"a1": "graded", "a2": "graded", "a4": "submitted", "a5": "released", "a6": "not_released"},
    "eng2": {"a1": "graded", "a2": "graded", "a4": "late", "a5": "released", "a6": "not_released"},
}


@pytest.fixture(scope="module")
def fx(tmp_path_factory):
    return pf.build(tmp_path_factory.mktemp("progress"))


@pytest.fixture(scope="module")
def report(fx):
    return load_progress(course=fx.course, layout=fx.layout, as_of=pf.AS_OF)


def approx(v):
    return None if v is None else pytest.approx(v, abs=1e-9)


def test_students_come_from_the_roster_with_track_and_cohort(report):
    assert [(s.id, s.track, s.cohort) for s in report.students] == [
        ("med1", "medicine", "2026"), ("med2", "medicine", "2026"), ("med3", "medicine", "2025"),
        ("eng1", "engineering", "2026"), ("eng2", "engineering", "2026")]
    assert report.students[0].name == "김민준"
    assert (report.students[0].first_name, report.students[0].last_name) == ("민준", "김")  # from the roster name


def test_only_the_students_track_counts(report):
    for s in report.students:
        assert {a.assignment for a in s.assignments} == set(STATES[s.id]), s.id
        assert s.total == 5


def test_each_assignment_state(report):
    assert {s.id: {a.assignment: a.state for a in s.assignments} for s in report.students} == STATES


def test_scores_after_the_late_penalty_equal_the_hand_computation(report):
    med1 = {a.assignment: a for a in report.students[0].assignments}
    assert (med1["a2"].score_percent, med1["a2"].days_late, med1["a2"].penalty_percent) == (80.0, 2, 20.0)
    assert med1["a2"].final_percent == approx(64.0)
    assert med1["a2"].penalty_points == approx(0.2 * 16)  # stored in the gradebook: 20 % of 16 points
    assert med1["a2"].submitted_at == "2026-09-23T01:00:00+00:00"
    med2 = {a.assignment: a for a in report.students[1].assignments}
    assert med2["a2"].extension and med2["a2"].deadline == "2026-09-24T23:59:00+09:00"
    assert (med2["a2"].days_late, med2["a2"].final_percent) == (0, 100.0)
    assert (med2["a3"].raw_score, med2["a3"].max_score) == (6.0, 10.0)
    eng2 = {a.assignment: a for a in report.students[4].assignments}
    assert (eng2["a2"].days_late, eng2["a2"].penalty_percent, eng2["a2"].final_percent) == (10, 50.0, 50.0)


def test_the_stored_penalty_is_what_shows_and_a_stale_one_is_reported(tmp_path):
    """The model reads the penalty stored with the submission; when course.yaml's policy would now take
    another (changed after grading), the stored one still shows and a warning names the assignment."""
    from nbgrader.api import Gradebook

    fx = pf.build(tmp_path)
    with Gradebook(fx.layout.gradebook_url) as gb:  # as if graded before a2's late policy was written
        gb.find_submission_notebook("nb", "a2", "med1").late_submission_penalty = None
        gb.db.commit()
    report = load_progress(course=fx.course, layout=fx.layout, as_of=pf.AS_OF)
    med1 = {a.assignment: a for a in report.students[0].assignments}
    assert (med1["a2"].days_late, med1["a2"].penalty_points, med1["a2"].penalty_percent) == (2, 0.0, 0.0)
    assert med1["a2"].final_percent == approx(80.0)
    assert [w for w in report.warnings if w.startswith("a2:")] == [
        "a2: the late penalty stored for 1 submission(s) is not what course.yaml's late policy gives now "
        "(changed after grading?); shown as stored: `medai grade a2` stores it again"]


def test_weighted_score_standing_completion_and_flags(report):
    for s in report.students:
        hand = HAND[s.id]
        assert s.weighted_score == approx(hand["weighted"]), s.id
        assert s.standing == approx(hand["standing"]), s.id
        assert (s.completed, s.completion) == (hand["completed"], hand["completed"] / 5), s.id
        assert [f.kind for f in s.flags] == hand["flags"], s.id
    med1, _, med3, eng1, eng2 = report.students
    assert med1.flags[0].reason == "scores falling: 90 → 64 → 50 (-20 points per assignment)"
    assert med3.flags[0].reason == "3 assignments past due and not submitted: a1, a2, a3"
    assert eng1.flags[0].reason == "weighted score 46.7% is under 60%"
    assert eng2.flags[0].reason == "1 assignment past due and not submitted: a4"


def test_competency_mastery_is_the_points_weighted_mean_of_graded_work(report):
    med1 = {m.competency: m for m in report.students[0].competencies}
    # STAT-2 is assessed by a1 (10 points, 90) and a2 (20 points, 64): (900 + 1280) / 30 = 72.67
    assert med1["STAT-2"].percent == approx(2180 / 30) and med1["STAT-2"].level == "developing"
    assert med1["STAT-2"].assessed_by == ["a1", "a2"]
    assert (med1["STAT-1"].percent, med1["STAT-1"].level) == (90.0, "mastered")
    assert (med1["CLIN-1"].percent, med1["CLIN-1"].level) == (50.0, "not_yet")
    assert (med1["ML-1"].percent, med1["ML-1"].level) == (None, "not_assessed")
    assert "DL-1" not in med1 and "DL-1" in {m.competency for m in report.students[3].competencies}


def test_what_does_not_match_is_said_and_unlisted_work_is_shown_counted_nowhere(report):
    assert ("gradebook assignment(s) not in course.yaml: old-hw; their scores are listed (state 'not_in_course') "
            "but count in no weighted score, track or LMS export: add them to course.yaml to count them"
            ) in report.warnings
    med1 = report.students[0]
    [old] = med1.unlisted
    assert (old.assignment, old.state, old.raw_score, old.max_score, old.points) == ("old-hw", "not_in_course", 2, 10, 0)
    assert "old-hw" not in {a.assignment for a in med1.assignments} and med1.weighted_score == approx(67.0)
    assert all(not s.unlisted for s in report.students[1:])
    assert "graded submissions of 1 student(s) not on the roster, left out: ghost" in report.warnings
    assert report.homes_readable


def test_the_report_is_plain_json(report):
    data = json.loads(report.to_json())
    assert data["students"][0]["assignments"][1]["final_percent"] == pytest.approx(64.0)
    assert data["students"][0]["flags"] == [{"kind": "falling", "reason": report.students[0].flags[0].reason}]
    assert data["thresholds"]["low_score"] == 60.0


def test_select_filters_track_cohort_student_and_risk(report):
    assert [s.id for s in report.select(track="medicine", cohort="2026").students] == ["med1", "med2"]
    assert [s.id for s in report.select(at_risk=False).students] == ["med2"]
    assert [s.id for s in report.select(student="eng2").students] == ["eng2"]


def test_gradebook_totals_equal_nbgraders_own(fx):
    from nbgrader.api import Gradebook

    from medai.nbgrader_adapter.gradebook import submission_totals

    with Gradebook(fx.layout.gradebook_url) as gb:
        mine = {(r[0], r[1]): (r[3], r[4], bool(r[5]), r[2]) for r in submission_totals(gb)}
        theirs = {(d["student"], a.name): (d["score"], d["max_score"], bool(d["needs_manual_grade"]), d["timestamp"])
                  for a in gb.assignments for d in gb.submission_dicts(a.name)}
    assert mine == theirs and len(mine) == len(pf.GRADED)


def test_the_gradebook_is_opened_read_only(fx):
    db = fx.layout.course_dir / "gradebook.db"
    before = (db.stat().st_mtime_ns, db.read_bytes())
    load_progress(course=fx.course, layout=fx.layout, as_of=pf.AS_OF)
    assert (db.stat().st_mtime_ns, db.read_bytes()) == before


def test_thresholds_move_the_flags(fx):
    report = load_progress(course=fx.course, layout=fx.layout, as_of=pf.AS_OF,
                           thresholds=Thresholds(low_score=60.01, falling_points=25))
    flags = {s.id: [f.kind for f in s.flags] for s in report.students}
    assert flags["eng2"] == ["missing", "low_score"] and flags["med1"] == []


def test_an_earlier_moment_has_nothing_overdue(fx):
    report = load_progress(course=fx.course, layout=fx.layout, as_of=datetime(2026, 9, 10, tzinfo=timezone.utc))
    assert not [a for s in report.students for a in s.assignments if a.state == "late"]


# -- edge cases -------------------------------------------------------------------------------------------


def test_a_course_without_assignments_gives_a_sensible_report(tmp_path):
    course = load_course(pf.write_course(tmp_path, assignments=[], extensions=False))
    students = [StudentInfo("med1", "김민준", "m@x.kr", "medicine", "2026")]
    report = compute_progress(course=course, students=students, observations=Observations(), as_of=pf.AS_OF)
    [s] = report.students
    assert (s.total, s.completion, s.weighted_score, s.standing, s.flags) == (0, None, None, None, [])


def test_a_roster_without_students_gives_an_empty_report(fx, tmp_path):
    roster = tmp_path / "staff-only.csv"
    roster.write_text("id,name,email,role,track,cohort\nstaff1,한수민,s@medai.example.ac.kr,staff,,\n", encoding="utf-8")
    report = load_progress(course=fx.course, layout=fx.layout, roster_path=roster, as_of=pf.AS_OF)
    assert report.students == [] and any("ghost" in w for w in report.warnings)


def test_a_gradebook_of_another_course_is_a_clear_error(tmp_path):
    fx = pf.build(tmp_path, graded={("med1", "old-hw"): (1, 1, "2026-09-10 00:00:00")})
    other = tmp_path / "other.db"
    pf.build_gradebook(f"sqlite:///{other}", graded={("med1", "x9"): (1, 1, "2026-09-10 00:00:00")},
                       students=["med1"], assignments=["x9"])
    with pytest.raises(GradebookMismatch, match="holds assignment.* x9 and none of course.yaml's"):
        load_progress(course=fx.course, layout=fx.layout, as_of=pf.AS_OF, db_url=f"sqlite:///{other}")


def test_a_missing_gradebook_or_roster_is_a_clear_error(fx, tmp_path):
    with pytest.raises(UserError, match="no gradebook at"):
        load_progress(course=fx.course, layout=fx.layout, as_of=pf.AS_OF, db_url=f"sqlite:///{tmp_path}/none.db")
    assert not (tmp_path / "none.db").exists()
    with pytest.raises(UserError, match="no roster at"):
        load_progress(course=fx.course, layout=fx.layout, roster_path=tmp_path / "none.csv")
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(UserError, match="not an nbgrader gradebook"):
        load_progress(course=fx.course, layout=fx.layout, as_of=pf.AS_OF, db_url=f"sqlite:///{junk}")


def test_without_an_exchange_release_dates_decide(tmp_path):
    fx = pf.build(tmp_path, exchange=False)
    report = load_progress(course=fx.course, layout=fx.layout, as_of=pf.AS_OF)
    assert any("no exchange" in w for w in report.warnings)
    med3 = {a.assignment: a.state for a in report.students[2].assignments}
    assert med3 == STATES["med3"]
    med2 = {a.assignment: a.state for a in report.students[1].assignments}
    assert med2["a5"] == "released"  # its submission was only in the exchange


def test_homes_that_cannot_be_read_show_released_and_say_so(fx, monkeypatch):
    real = os.listdir

    def listdir(path):
        if str(path).startswith(str(fx.layout.home_dir)):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr("medai.progress.sources.os.listdir", listdir)
    report = load_progress(course=fx.course, layout=fx.layout, as_of=pf.AS_OF)
    assert not report.homes_readable
    assert {a.assignment: a.state for a in report.students[0].assignments}["a5"] == "released"
    assert any("cannot read 5 student home(s)" in w for w in report.warnings)


def test_a_student_with_no_home_yet_is_not_an_unreadable_home(tmp_path):
    fx = pf.build(tmp_path)
    shutil.rmtree(fx.layout.home_dir)
    report = load_progress(course=fx.course, layout=fx.layout, as_of=pf.AS_OF)
    assert report.homes_readable
