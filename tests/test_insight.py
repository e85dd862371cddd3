"""The instructor's insight on a really graded quiz (tests/insight_fixture.py: twelve planted submissions graded
by `medai grade`, the written answer by hand): the item analysis flags the broken hidden test and the question
strong students fail, alpha equals the hand computation, the failure groups name what students raised, and the
copied pair tops the similarity list while independent solutions and the short question stay below it; the CLI
writes the same numbers as JSON, CSV and Excel."""
from __future__ import annotations

import json
import statistics
import subprocess
import sys

import pytest
from openpyxl import load_workbook

from medai.progress.insight.failures import load_failures
from medai.progress.insight.items import load_items
from medai.progress.insight.similarity import load_similarity
from tests import insight_fixture as fx

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")]


@pytest.fixture(scope="module")
def graded(tmp_path_factory, accounts):
    return fx.build(tmp_path_factory.mktemp("insight"), accounts)


@pytest.fixture(scope="module")
def items(graded):
    return load_items(course_dir=graded.root, db_url=graded.db_url, assignment=fx.ASSIGNMENT)


def by_cell(analysis):
    return {i.cell: i for i in analysis.items}


def test_the_gradebook_holds_the_planned_scores(items):
    # the grading really happened as planned: every statistic below rests on these numbers
    assert [i.cell for i in items.items] == fx.ITEMS  # in the notebook's order
    assert items.students == items.complete == len(fx.STUDENTS)
    expected_totals = {s: sum(fx.expected_scores(s).values()) for s in fx.STUDENTS}
    assert items.totals == expected_totals


def test_a_wrong_hidden_test_is_flagged_everyone_fails(items):
    double = by_cell(items)["test_double"]
    assert double.difficulty == 0 and double.scored_any == 0
    assert double.flags == ["everyone_fails"]
    assert [i.cell for i in items.items if "everyone_fails" in i.flags] == ["test_double"]
    assert by_cell(items)["test_prev"].flags == ["no_one_fails"]


def test_strong_students_failing_more_gives_negative_discrimination(items):
    cells = by_cell(items)
    percent = cells["test_percent"]
    assert percent.discrimination < -0.5 and percent.upper_lower == -1.0  # top 27 % fail it, bottom 27 % pass
    assert "negative_discrimination" in percent.flags
    flagged = {i.cell for i in items.items if "negative_discrimination" in i.flags}
    assert flagged == {"test_percent"}
    assert cells["test_spec"].discrimination > 0.5 and cells["test_spec"].upper_lower == 1.0


def test_alpha_and_discrimination_equal_a_hand_computation(items):
    rows = [fx.expected_scores(s) for s in fx.STUDENTS]
    k = len(fx.ITEMS)
    item_var = sum(statistics.variance([r[c] for r in rows]) for c in fx.ITEMS)
    totals = [sum(r.values()) for r in rows]
    alpha = k / (k - 1) * (1 - item_var / statistics.variance(totals))
    assert items.alpha == pytest.approx(alpha, abs=1e-12)
    spec = [r["test_spec"] for r in rows]
    rest = [t - s for t, s in zip(totals, spec)]
    assert by_cell(items)["test_spec"].discrimination == pytest.approx(statistics.correlation(spec, rest))
    assert by_cell(items)["test_sens"].difficulty == pytest.approx(8 / 12)
    assert by_cell(items)["test_confusion"].distribution == {"0": 6, "2": 6}


def test_failure_groups_name_the_exceptions_across_students(graded):
    report = load_failures(course_dir=graded.root, db_url=graded.db_url, assignment=fx.ASSIGNMENT)
    cells = {c.cell: c for c in report.cells}
    assert "explain" not in cells  # a written answer raises nothing
    double = cells["test_double"]
    assert [(g.exception, g.message, g.count) for g in double.groups] == [
        ("AssertionError", "double(2) must be 5", 12)]
    mean = cells["test_mean"]
    assert {(g.exception, g.message, tuple(g.students)) for g in mean.groups} == {
        ("NameError", "name 'total' is not defined", ("s11",)),
        ("AssertionError", "mean_of([1, 2, 3]) should be 2", ("s12",))}
    [sens] = cells["test_sens"].groups  # four different numbers, one group
    assert sens.exception == "AssertionError" and sens.students == ["s09", "s10", "s11", "s12"]
    assert sens.message.startswith("sensitivity(9, 1) should be 0.9, got 0.")
    [spec] = cells["test_spec"].groups  # the starter code stayed: the function was never defined
    assert (spec.exception, spec.count) == ("NameError", 6) and "specificity" in spec.message
    assert cells["test_prev"].groups == [] and cells["test_prev"].students == 12
    assert report.missing == []


@pytest.fixture(scope="module")
def similarity(graded):
    return load_similarity(course_dir=graded.root, db_url=graded.db_url, assignment=fx.ASSIGNMENT, top=None,
                           min_score=0.0)


def test_the_copied_pair_ranks_first_and_independent_or_short_answers_do_not(similarity):
    first = similarity.pairs[0]
    assert (first.question, first.left.student, first.right.student) == (f"{fx.NOTEBOOK}/test_confusion", "s03", "s09")
    assert first.score > 0.8 and not first.short
    independent = [p for p in similarity.pairs if p.question.endswith("test_confusion") and p is not first]
    assert independent and max(p.score for p in independent) < first.score - 0.3
    prev = [p for p in similarity.pairs if p.question.endswith("test_prev")]
    assert prev and all(p.short for p in prev)  # identical two-line answers: marked, never above the copy
    ranks = {id(p): n for n, p in enumerate(similarity.pairs)}
    assert min(ranks[id(p)] for p in prev) > max(ranks[id(p)] for p in similarity.pairs if not p.short)
    # the matching parts are spans of the raw answers, for the side-by-side view
    assert first.left.spans and all(0 <= a < b <= len(first.left.text) for a, b in first.left.spans)
    assert "_count" in "".join(first.left.text[a:b] for a, b in first.left.spans)


def test_written_answers_are_compared_as_text(similarity):
    text = [p for p in similarity.pairs if p.kind == "text"]
    assert text and (text[0].left.student, text[0].right.student) == ("s04", "s10")
    assert text[0].score > 0.6 and all(p.score < text[0].score for p in text[1:])
    starter = [q for q in similarity.questions if q["question"].endswith("test_spec")]
    assert starter and starter[0]["answers"] == 6 and starter[0]["blank"] == 6  # the starter code is no answer


def medai(*args):
    return subprocess.run([sys.executable, "-m", "medai.cli", *args], capture_output=True, text=True, timeout=300)


def test_cli_json_csv_and_excel_carry_the_same_numbers(graded, items, tmp_path):
    where = ["--course-dir", str(graded.root)]
    out = medai("report", "items", fx.ASSIGNMENT, *where, "--format", "json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["alpha"] == pytest.approx(items.alpha)
    assert [i["flags"] for i in data["items"] if i["cell"] == "test_double"] == [["everyone_fails"]]
    out = medai("report", "similarity", fx.ASSIGNMENT, *where, "--format", "json")
    assert out.returncode == 0, out.stderr
    top = json.loads(out.stdout)["pairs"][0]
    assert (top["left"]["student"], top["right"]["student"]) == ("s03", "s09")
    xlsx = tmp_path / "items.xlsx"
    out = medai("report", "items", fx.ASSIGNMENT, *where, "--format", "xlsx", "-o", str(xlsx), "--lang", "en")
    assert out.returncode == 0, out.stderr
    sheet = load_workbook(xlsx)["Items"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Grade cell" and [r[0] for r in rows[1:]] == [f"{fx.NOTEBOOK}/{c}" for c in fx.ITEMS]
    out = medai("report", "failures", fx.ASSIGNMENT, *where, "--format", "table")
    assert out.returncode == 0 and "double(2) must be 5" in out.stdout and "학생" in out.stdout, out.stderr


def test_cli_refuses_an_unknown_assignment_and_writes_nothing(graded, tmp_path):
    target = tmp_path / "x.xlsx"
    out = medai("report", "items", "no-such", "--course-dir", str(graded.root), "--format", "xlsx", "-o", str(target))
    assert out.returncode == 2 and "no assignment 'no-such'" in out.stderr and fx.ASSIGNMENT in out.stderr
    assert not target.exists()
    out = medai("report", "similarity", fx.ASSIGNMENT, "--course-dir", str(tmp_path / "nowhere"))
    assert out.returncode == 2 and "no gradebook" in out.stderr
