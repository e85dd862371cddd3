"""The instructor's insight on a really graded quiz (tests/insight_fixture.py: twelve planted submissions graded
by `medai grade`, the written answer by hand): the item analysis flags the broken hidden test and the question
strong students fail, alpha equals the hand computation, the failure groups name what students raised, and the
copied pair tops the similarity list while independent solutions and the short question stay below it; the CLI
writes the same numbers as JSON, CSV and Excel."""
from __future__ import annotations

import json
import statistics
import subprocess

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


def test_first_attempts_are_analysed_apart_from_the_latest(graded, items):
    from medai.grader.state import STATE_DIR
    from medai.nbgrader_adapter.attempts import STATE_DIR as ADAPTER_STATE_DIR

    assert ADAPTER_STATE_DIR == STATE_DIR
    first = load_items(course_dir=graded.root, db_url=graded.db_url, assignment=fx.ASSIGNMENT, attempt="first")
    assert first.attempt == "first" and first.resubmitted == 1
    # s12's first attempt: the blank notebook, 0 everywhere (nbgrader itself scores an untouched written answer 0)
    assert first.complete == 12 and first.flags == [] and first.alpha != items.alpha
    assert first.totals["s12"] == 0 and items.totals["s12"] == sum(fx.expected_scores("s12").values()) > 0
    assert by_cell(first)["test_prev"].difficulty == pytest.approx(11 / 12)  # latest: everyone right
    assert by_cell(items)["test_prev"].difficulty == 1.0
    assert by_cell(first)["test_percent"].distribution == {"0": 7, "1": 5}
    assert by_cell(items)["test_percent"].distribution == {"0": 6, "1": 6}
    assert {s: t for s, t in first.totals.items() if s != "s12"} == {s: t for s, t in items.totals.items() if s != "s12"}


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
                           min_score=0.0, include_short=True)


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
    assert text[0].score > 0.6 and not text[0].short
    assert all(p.score < text[0].score for p in text[1:] if not p.short)
    # s05 and s12 wrote the same short sentence: listed, marked short, after the long copy
    assert [(p.left.student, p.right.student) for p in text if p.short] == [("s05", "s12")]
    questions = {q["question"]: q for q in similarity.questions}
    spec = questions[f"{fx.NOTEBOOK}/test_spec"]  # the starter code is no answer; six identical one-liners
    assert (spec["answers"], spec["blank"], spec["compared"]) == (6, 6, 0)  # are what everyone writes
    mean = questions[f"{fx.NOTEBOOK}/test_mean"]
    assert (mean["answers"], mean["compared"], mean["short"]) == (12, 2, 2)  # only the two wrong means stand out


def medai(*args):
    from tests.deployment import MEDAI

    return subprocess.run([MEDAI, *args], capture_output=True, text=True, timeout=300)


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


# the instructor's page (the progress service's app in-process, users from a header: tests/test_report_staff_page.py)
ROSTER = "id,name,email,role,track,cohort\n" + "".join(
    f"{s},학생{s},{s}@medai.example.ac.kr,student,{'medicine' if n % 2 else 'engineering'},2026\n"
    for n, s in enumerate(fx.STUDENTS)) + ("prof1,윤지원,prof1@medai.example.ac.kr,instructor,,\n"
                                           "staff1,한수민,staff1@medai.example.ac.kr,staff,,\n")
ENDPOINTS = ["insight/", f"insight/{fx.ASSIGNMENT}", f"insight/{fx.ASSIGNMENT}/items.png",
             f"insight/{fx.ASSIGNMENT}/totals.png", f"insight/{fx.ASSIGNMENT}/download.xlsx"]


def page_fixture(graded, base, *, staff_items: bool):
    import yaml

    from medai.course.layout import Layout
    from tests import progress_fixture as pf

    course_file = pf.write_course(base / "yaml", assignments=[
        (fx.ASSIGNMENT, "biostat-diagnostic", ["common"], ["STAT-1"], 10, "2026-09-07T09:00", "2026-09-14T23:59")], extensions=False)
    data = yaml.safe_load(course_file.read_text(encoding="utf-8"))
    data["insight"] = {"staff_item_statistics": staff_items}
    course_file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    layout = Layout(root=base / "root", course_dir_override=graded.root)
    layout.roster_file.parent.mkdir(parents=True, exist_ok=True)
    layout.roster_file.write_text(ROSTER, encoding="utf-8")
    return pf.Fixture(course_file=course_file, layout=layout, roster=layout.roster_file)


def users():
    from tests.test_report_staff_page import USERS

    return {**USERS, "s01": {"name": "s01", "kind": "user", "groups": ["students", "medicine"], "scopes": []}}


@pytest.fixture(scope="module")
def page_site(graded, tmp_path_factory):
    """(the page's URL, its layout)"""
    from tests.test_report_staff_page import serving

    site = page_fixture(graded, tmp_path_factory.mktemp("page"), staff_items=False)
    with serving(site, users=users()) as base:
        yield base, site.layout


@pytest.fixture(scope="module")
def page(page_site):
    return page_site[0]


def get(base, path, user, **params):
    import requests

    return requests.get(base + path, params=params, headers={"X-Test-User": user}, allow_redirects=False, timeout=120)


def test_the_instructor_sees_items_failures_and_similar_answers(page):
    import html

    from medai.progress.insight.tables import first_attempts_title
    from medai.progress.reports.words import words

    _ = words("ko").gettext
    r = get(page, f"insight/{fx.ASSIGNMENT}", "prof1")
    assert r.status_code == 200, r.text
    text = html.unescape(r.text)
    for expected in (_("everyone fails: is the test right?"), _("negative discrimination: strong students fail "
                     "this more than weak ones"), "AssertionError: double(2) must be 5", "학생 12명",
                     "NameError: name 'total' is not defined", _("Similar answers (to look at)"),
                     "quiz/test_confusion · s03 – s09", _("Self-checks during the assignment window"),
                     "/services/formgrader-medai101/formgrader/manage_students/s11/quiz1",
                     first_attempts_title(1, words("ko")), 'id="item-table-first"'):
        assert expected in text, expected
    assert "<mark>" in r.text and "&lt;mark&gt;" not in r.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in r.text and "<img src=x" not in r.text  # s10's answer, escaped
    listed = text[text.index('id="similarity"'):]
    assert "quiz/test_confusion · s03 – s09" in listed and "quiz/test_prev ·" not in listed  # short pairs: counted
    assert "quiz/test_prev: " + _("{n} pairs of short answers agree (expected; not listed)").format(n=30) in listed
    en = get(page, f"insight/{fx.ASSIGNMENT}", "prof1", lang="en")
    assert "everyone fails: is the test right?" in html.unescape(en.text) and '<html lang="en">' in en.text
    index = get(page, "insight/", "prof1")
    assert index.status_code == 200 and f'href="/services/progress/insight/{fx.ASSIGNMENT}"' in index.text
    for plot in ("items", "totals"):
        png = get(page, f"insight/{fx.ASSIGNMENT}/{plot}.png", "prof1")
        assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    xlsx = get(page, f"insight/{fx.ASSIGNMENT}/download.xlsx", "prof1", lang="en")
    book = load_workbook(__import__("io").BytesIO(xlsx.content))
    assert book.sheetnames[:4] == ["Items", "Why students fail", "Self-check use",
                                   "Similar answers (to look at)"]
    rows = list(book["Similar answers (to look at)"].iter_rows(values_only=True))
    assert rows[1][3:5] == ("s03", "s09")
    assert get(page, "insight/no-such", "prof1").status_code == 404
    # the progress page links the instructor's view for instructors, not for staff (course.yaml does not allow)
    assert 'href="/services/progress/insight/"' in get(page, "", "prof1").text
    assert "insight/" not in get(page, "", "staff1").text


def test_the_self_check_view_is_live(page_site):
    """Self-check use recorded while students work shows on the next request (not cached with the gradebook's
    views), counted over the roster's students, with the most common failing check and the Excel sheet."""
    import html
    import io
    from datetime import datetime, timezone

    from medai.progress.insight.selfcheck_log import append, from_request

    page, layout = page_site
    log = layout.selfcheck_dir
    before = html.unescape(get(page, f"insight/{fx.ASSIGNMENT}", "prof1", lang="en").text)
    assert f"No self-check use recorded for {fx.ASSIGNMENT} yet." in before
    at = datetime(2026, 9, 10, 1, 0, tzinfo=timezone.utc)  # 10:00 in Seoul
    fail = {"assignment": fx.ASSIGNMENT, "question": "q1", "action": "check", "status": "not yet",
            "failed": "_q1:12", "message": "sensitivity(8, 2) should be 0.8", "title": "Sensitivity"}
    for student, record in [("s01", fail), ("s02", fail), ("s02", {**fail, "status": "pass"}),
                            ("s03", {**fail, "action": "hint"}), ("prof1", fail)]:  # prof1: not a student
        append(log, from_request(student, record, now=at))
    text = html.unescape(get(page, f"insight/{fx.ASSIGNMENT}", "prof1", lang="en").text)
    section = text[text.index('id="selfcheck"'):text.index('id="similarity"')]
    assert "quiz1: 3 students used the self-checks, 4 times (2026-09-10 10:00 to 2026-09-10 10:00)" in section
    row = section[section.index("q1 · Sensitivity"):]
    cells = [c.split("</td>")[0] for c in row.split('<td class="num">')[1:5]]
    assert cells == ["2", "1", "1", "1"], cells  # tried, passed, passing now, hints
    assert "2 students: <code>sensitivity(8, 2) should be 0.8</code>" in row
    book = load_workbook(io.BytesIO(get(page, f"insight/{fx.ASSIGNMENT}/download.xlsx", "prof1", lang="en").content))
    rows = list(book["Self-check use"].iter_rows(values_only=True))
    assert rows[1][1:8] == ("q1", "Sensitivity", 2, 1, 1, 3, 1), rows
    staff = get(page, f"insight/{fx.ASSIGNMENT}", "staff1")
    assert staff.status_code == 403


@pytest.mark.parametrize("user", ["s01", "med1", "eng1", "staff1"])
def test_students_and_staff_get_403_on_every_instructor_endpoint(page, user):
    for path in ENDPOINTS:
        r = get(page, path, user)
        assert r.status_code == 403, (user, path, r.status_code)


def test_staff_see_item_statistics_only_when_course_yaml_allows(graded, tmp_path):
    import html

    from tests.test_report_staff_page import serving

    with serving(page_fixture(graded, tmp_path, staff_items=True), users=users()) as base:
        r = get(base, f"insight/{fx.ASSIGNMENT}", "staff1", lang="en")
        assert r.status_code == 200
        text = html.unescape(r.text)
        assert "everyone fails: is the test right?" in text and "quiz/test_percent" in text
        for secret in ("Why students fail", "Similar answers", "double(2) must be 5", "s03 – s09", "<mark>"):
            assert secret not in text, secret
        book = load_workbook(__import__("io").BytesIO(get(base, f"insight/{fx.ASSIGNMENT}/download.xlsx",
                                                          "staff1", lang="en").content))
        assert book.sheetnames == ["Items"]
        assert get(base, f"insight/{fx.ASSIGNMENT}/items.png", "staff1").status_code == 200
        assert 'href="/services/progress/insight/"' in get(base, "", "staff1").text
        for path in ENDPOINTS:  # a student still gets 403 everywhere
            assert get(base, path, "s01").status_code == 403, path


INSIGHT_SHOTS = "/tmp/medai-artifacts/insight"


def test_the_instructor_reads_the_page_in_a_browser(page):
    """The instructor's seat in chromium: the page in Korean, then English through its switch; both plots drawn;
    every table inside the page's width; nothing fetched from outside this machine; no console error. With
    MEDAI_UPDATE_TOUR=1 the README's picture (docs/tour/instructor-insight.png)."""
    import os
    from pathlib import Path

    from playwright.sync_api import expect

    from medai.progress.reports.words import words
    from tests import browser as web

    if not web.chromium_available():
        pytest.fail("Debian's chromium is missing: scripts/install.sh installs it")
    origin = page.split("/services/")[0]
    with web.Browser(origin, Path(INSIGHT_SHOTS)) as b:
        s = b.session("prof1")
        s.page.context.set_extra_http_headers({"X-Test-User": "prof1"})
        s.page.goto(page + "insight/")
        s.page.get_by_role("link", name=fx.ASSIGNMENT).first.click()
        ko = words("ko").gettext
        expect(s.page.get_by_text(ko("everyone fails: is the test right?")).first).to_be_visible()
        expect(s.page.locator("body")).to_contain_text("quiz/test_confusion · s03 – s09")
        for img in s.page.locator("img").all():
            img.scroll_into_view_if_needed()
            s.page.wait_for_function("i => i.complete && i.naturalWidth > 100", arg=img.element_handle())
        overflow = s.page.evaluate("() => [...document.querySelectorAll('table')].filter("
                                   "t => t.getBoundingClientRect().right > document.documentElement.clientWidth + 1)"
                                   ".map(t => t.id || t.className)")
        assert overflow == [], f"tables wider than the page: {overflow}"
        s.page.evaluate("window.scrollTo(0, 0)")
        s.shot("insight-ko", tour="instructor-insight")
        s.page.locator("#similarity").scroll_into_view_if_needed()
        s.shot("insight-similarity-ko")
        s.page.get_by_role("link", name="English").first.click()
        expect(s.page.get_by_text("everyone fails: is the test right?").first).to_be_visible()
        assert s.page.locator("html").get_attribute("lang") == "en"
        s.shot("insight-en")
        assert b.errors == [], b.errors
        if os.environ.get("MEDAI_UPDATE_TOUR") == "1":
            web.save_tour(b.tour, Path(__file__).resolve().parents[1] / "docs" / "tour")
