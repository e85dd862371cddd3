"""The late penalty stored once, on the current total (medai.nbgrader_adapter.late_penalty), and the formgrader's
API reading it back (medai.grader.formgrader_scores.ScoredAPI), on a gradebook built with nbgrader's own API.

Fixture numbers (tests/progress_fixture.py): med1's a2 scores 12 + 4 of 20 and is 2 started days late (-20 %);
eng2's a2 scores 20 of 20, 10 days late (capped at -50 %); med2's a2 is on time with its extension."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from medai.nbgrader_adapter.late_penalty import store_all_late_penalties, store_late_penalty, stored_penalties
from tests import progress_fixture as pf


@pytest.fixture
def fx(tmp_path):
    return pf.build(tmp_path)


def test_the_penalty_is_stored_per_notebook_on_the_current_total(fx):
    with Gradebook(fx.layout.gradebook_url) as gb:
        assert stored_penalties(gb, assignment_id="a2")[("med1", "a2")] == pytest.approx(0.2 * 16)
        grade = gb.find_grade("q2", "nb", "a2", "med1")
        grade.manual_score = 8  # the instructor regrades the written answer: 12 + 8
        gb.db.commit()
        assert store_late_penalty(gb, fx.course, assignment_id="a2", student_id="med1") == pytest.approx(0.2 * 20)
        assert gb.find_submission_notebook("nb", "a2", "med1").late_submission_penalty == pytest.approx(4.0)
        grade.extra_credit = 2  # extra credit counts in the total the penalty is taken from
        gb.db.commit()
        assert store_late_penalty(gb, fx.course, assignment_id="a2", student_id="med1") == pytest.approx(0.2 * 22)


def test_on_time_and_unknown_assignments(fx):
    with Gradebook(fx.layout.gradebook_url) as gb:
        assert store_late_penalty(gb, fx.course, assignment_id="a2", student_id="med2") == 0.0  # extension
        assert gb.find_submission_notebook("nb", "a2", "med2").late_submission_penalty is None
        gb.find_submission_notebook("nb", "old-hw", "med1").late_submission_penalty = 0.5  # nbgrader's plugin
        gb.db.commit()
        assert store_late_penalty(gb, fx.course, assignment_id="old-hw", student_id="med1") is None
        assert gb.find_submission_notebook("nb", "old-hw", "med1").late_submission_penalty == 0.5  # left alone


def test_a_changed_policy_is_stored_for_every_submission(fx):
    course = fx.course.model_copy(deep=True)
    course.late_policy.cap_percent = 30
    with Gradebook(fx.layout.gradebook_url) as gb:
        assert store_all_late_penalties(gb, course, assignment_id="a2") == 1  # eng2: 50 % -> 30 %
        assert stored_penalties(gb, assignment_id="a2")[("eng2", "a2")] == pytest.approx(0.3 * 20)
        assert store_all_late_penalties(gb, course, assignment_id="a2") == 0


# -- the formgrader's API -----------------------------------------------------------------------------------

@pytest.fixture
def api(fx, monkeypatch):
    from traitlets.config import Config

    from medai.grader.formgrader_scores import ScoredAPI
    from medai.nbgrader_adapter.config import coursedir

    monkeypatch.setenv("MEDAI_COURSE", str(fx.course_file))
    monkeypatch.setenv("MEDAI_ROOT", str(fx.layout.root))
    config = Config()
    config.CourseDirectory.root = str(fx.layout.course_dir)
    config.CourseDirectory.db_url = fx.layout.gradebook_url
    for aid in ("a1", "a2", "a3", "a4", "old-hw"):  # nbgrader lists a student's assignments from source/
        (fx.layout.course_dir / "source" / aid).mkdir(parents=True, exist_ok=True)
    for (sid, aid), (*_, ts) in pf.GRADED.items():  # ... and as autograded what was, since it was submitted
        (fx.layout.course_dir / "autograded" / sid / aid).mkdir(parents=True, exist_ok=True)
        submitted = fx.layout.course_dir / "submitted" / sid / aid
        submitted.mkdir(parents=True, exist_ok=True)
        (submitted / "timestamp.txt").write_text(f"{ts}.000000 UTC")
    return ScoredAPI(coursedir(config), config=config)


def test_submissions_show_the_score_after_the_stored_penalty(api):
    subs = {s["student"]: s for s in api.get_submissions("a2")}
    assert (subs["med1"]["score"], subs["med1"]["late_penalty"], subs["med1"]["max_score"]) == pytest.approx(
        (16 - 3.2, 3.2, 20))
    assert (subs["eng2"]["score"], subs["eng2"]["late_penalty"]) == pytest.approx((10, 10))
    assert (subs["med2"]["score"], subs["med2"]["late_penalty"]) == pytest.approx((20, 0))
    [a2] = [s for s in api.get_student_submissions("med1") if s["name"] == "a2"]
    assert a2["score"] == pytest.approx(12.8)


def test_a_students_total_covers_their_own_track(api):
    students = {s["id"]: s for s in api.get_students()}
    # medicine: a1 10 + a2 20 + a3 10 + a5 10 + a6 10 + old-hw 10 (not in course.yaml: counted, as nbgrader
    # counts everything); a4 (engineering only) is not
    assert students["med1"]["max_score"] == pytest.approx(70)
    assert students["med1"]["score"] == pytest.approx(9 + 12.8 + 5 + 2)
    assert students["eng2"]["max_score"] == pytest.approx(70)  # a1, a2, a4, a5, a6, old-hw
    assert students["eng2"]["score"] == pytest.approx(8 + 10)
    assert {s["name"] for s in api.get_student_submissions("med1")} == {"a1", "a2", "a3", "old-hw"}
    assert students["ghost"]["max_score"] == pytest.approx(80)  # not on the roster: every assignment


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to parse nbgrader's scripts")
@pytest.mark.parametrize("script", ["manage_submissions.js", "manage_students_assignments.js",
                                    "manage_students_notebook_submissions.js", "gradebook_notebook_submissions.js"])
def test_score_scripts_say_the_penalty_and_still_parse(script, tmp_path):
    from nbgrader.server_extensions.formgrader import handlers as fg

    from medai.grader.formgrader_scores import SCORE_SCRIPTS, late_note_script

    assert script in SCORE_SCRIPTS
    patched = late_note_script((Path(fg.static_path) / "js" / script).read_text(encoding="utf-8"))
    assert 'this.model.get("late_penalty")' in patched
    (tmp_path / script).write_text(patched)
    subprocess.run(["node", "--check", str(tmp_path / script)], check=True, capture_output=True)
    with pytest.raises(ValueError, match="no longer writes a total"):
        late_note_script("var x = 1;")
