"""Korean first, English always, as two students see it (chromium against a real hub, `medai up`): the roster
gives med1 no language (Korean) and eng1 `lang=en`. Each logs in through the hub's login page (Korean with the
English beside it), lands in JupyterLab in their language with My course in it, fetches and opens their
assignment from the panel and runs a self-check that is not answered yet: its message is in their language.
Closed, My course is one click away (its menu, a launcher card), in their language too.
Settings → Language offers the languages installed and no "Install more languages…" (students install nothing).
Screenshots: $MEDAI_ARTIFACTS/languages."""
from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import expect

from medai.course import load_course
from tests import browser as web
from tests.conftest import COURSE_YAML
from tests.deployment import PASSWORD, running
from tests.test_browser_e2e import ARTIFACTS, ENGINEERING, MEDICINE, position, released

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="users' servers run as their own Unix accounts: needs root"),
]
HANGUL = re.compile(r"[\uac00-\ud7a3]")


@pytest.fixture(scope="module")
def hub():
    assert web.chromium_available(), f"{web.CHROMIUM} missing: scripts/test.sh installs it (apt-get install chromium)"
    with running(langs={"eng1": "en"}) as d:
        for work in (MEDICINE, ENGINEERING):
            d.medai("release", work.assignment)
        yield d


def languages_offered(s, name: str) -> None:
    """Settings → Language lists English and Korean, and not JupyterLab's "Install more languages…" (it would open
    the extension manager, which students do not have)."""
    page = s.page
    page.locator("#jp-menu-panel .lm-MenuBar-itemLabel", has_text=re.compile("^(설정|Settings)$")).click()
    page.locator("#jp-mainmenu-settings > ul > li", has_text=re.compile("^(언어|Language)")).hover()
    for locale in ("en", "ko_KR"):
        expect(page.locator(f'li[data-command="jupyterlab-translation:{locale}"]')).to_be_visible()
    install = page.locator('li[data-command="jupyterlab-translation:install-languages"]')
    expect(install).to_have_count(1)  # JupyterLab 4.6 adds it (greyed out without the extension manager) ...
    expect(install).to_be_hidden()  # ... and My course's style takes it away
    s.shot(f"{name}-languages-menu")
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")


def one_click_away(s, title: str) -> None:
    """Closed, My course comes back from its menu and from a launcher card (both named in the student's
    language)."""
    page = s.page
    panel = page.locator(".medai-MyCourse")

    def close() -> None:
        page.locator("#jp-main-dock-panel .lm-TabBar-tab", has_text=title).locator(".lm-TabBar-tabCloseIcon").click()
        expect(panel).to_be_hidden()

    close()
    page.locator("#jp-menu-panel .lm-MenuBar-itemLabel", has_text=re.compile(f"^{title}$")).click()
    page.locator("#medai-mycourse-menu li[data-command='medai-mycourse:open']").click()
    expect(panel).to_be_visible()
    close()
    page.locator("#jp-main-dock-panel .lm-TabBar-addButton").first.click()  # a new launcher
    page.locator(".jp-Launcher:visible .jp-LauncherCard", has_text=title).first.click()
    expect(panel).to_be_visible()


def self_check_in_their_language(browser, hub, work, *, name: str, file_menu: str, progress: str, title: str):
    course = load_course(COURSE_YAML)
    s = browser.session(name)
    page = s.page
    page.goto(f"{hub.url}/hub/login")
    login = page.locator("body")
    expect(login).to_contain_text(course.course.title_ko)  # the login page names the course, both languages
    expect(login).to_contain_text(course.course.title)
    s.login(hub.ids[work.student], PASSWORD)
    web.wait_for_lab(page)
    expect(page.locator("#jp-menu-panel .lm-MenuBar-itemLabel").first).to_have_text(file_menu)  # JupyterLab
    panel = page.locator(".medai-MyCourse")
    expect(panel.locator('[data-section="progress"]')).to_contain_text(progress)  # My course
    languages_offered(s, name)
    one_click_away(s, title)
    row = panel.locator(f'.medai-MyCourse-row[data-assignment="{work.assignment}"]')
    row.locator('[data-action="fetch"]').click()
    row.locator('[data-action="open"]').click()
    notebook = page.locator(".jp-NotebookPanel:visible")
    expect(notebook.locator(".jp-Toolbar-kernelName")).to_have_text(re.compile("Python 3"))
    expect(page.locator(".jp-Notebook-ExecutionIndicator").first).to_have_attribute("data-status", "idle")
    nb = released(hub, work)
    for prefix in work.setup:
        web.run_cell(web.cell(notebook, position(nb, lambda src: src.startswith(prefix))))
    output = web.run_cell(web.cell(notebook, position(nb, lambda src: src.strip() == "q1.check()")))
    expect(output).to_contain_text("✗ Q1")  # not answered yet: it says what is missing
    s.shot(f"{name}-self-check")
    return output.inner_text()


def test_each_student_reads_medai_in_their_own_language(hub):
    with web.Browser(hub.url, ARTIFACTS / "languages") as browser:
        korean = self_check_in_their_language(browser, hub, MEDICINE, name="korean", file_menu="파일",
                                              progress="내 학습 현황", title="내 강좌")
        assert HANGUL.search(korean), korean
        english = self_check_in_their_language(browser, hub, ENGINEERING, name="english", file_menu="File",
                                               progress="My progress", title="My course")
        assert not HANGUL.search(english.split("✗", 1)[1]), english  # the message itself: English
        assert not browser.errors, "\n".join(browser.errors)
