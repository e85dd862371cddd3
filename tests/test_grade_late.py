"""course.yaml's late policy in the gradebook: medai's StoreLatePenalty takes the place of nbgrader's late-penalty
step and stores grace, started days, the cap and per-student extensions (medai.course.late) on each notebook's
score; a policy changed after grading is stored again without running anything again."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from medai.course.late import lateness
from medai.course.model import Extension
from medai.grader.context import GradeOptions
from medai.grader.pipeline import grade
from medai.grader.target import load_target
from tests.grade_support import make_course, submit
from tests.test_grade_resume import source_notebook

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")]
A = "c02-diagnostic-metrics"  # an assignment course.yaml lists (its notebook here is a small stand-in)
DUE = datetime(2026, 9, 21, 23, 59, tzinfo=timezone(timedelta(hours=9)))
SUBMITTED = {
    "ontime": DUE - timedelta(hours=3),
    "grace": DUE + timedelta(minutes=11),
    "oneday": DUE + timedelta(hours=2),
    "twodays": DUE + timedelta(days=1, hours=1),
    "month": DUE + timedelta(days=30),
    "extended": DUE + timedelta(days=2),
}


def stamp(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC")


@pytest.fixture(scope="module")
def late_course(tmp_path_factory, course):
    course = course.model_copy(deep=True)
    course.late_policy.extensions = [Extension(student="extended", assignment=A, days=3, reason="certificate")]
    root = make_course(tmp_path_factory.mktemp("late") / "course", {A: {"hw.ipynb": source_notebook(0)}},
                       course_id="medai101")
    for student, when in SUBMITTED.items():
        submit(root, A, student, {"hw.ipynb": root / "source" / A / "hw.ipynb"}, timestamp=stamp(when))
    return root, course


def test_penalties_follow_course_yaml(late_course):
    from nbgrader.api import Gradebook

    root, course = late_course
    summary = grade(target=load_target(course_dir=root, assignment=A, course=course),
                    options=GradeOptions(workers=2, unsafe=True, progress=False, feedback=False))
    results = {r.student: r for r in summary.results}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", "medai101") as gb:
        for student, when in SUBMITTED.items():
            expected = lateness(course, assignment_id=A, student=student, submitted=when)
            nb = gb.find_submission_notebook("hw", A, student)
            assert nb.score == 2
            assert (nb.late_submission_penalty or 0) == pytest.approx(2 * expected.penalty_percent / 100), student
            assert results[student].score == pytest.approx(2 - 2 * expected.penalty_percent / 100)
            late = results[student].late
            assert (late.days_late, late.penalty_percent) == (expected.days_late, expected.penalty_percent) \
                if expected.late else late is None, student
    assert [r.late.penalty_percent for r in summary.late] == [50, 10, 20]  # month, oneday, twodays
    text = "\n".join(summary.lines())
    assert "late month: 30 day(s), -50%" in text and "late 3" in text


def test_an_extension_granted_after_grading_is_stored_without_running_anything_again(late_course):
    from nbgrader.api import Gradebook

    root, course = late_course
    course = course.model_copy(deep=True)
    course.late_policy.extensions.append(Extension(student="month", assignment=A, days=31, reason="leave of absence"))
    summary = grade(target=load_target(course_dir=root, assignment=A, course=course),
                    options=GradeOptions(workers=2, unsafe=True, progress=False, feedback=False))
    assert sorted(summary.skipped) == sorted(SUBMITTED) and summary.results == []  # nothing executed again
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", "medai101") as gb:
        assert gb.find_submission_notebook("hw", A, "month").late_submission_penalty is None  # on time now
        assert gb.find_submission_notebook("hw", A, "twodays").late_submission_penalty == pytest.approx(2 * 0.2)


def test_without_course_yaml_nbgraders_own_late_plugin_applies(late_course, tmp_path):
    import shutil

    root, _ = late_course
    other = tmp_path / "plain"
    shutil.copytree(root, other)
    shutil.rmtree(other / ".medai-grade")
    summary = grade(target=load_target(course_dir=other, assignment=A, course=None),
                    options=GradeOptions(workers=2, unsafe=True, progress=False, feedback=False))
    assert any("no course.yaml" in n for n in summary.notes)
    for result in summary.results:
        assert result.score == 2  # nbgrader's default plugin: no penalty
    # nbgrader's view: late is anything after the gradebook's due date (no grace, no extensions), unpenalised
    assert {r.student for r in summary.late} == set(SUBMITTED) - {"ontime"}
    assert {r.late.policy for r in summary.late} == {"nbgrader"}


def test_standby_slots_store_the_same_penalties(late_course, tmp_path):
    """Pre-started kernels and lent slots (medai.grader.standby) change when code runs, never the late penalty
    stored (a late, graded submission once showed a penalty of 0 in a run with standby on)."""
    import shutil

    from nbgrader.api import Gradebook

    root, course = late_course
    other = tmp_path / "standby"
    shutil.copytree(root, other)
    summary = grade(target=load_target(course_dir=other, assignment=A, course=course),
                    options=GradeOptions(workers=2, unsafe=True, progress=False, feedback=False, standby=True,
                                         force=True))
    results = {r.student: r for r in summary.results}
    assert sorted(results) == sorted(SUBMITTED)
    with Gradebook(f"sqlite:///{other / 'gradebook.db'}", "medai101") as gb:
        for student, when in SUBMITTED.items():
            expected = lateness(course, assignment_id=A, student=student, submitted=when)
            nb = gb.find_submission_notebook("hw", A, student)
            assert nb.score == 2 and results[student].status.value == "graded", student
            assert (nb.late_submission_penalty or 0) == pytest.approx(2 * expected.penalty_percent / 100), student
            assert results[student].score == pytest.approx(2 - 2 * expected.penalty_percent / 100), student
