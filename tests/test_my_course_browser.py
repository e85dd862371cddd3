"""The student's seat, in chromium against a real hub (`medai up`, grade on submit on): the My-course panel.

A medicine student logs in for the first time and lands on the panel (in Korean, JupyterLab's default here):
common and medicine work only, Korean titles, deadlines in KST. They fetch c02 from the panel, their answer goes
into the notebook (typed in the browser by tests/test_browser_e2e.py; written to the file here), and they
submit it late: the panel says exactly what the late policy takes and asks first; "grading…" turns into the
score with a notification, the feedback fetched from the panel shows the same points, and the number is the
staff page's. An engineering student sees engineering work
only, and switching JupyterLab to English switches the panel. Screenshots: $MEDAI_ARTIFACTS; with
MEDAI_UPDATE_TOUR=1 the README's (docs/tour/student-my-course*.png).
"""
from __future__ import annotations

import os
import re
from datetime import datetime, timezone

import nbformat
import pytest
from playwright.sync_api import expect

from medai.course import load_course
from medai.course.late import lateness
from tests import browser as web
from tests.conftest import COURSE_YAML
from tests.deployment import PASSWORD, Deployment, running
from tests.test_browser_e2e import (ARTIFACTS, FEEDBACK_WORDS, MEDICINE, PROGRESS, TOUR, answered, one_score, position,
                                    released)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="users' servers run as their own Unix accounts: needs root"),
]
GRADING_MS = 600_000  # grade on submit: a poll (10 s), the sandbox, the notebook's cells, feedback


@pytest.fixture(scope="module")
def hub():
    assert web.chromium_available(), f"{web.CHROMIUM} missing: scripts/test.sh installs it (apt-get install chromium)"
    with running() as d:
        d.medai("release", MEDICINE.assignment)
        yield d


def row(panel, assignment: str):
    return panel.locator(f'.medai-MyCourse-row[data-assignment="{assignment}"]')


def shown_ids(panel) -> list[str]:
    return panel.locator(".medai-MyCourse-row").evaluate_all("rows => rows.map(r => r.dataset.assignment)")


def first_login(browser: web.Browser, hub: Deployment, key: str, name: str) -> tuple[web.Session, object]:
    s = browser.session(name)
    s.page.goto(f"{hub.url}/hub/login")
    s.login(hub.ids[key], PASSWORD)
    web.wait_for_lab(s.page)
    s.page.keyboard.press("Control+b")  # the file browser folded away, as a student reading their course would
    panel = s.page.locator(".medai-MyCourse")
    expect(panel).to_be_visible()  # opened by itself: nobody told the student where to look
    expect(panel.locator(".medai-MyCourse-row").first).to_be_visible()
    return s, panel


def answer_in_home(hub: Deployment) -> None:
    """The student's answer in their fetched notebook, as they would have typed it (file kept theirs)."""
    nb = released(hub, MEDICINE)
    at = position(nb, lambda src: src.startswith(MEDICINE.answer_cell))
    path = hub.root / "home" / hub.ids[MEDICINE.student] / MEDICINE.assignment / f"{MEDICINE.notebook}.ipynb"
    mine = nbformat.read(path, as_version=4)
    mine.cells[at].source = answered(mine.cells[at].source, MEDICINE)
    owner = path.stat()
    nbformat.write(mine, path)
    os.chown(path, owner.st_uid, owner.st_gid)


def staff_final_percent(browser: web.Browser, hub: Deployment, assignment: str) -> str:
    """The final score (after the late penalty) on the staff page's student page."""
    s = browser.session("staff")
    s.page.goto(f"{hub.url}{PROGRESS}student/{hub.ids[MEDICINE.student]}")
    s.login(hub.ids["staff"], PASSWORD)
    cells = s.page.locator("table tr", has_text=assignment).first.locator("td")
    expect(cells.nth(7)).to_have_text(re.compile(r"\d"))
    s.shot("staff-student-page")
    return cells.nth(7).inner_text().strip()


def test_the_student_s_course_in_their_jupyterlab(hub):
    course = load_course(COURSE_YAML)
    c02 = course.assignment(MEDICINE.assignment)
    with web.Browser(hub.url, ARTIFACTS / "my-course") as browser:
        med, panel = first_login(browser, hub, "med1", "medicine")
        page = med.page
        assert sorted(shown_ids(panel)) == sorted(a.id for a in course.assignments_for_track("medicine"))
        line = row(panel, c02.id)
        expect(line.locator(".medai-MyCourse-title")).to_have_text(c02.title_ko)  # Korean first
        expect(line.locator(".medai-MyCourse-subtitle")).to_have_text(c02.title)  # English always
        expect(line.locator("[data-due]")).to_contain_text("KST")
        expect(line.locator("[data-due]")).to_contain_text(f"{c02.due.astimezone(course.course.tz).day}일")
        expect(line).to_have_attribute("data-state", re.compile("late|missed"))  # past due, not submitted
        med.shot("my-course-ko", tour="student-my-course")

        line.locator('[data-action="fetch"]').click()
        expect(line).to_have_attribute("data-state", "late")  # fetched, still not submitted: late
        expect(line.locator('[data-action="open"]')).to_be_visible()
        answer_in_home(hub)

        line.locator('[data-action="submit"]').click()
        dialog = page.locator('.jp-Dialog .medai-MyCourse-dialog[data-dialog="submit-late"]')
        cost = lateness(course, assignment_id=c02.id, student=hub.ids["med1"], submitted=datetime.now(timezone.utc))
        expect(dialog).to_contain_text(f"{cost.penalty_percent:g}%")  # exactly what the policy will take
        expect(dialog).to_contain_text(f"{cost.days_late}")
        med.shot("my-course-submit-late", tour="student-submit-late")
        page.locator(".jp-Dialog .jp-mod-accept").click()
        expect(line.locator(".medai-MyCourse-grading")).to_be_visible()  # "grading…", without a refresh
        med.shot("my-course-grading")
        expect(line).to_have_attribute("data-state", re.compile("^(graded|needs_manual_grading)$"), timeout=GRADING_MS)
        expect(page.locator(".Toastify__toast", has_text=c02.title_ko)).to_be_visible()
        med.shot("my-course-graded", tour="student-my-course-graded")

        total, penalty, top = one_score(hub, MEDICINE)
        assert penalty > 0
        score = line.locator("[data-score]")
        expect(score).to_contain_text(f"{round(total - penalty, 2):g} / {top:g}")  # the points that count
        assert float(score.get_attribute("data-score")) == pytest.approx(100 * (total - penalty) / top)

        # the feedback, fetched from the panel (nbgrader's own fetch_feedback), opens in a tab of its own
        with page.context.expect_page() as opened:
            line.locator('[data-action="fetch-feedback"], [data-action="open-feedback"]').first.click()
        feedback = opened.value
        expect(feedback).to_have_url(re.compile(rf"/files/{c02.id}/feedback/.+\.html$"))
        expect(feedback.locator("h4").first).to_contain_text(
            f"({FEEDBACK_WORDS('Score')}: {round(total - penalty, 2)} / {round(top, 2)})")  # the same points
        feedback.close()
        expect(line.locator('[data-action="open-feedback"]')).to_be_visible()  # fetched: next time it just opens
        staff = staff_final_percent(browser, hub, c02.id)
        assert staff == f"{100 * (total - penalty) / top:.1f}"  # the staff page's number, the panel's number

        eng, eng_panel = first_login(browser, hub, "eng1", "engineering")
        assert sorted(shown_ids(eng_panel)) == sorted(a.id for a in course.assignments_for_track("engineering"))
        assert not set(shown_ids(eng_panel)) & {a.id for a in course.assignments if "medicine" in a.tracks}

        # Settings -> Language -> English: JupyterLab reloads, and the panel is in English
        eng.page.locator("#jp-menu-panel .lm-MenuBar-itemLabel", has_text=re.compile("^(설정|Settings)$")).click()
        eng.page.locator("#jp-mainmenu-settings > ul > li", has_text=re.compile("^(언어|Language)")).hover()
        eng.page.locator('li[data-command="jupyterlab-translation:en"]').click()
        eng.page.locator(".jp-Dialog .jp-mod-accept").click()
        web.wait_for_lab(eng.page)
        panel_en = eng.page.locator(".medai-MyCourse")
        expect(panel_en.locator('[data-section="progress"]')).to_contain_text("My progress")
        e01 = course.assignment("e01-neural-networks")
        expect(row(panel_en, e01.id).locator(".medai-MyCourse-title")).to_have_text(e01.title)
        eng.shot("my-course-en", tour="student-my-course-en")

        assert not browser.errors, "\n".join(browser.errors)
        if os.environ.get("MEDAI_UPDATE_TOUR") == "1":
            web.save_tour({k: v for k, v in browser.tour.items() if k.startswith("student-")}, TOUR)
