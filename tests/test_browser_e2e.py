"""The platform as its three kinds of users see it: headless chromium (Playwright, Debian's package) against a
real hub started by `medai up`, with real Unix accounts, kernels and the sandboxed grader.

A medicine student and an engineering student each log in, open the Assignments tab, fetch an assignment, run a
self-check, type an answer and a written response, save and submit. The instructor opens the formgrader (a hub
service, in its own tab), the submissions are graded (`medai grade`, as the grader's cron or a person would run
it), the instructor grades the written response by hand, sees the score after the late penalty stored on the new total,
and feedback goes back (`medai feedback`); the medicine student opens it and reads the same number. A staff member opens the progress page, keeps the students at risk, and downloads the Excel
report. Each step leaves a screenshot in $MEDAI_ARTIFACTS (default /tmp/medai-artifacts/browser), and any
console error of ours fails the test. With MEDAI_UPDATE_TOUR=1 the README's tour pictures (docs/tour/) are
rewritten from this run.

Grade on submit follows course.yaml: when its service grades a submission first, `medai grade` waits for it and
skips what is graded unchanged, so every step sees the same gradebook either way.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from medai.grader.feedback_language import LOCALE_DIR as FEEDBACK_LOCALE
from medai.course import load_course
from medai.i18n import translator
from medai.progress.reports.tables import detail_columns, summary_base_columns
from medai.progress.reports.words import words
from tests import browser as web
from tests.conftest import COURSE_YAML, REPO
from tests.deployment import PASSWORD, Deployment, running

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="users' servers run as their own Unix accounts: needs root"),
]

COURSE_ID = "medai101"
FORMGRADER = f"/services/formgrader-{COURSE_ID}/"
PROGRESS = "/services/progress/"
ARTIFACTS = Path(os.environ.get("MEDAI_ARTIFACTS") or "/tmp/medai-artifacts/browser")
TOUR = REPO / "docs" / "tour"
PLACEHOLDER = "    # YOUR CODE HERE\n    raise NotImplementedError()"
FEEDBACK_WORDS = translator("ko", domain="feedback", localedir=FEEDBACK_LOCALE).gettext


@dataclass(frozen=True)
class Work:
    """What one student does in one assignment: the cells run first, question 1 answered and self-checked,
    and the written (hand-graded) response."""

    student: str  # key into Deployment.ids
    track: str
    assignment: str
    notebook: str
    setup: tuple[str, ...]  # the cells to run before answering, by how their source starts
    answer_cell: str  # how the answer cell's source starts
    answer: str  # replaces the released cell's "# YOUR CODE HERE / raise NotImplementedError()"
    written: str


MEDICINE = Work(
    student="med1", track="medicine", assignment="c02-diagnostic-metrics", notebook="diagnostic-metrics",
    setup=("import math", "# Instant self-checks"), answer_cell="def confusion_counts",
    answer='    truth, test = np.asarray(y_true) == 1, np.asarray(y_pred) == 1\n'
           '    return {"tp": int(np.sum(truth & test)), "fp": int(np.sum(~truth & test)),\n'
           '            "fn": int(np.sum(truth & ~test)), "tn": int(np.sum(~truth & ~test))}',
    written="Of 1,000 women screened about 55 test positive and only about 8 of them have cancer (PPV 0.15): "
            "many recalls and biopsies for women who are well, so a positive result must be explained as a "
            "reason for further tests, not a diagnosis.")
ENGINEERING = Work(
    student="eng1", track="engineering", assignment="e01-neural-networks", notebook="neural-networks",
    setup=("import copy", "# Instant self-checks", "df = load_breast_cancer()"), answer_cell="def standardise",
    answer='    X_train, X_other = np.asarray(X_train, dtype=float), np.asarray(X_other, dtype=float)\n'
           '    mean, std = X_train.mean(axis=0), X_train.std(axis=0)\n'
           '    std = np.where(std > 0, std, 1.0)\n'
           '    return ((X_train - mean) / std).astype(np.float32), ((X_other - mean) / std).astype(np.float32)',
    written="Early stopping chose the epoch on the validation set, so the untouched test set still estimates "
            "accuracy on new patients; before the ED uses it we need an external validation on real ECGs.")
MANUAL_SCORE, COMMENT = "1.5", "Good use of your own PPV; say what a recall costs the screening programme."


@pytest.fixture(scope="module")
def hub():
    # no skip without the browser: a missing install step must fail the run, not hide it
    assert web.chromium_available(), f"{web.CHROMIUM} missing: scripts/test.sh installs it (apt-get install chromium)"
    with running() as d:
        for work in (MEDICINE, ENGINEERING):  # released already unless the clock is before the release date
            d.medai("release", work.assignment)
        yield d


def released(hub: Deployment, work: Work) -> nbformat.NotebookNode:
    """The notebook as students get it (the exchange's outbound copy)."""
    path = hub.root / "exchange" / COURSE_ID / "outbound" / work.assignment / f"{work.notebook}.ipynb"
    return nbformat.read(path, as_version=4)


def position(nb: nbformat.NotebookNode, test) -> int:
    return next(i for i, c in enumerate(nb.cells) if test(c.source))


def answered(source: str, work: Work) -> str:
    """The answer cell as the student leaves it: the released cell with the placeholder replaced."""
    assert PLACEHOLDER in source
    return source.replace(PLACEHOLDER, work.answer)


def student_works_and_submits(browser: web.Browser, hub: Deployment, work: Work, *, tour: bool) -> web.Session:
    """Log in, fetch, self-check, answer, save, submit; `tour`: this student's pictures go in the README."""
    nb = released(hub, work)
    answer_at = position(nb, lambda src: src.startswith(work.answer_cell))
    track = work.track
    s = browser.session(track)
    page = s.page
    page.goto(f"{hub.url}/hub/login")
    s.login(hub.ids[work.student], PASSWORD)
    web.wait_for_lab(page)
    web.open_assignments(page)
    expect(web.assignment_row(page, "released", work.assignment)).to_be_visible()
    s.shot(f"{track}-assignments", tour="student-assignments" if tour else "")
    web.fetch(page, work.assignment)
    panel = web.open_notebook(page, work.assignment, work.notebook)
    s.shot(f"{track}-notebook")
    for prefix in work.setup:
        web.run_cell(web.cell(panel, position(nb, lambda src: src.startswith(prefix))))
    check = web.cell(panel, position(nb, lambda src: src.strip() == "q1.check()"))
    expect(web.run_cell(check)).to_contain_text("✗ Q1")  # not answered yet: it says what is missing
    answer = web.cell(panel, answer_at)
    web.type_into(answer, answered(nb.cells[answer_at].source, work))
    web.run_cell(answer)
    expect(web.run_cell(check)).to_contain_text("✓ Q1")
    passed = translator("ko", domain="selfcheck").gettext("the public checks pass. Hidden tests run when it is graded.")
    expect(check.locator(".jp-OutputArea")).to_contain_text(passed)  # students' servers speak Korean by default
    s.shot(f"{track}-self-check", tour="student-self-check" if tour else "")
    web.markdown_answer(web.cell(panel, position(nb, lambda src: src.strip() == "YOUR ANSWER HERE")), work.written)
    web.save(page)
    home = hub.root / "home" / hub.ids[work.student] / work.assignment / f"{work.notebook}.ipynb"
    saved = [c.source for c in nbformat.read(home, as_version=4).cells]
    assert saved[answer_at] == answered(nb.cells[answer_at].source, work) and work.written in saved  # as typed
    submitted = web.submit(page, work.assignment)
    expect(submitted).to_contain_text("Fetch Feedback")
    s.shot(f"{track}-submitted")
    return s


def grade(hub: Deployment, work: Work) -> None:
    out = hub.medai("grade", work.assignment, "--quiet").stdout
    # graded now, or already by grade on submit (then unchanged): either way one submission, cleanly
    assert re.search(r": (1 processed this run, 0|0 processed this run, 1) unchanged", out), out
    assert "failed 0, timed out 0, invalid 0, tampered 0" in out, out


def instructor_grades_by_hand(browser: web.Browser, hub: Deployment, work: Work) -> None:
    s = browser.session("instructor")
    page = s.page
    page.goto(f"{hub.url}{FORMGRADER}")  # its own tab: the formgrader is a hub service, not framed in Lab
    s.login(hub.ids["prof"], PASSWORD)
    expect(page).to_have_url(re.compile(r"/formgrader/manage_assignments"))
    for assigned in (MEDICINE, ENGINEERING):  # released, and the student's submission has arrived
        row = page.locator("tr", has=page.locator("td", has_text=re.compile(f"^{assigned.assignment}$")))
        expect(row).to_contain_text("released")
        expect(row.get_by_role("link", name="1", exact=True)).to_be_visible()
    s.shot("instructor-formgrader", tour="instructor-formgrader")

    page.get_by_role("link", name="Manual Grading").click()
    page.get_by_role("link", name=work.assignment, exact=True).click()
    page.get_by_role("link", name=work.notebook, exact=True).click()
    submission = page.locator("#main-table tr", has_text="Submission #1")
    expect(submission.locator(".needs-manual-grade .glyphicon-ok")).to_be_visible()
    submission.get_by_role("link", name="Submission #1").click()
    expect(page.locator(".nbgrader_cell", has_text=work.written[:40])).to_be_visible()  # the student's words
    web.wait_for_grading_page(page)
    nb = released(hub, work)
    grade_cell = nb.cells[position(nb, lambda src: src.strip() == "YOUR ANSWER HERE")].metadata.nbgrader.grade_id
    score, comment = page.locator(f"#{grade_cell}"), page.locator(f"#{grade_cell}-comment")
    score.scroll_into_view_if_needed()
    with page.expect_response(lambda r: "/formgrader/api/grade/" in r.url and r.request.method == "PUT") as saved:
        score.fill(MANUAL_SCORE)
        score.press("Tab")
    assert saved.value.ok and saved.value.json()["manual_score"] == float(MANUAL_SCORE)
    with page.expect_response(lambda r: "/formgrader/api/comment/" in r.url and r.request.method == "PUT") as saved:
        comment.fill(COMMENT)
        comment.press("Tab")
    assert saved.value.ok
    s.shot("instructor-manual-grading", tour="instructor-manual-grading")
    page.go_back()
    page.reload()
    expect(submission.locator(".written-score")).to_have_text(re.compile(rf"^{MANUAL_SCORE} / "))
    expect(submission.locator(".needs-manual-grade .glyphicon-ok")).to_have_count(0)  # nothing left to grade


def one_score(hub: Deployment, work: Work) -> tuple[float, float, float]:
    """(total, stored late penalty, maximum) of the student's submission, from the gradebook itself."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{hub.root / 'course' / 'gradebook.db'}") as gb:
        s = gb.find_submission(work.assignment, hub.ids[work.student])
        return float(s.score), float(s.late_submission_penalty or 0), float(s.max_score)


def js_number(v: float) -> str:
    """A number as the formgrader's roundToPrecision(v, 2) writes it."""
    return f"{round(v, 2):g}"


def instructor_sees_the_late_penalty(browser: web.Browser, hub: Deployment, work: Work) -> None:
    """The assignment's submissions page: the score after the stored penalty, and the penalty, beside it."""
    total, penalty, top = one_score(hub, work)
    assert penalty > 0  # handed in after the due date: course.yaml's late policy took its share
    s = next(x for x in browser.sessions if x.name == "instructor")
    page = s.page
    page.goto(f"{hub.url}{FORMGRADER}formgrader/manage_submissions/{work.assignment}")
    row = page.locator("#main-table tr", has_text=hub.ids[work.student])
    expect(row.locator(".score")).to_have_text(
        f"{js_number(total - penalty)} / {js_number(top)} (late \u2212{js_number(penalty)})")
    s.shot("instructor-late-penalty")


def student_reads_feedback(s: web.Session, hub: Deployment, work: Work) -> None:
    page = s.page
    page.locator("#jp-main-dock-panel .lm-TabBar-tab", has_text="Assignments").click()
    page.locator("#refresh_assignments_list").click()
    row = web.assignment_row(page, "submitted", work.assignment)
    row.locator(".item_status button", has_text="Fetch Feedback").click()
    link = row.locator("a", has_text="view feedback")
    link.click()  # nbgrader shows the feedback folder in the file browser
    page.locator(".jp-DirListing-item", has_text=f"{work.notebook}.html").dblclick()
    feedback = page.frame_locator(".jp-HTMLViewer:visible iframe")
    w = FEEDBACK_WORDS  # the student's language (Korean: no roster language)
    expect(feedback.locator("body")).to_contain_text(f"{w('Written response')} ({w('Score')}: {float(MANUAL_SCORE)} / ")
    expect(feedback.locator("body")).to_contain_text(COMMENT)
    total, penalty, top = one_score(hub, work)
    expect(feedback.locator("h4").first).to_contain_text(f"({w('Score')}: {round(total - penalty, 2)} / {round(top, 2)})")
    expect(feedback.locator("li.late-penalty")).to_contain_text(f"({w('Score')}: -{round(penalty, 2)})")
    first_test = feedback.locator("li", has_text=w("Test cell")).first
    expect(first_test).to_contain_text(f"({w('Score')}: 2.0 / 2.0)")  # the typed answer passed the hidden tests too
    s.shot(f"{s.name}-feedback", tour="student-feedback")


def staff_exports_at_risk(browser: web.Browser, hub: Deployment) -> None:
    """The staff page in Korean (its default): every text the test looks for comes from the reports catalogue,
    so a reworded message cannot make the test drift."""
    ko = words("ko")
    _ = ko.gettext
    s = browser.session("staff")
    page = s.page
    page.goto(f"{hub.url}{PROGRESS}")
    s.login(hub.ids["staff"], PASSWORD)
    course = load_course(COURSE_YAML)
    expect(page.locator("h1")).to_contain_text(_("{title} · progress").format(title=course.course.title_ko))
    page.get_by_label(_("at risk only")).check()
    page.get_by_role("button", name=_("Filter")).click()
    expect(page).to_have_url(re.compile(r"at_risk=1"))
    rows = page.locator("#students tr:has(td)")
    expect(rows.first).to_be_visible()
    assert rows.count() == page.locator("#students tr.risk").count()  # only students at risk are listed
    past_due = ko.ngettext(MISSING, MISSING_PLURAL, 2).split("{n}")[0].strip()  # the reason's fixed words
    for key in ("med1", "eng1"):
        expect(page.locator("#students tr.risk", has_text=hub.ids[key])).to_contain_text(past_due)
    s.shot("staff-progress-at-risk", tour="staff-progress")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile(_("Excel"))).click()
    path = ARTIFACTS / download.value.suggested_filename
    download.value.save_as(path)
    assert path.suffix == ".xlsx"
    workbook = load_workbook(path)  # a real workbook, as Excel opens it, in the page's language
    details = {(r["student"], r["assignment"]): r for r in records(workbook[_("Details")], detail_columns(ko))}
    graded = details[(hub.ids["med1"], MEDICINE.assignment)]
    assert graded["state"] == ko.state("graded") and graded["raw_score"] == 2 + float(MANUAL_SCORE)  # auto + by hand
    total, penalty, top = one_score(hub, MEDICINE)  # the number the feedback and the formgrader showed
    assert (graded["penalty_points"], graded["final_percent"]) == (round(penalty, 2),
                                                                   round(100 * (total - penalty) / top, 2))
    assert details[(hub.ids["eng1"], ENGINEERING.assignment)]["state"] == ko.state("needs_manual_grading")
    medicine = next(t for t in course.tracks if t.id == "medicine")
    summary = workbook[_("Summary {track}").format(track=medicine.title_ko)]
    listed = {r["student"]: r["at_risk"] for r in records(summary, summary_base_columns(ko)) if r["track"]}
    assert listed == {hub.ids["med1"]: ko.yes_no(True), hub.ids["med2"]: ko.yes_no(True)}  # the filter's, all at risk


MISSING = "{n} assignment past due and not submitted: {names}"
MISSING_PLURAL = "{n} assignments past due and not submitted: {names}"


def records(sheet, columns) -> list[dict]:
    """The sheet's rows keyed by the columns' stable names (the header holds their labels in the sheet's language)."""
    rows = list(sheet.iter_rows(values_only=True))
    names = {c.label: c.name for c in columns}
    header = [names.get(h, h) for h in rows[0]]
    return [dict(zip(header, row)) for row in rows[1:]]


def test_students_instructor_and_staff_in_a_real_browser(hub):
    with web.Browser(hub.url, ARTIFACTS) as browser:
        medicine = student_works_and_submits(browser, hub, MEDICINE, tour=True)
        student_works_and_submits(browser, hub, ENGINEERING, tour=False)
        for work in (MEDICINE, ENGINEERING):
            grade(hub, work)
        instructor_grades_by_hand(browser, hub, MEDICINE)
        instructor_sees_the_late_penalty(browser, hub, MEDICINE)
        assert "feedback returned (1 student(s))" in hub.medai("feedback", MEDICINE.assignment).stdout
        student_reads_feedback(medicine, hub, MEDICINE)
        staff_exports_at_risk(browser, hub)
        assert not browser.errors, "\n".join(browser.errors)
        if os.environ.get("MEDAI_UPDATE_TOUR") == "1":
            web.save_tour(browser.tour, TOUR)
