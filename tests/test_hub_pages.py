"""The hub's own pages (hub_config/templates/, extending JupyterHub 6.1's): staff see no dead ends, and every 403
a role can reach says why and where to go instead, Korean first with English beside it.

The configuration is checked against a bare traitlets Config; the pages themselves on a real hub (`medai up`,
configurable-http-proxy, users' servers as their own Unix accounts) and, for the staff home page, in headless
chromium (Playwright, Debian's package), with a screenshot in $MEDAI_ARTIFACTS (default /tmp/medai-artifacts).
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader
from jupyterhub._data import DATA_FILES_PATH
from traitlets.config import Config

from medai.hub.apply import STAFF_NO_SERVER, TEMPLATES, apply_pages, formgrader_service, page_role
from tests.deployment import PASSWORD, logged_in

COURSE_ID = "medai101"
FORMGRADER = f"/services/formgrader-{COURSE_ID}/"
PROGRESS = "/services/progress/"
ARTIFACTS = Path(os.environ.get("MEDAI_ARTIFACTS") or "/tmp/medai-artifacts") / "hub-pages"
JUPYTERHUB_TEMPLATES = Path(DATA_FILES_PATH) / "templates"  # JupyterHub 6.1's own pages

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="users' servers run as their own Unix accounts: needs root")


# -- the configuration (no server) -----------------------------------------------------------------------------


def applied(course) -> Config:
    c = Config()
    apply_pages(c, course)
    return c


def user_in(*groups: str):
    return SimpleNamespace(groups=[SimpleNamespace(name=g) for g in groups])


def test_hub_pages_come_from_the_packaged_templates(course):
    c = applied(course)
    assert c.JupyterHub.template_paths == [str(TEMPLATES)]
    assert TEMPLATES.is_dir() and TEMPLATES.parent.name == "hub"  # inside medai.hub: package-data ships it
    for name in ("home.html", "error.html", "not_running.html", "404.html"):
        text = (TEMPLATES / name).read_text(encoding="utf-8")
        # each extends JupyterHub's own page of the same name (JupyterHub's loader prefix "templates/")
        assert f'{{% extends "templates/{name}" %}}' in text, name


def test_the_hub_config_gets_the_pages(course, roster, layout):
    from tests.test_hub_apply import applied as fully_applied

    c = fully_applied(course, roster, layout)
    assert c.JupyterHub.template_paths == [str(TEMPLATES)]
    assert c.JupyterHub.template_vars["medai_role"] is page_role


def test_template_vars_name_the_services_and_the_role_of_each_user(course):
    tv = applied(course).JupyterHub.template_vars
    assert tv["medai"] == {"progress": "progress", "formgrader": formgrader_service(course),
                           "staff_no_server": STAFF_NO_SERVER}
    assert tv["announcement_login"].startswith("medai")
    role = tv["medai_role"]
    assert role is page_role  # JupyterHub calls it with the page's current user
    assert role(user_in("staff")) == "staff"
    assert role(user_in("instructors")) == "instructor"
    assert role(user_in("students", "medicine")) == "student"
    assert role(None) == ""  # the login page: nobody yet


def test_every_template_compiles_with_jupyterhubs_own_loader():
    """The loader JupyterHub 6.1 builds (app.py init_tornado_settings): ours first, its own under "templates/"."""
    base = JUPYTERHUB_TEMPLATES
    assert (base / "home.html").exists(), base
    env = Environment(autoescape=True, loader=ChoiceLoader([
        PrefixLoader({"templates": FileSystemLoader([str(base)])}, "/"),
        FileSystemLoader([str(TEMPLATES), str(base)])]))
    for path in TEMPLATES.glob("*.html"):
        env.get_template(path.name)  # raises TemplateSyntaxError / TemplateNotFound


# -- a real hub (the module's `hub` fixture: `medai up` with the demo course and throw-away accounts) ---------------


def html(r: requests.Response) -> str:
    """The page as the browser reads it (JupyterHub's error pages send no charset; its templates are UTF-8)."""
    return r.content.decode("utf-8")


def offers_a_server(page: str) -> bool:
    """JupyterHub's start/stop/launch buttons (home.html, not_running.html) or any link that spawns."""
    return bool(re.search(r'id="(start|stop)"|My Server|Launch\s+Server|/hub/spawn', page))


def link(page: str, element_id: str) -> str:
    m = re.search(rf'<a id="{element_id}"[^>]*href="([^"]+)"', page)
    assert m, f"no link #{element_id} in the page"
    return m.group(1)


@pytest.fixture(scope="module")
def running_student(hub):
    """med1, logged in, whose home page offers to start their server; started from that link."""
    student = logged_in(hub, "med1")
    page = html(student.s.get(f"{hub.url}/hub/home", timeout=60))
    assert link(page, "start") == f"/hub/spawn/{student.name}"
    assert "Start" in page and "My Server" in page and 'id="medai-progress"' not in page
    student.spawn()  # as the browser does after that link: /hub/spawn, its progress, then JupyterLab
    return student


@pytest.mark.slow
@needs_root
def test_staff_home_links_to_the_progress_page_and_offers_no_server(hub):
    staff = logged_in(hub, "staff")
    r = staff.s.get(f"{hub.url}/hub/home", timeout=60)
    page = html(r)
    assert r.status_code == 200
    assert not offers_a_server(page), page
    assert "프로그램 운영진 계정에는 노트북 서버가 없습니다" in page and "have no notebook server" in page
    progress = link(page, "medai-progress")
    assert progress == PROGRESS
    assert staff.s.get(f"{hub.url}{progress}", timeout=60).status_code == 200  # it leads somewhere


@pytest.mark.slow
@needs_root
def test_staff_who_type_their_server_url_get_the_progress_page_not_a_launch_button(hub):
    staff = logged_in(hub, "staff")
    r = staff.s.get(f"{hub.url}/user/{staff.name}/lab", timeout=60)
    page = html(r)
    assert not offers_a_server(page), (r.status_code, r.url, page)
    assert "have no notebook server" in page and link(page, "medai-progress") == PROGRESS


@pytest.mark.slow
@needs_root
def test_a_students_home_still_starts_their_server(running_student):
    lab = running_student.server("GET", f"/user/{running_student.name}/lab")
    assert lab.status_code == 200 and "jupyter-config-data" in lab.text


@pytest.mark.slow
@needs_root
def test_instructor_home_keeps_the_server_and_links_the_formgrader(hub):
    prof = logged_in(hub, "prof")
    page = html(prof.s.get(f"{hub.url}/hub/home", timeout=60))
    assert link(page, "start") == f"/hub/spawn/{prof.name}"
    assert link(page, "medai-formgrader") == FORMGRADER
    assert link(page, "medai-progress") == PROGRESS


# who, what they open, the sentence that says why (Korean, English), and the link to go to instead
DENIED = {
    "staff-starts-a-server": ("staff", "/hub/spawn", "프로그램 운영진 계정에는 노트북 서버가 없습니다",
                              "Program staff accounts have no notebook server", "medai-progress"),
    "student-opens-another-students-server": ("med2", "/user/{med1}/lab", "다른 학생의 서버는 열 수 없습니다",
                                              "You cannot open another student&#39;s server", "medai-my-server"),
    "student-opens-the-formgrader": ("med2", FORMGRADER, "채점 도구(formgrader)는 이 과목의 강사만 쓸 수 있습니다",
                                     "The formgrader is for the course&#39;s instructors only", "medai-my-server"),
    "student-opens-the-progress-page": ("eng1", PROGRESS, "진행 현황 페이지는 프로그램 운영진과 강사만 볼 수 있습니다",
                                        "The progress page is for program staff and instructors only",
                                        "medai-my-server"),
    "staff-open-a-students-server": ("staff", "/user/{med1}/lab", "프로그램 운영진은 학생의 서버를 열 수 없습니다",
                                     "Program staff cannot open students&#39; servers", "medai-progress"),
    "staff-open-the-formgrader": ("staff", FORMGRADER, "채점 도구(formgrader)는 이 과목의 강사만 쓸 수 있습니다",
                                  "Program staff see scores and reports on the progress page", "medai-progress"),
    "instructor-opens-a-students-server": ("prof", "/user/{med1}/lab", "강사도 학생의 서버는 열 수 없습니다",
                                           "Instructors cannot open students&#39; servers either",
                                           "medai-formgrader"),
}


@pytest.mark.slow
@needs_root
@pytest.mark.parametrize("case", list(DENIED))
def test_each_403_says_why_and_where_to_go(hub, running_student, case):
    who, path, ko, en, go = DENIED[case]
    user = logged_in(hub, who)
    r = user.s.get(hub.url + path.format(med1=running_student.name), timeout=120)
    page = html(r)
    assert r.status_code == 403, (r.status_code, r.url)
    assert ko in page and en in page, page
    assert page.index(ko) < page.index(en)  # Korean first, English beside it
    target = link(page, go)
    expected = {"medai-progress": PROGRESS, "medai-formgrader": FORMGRADER,
                "medai-my-server": f"/user/{user.name}/"}[go]
    assert target == expected
    assert not offers_a_server(page)


@pytest.mark.slow
@needs_root
def test_another_students_stopped_server_is_a_404_that_says_so(hub):
    """JupyterHub answers 404 (not 403) for someone else's server that is not running: it tells nobody who
    exists. The page says what that means."""
    student = logged_in(hub, "med2")
    r = student.s.get(f"{hub.url}/user/{hub.ids['eng1']}/lab", timeout=60)
    page = html(r)
    assert r.status_code == 404
    assert "다른 사람의 서버라서 열 수 없습니다" in page and "someone else&#39;s server" in page
    assert link(page, "medai-my-server") == f"/user/{student.name}/"


@pytest.mark.slow
@needs_root
def test_staff_home_in_a_real_browser(hub):
    """Staff log in with the form, land on the progress page, open the hub's home: no server button, a link to
    the progress page that works; a screenshot of each page for a person to look at."""
    from playwright.sync_api import expect

    from tests import browser as web

    assert web.chromium_available(), f"{web.CHROMIUM} missing: scripts/test.sh installs it (apt-get install chromium)"
    with web.Browser(hub.url, ARTIFACTS) as b:
        s = b.session("staff")
        page = s.page
        page.goto(f"{hub.url}/hub/login")
        s.login(hub.ids["staff"], PASSWORD)
        page.wait_for_url(re.compile(re.escape(PROGRESS)))  # the landing page for staff (medai.hub.apply)
        page.goto(f"{hub.url}/hub/home")
        go = page.locator("#medai-progress")
        expect(go).to_be_visible()
        s.shot("staff-home")
        assert page.locator("#start, #stop").count() == 0
        expect(page.get_by_text(re.compile("Start My Server|Launch Server"))).to_have_count(0)
        expect(page.locator(".medai-staff-home")).to_contain_text("노트북 서버가 없습니다")
        go.click()
        page.wait_for_url(re.compile(re.escape(PROGRESS)))
        expect(page.locator("body")).to_contain_text("progress across the tracks")
        page.goto(f"{hub.url}/hub/spawn")  # typed by hand, or an old bookmark: says why, and where to go
        expect(page.locator(".medai-denied")).to_contain_text("노트북 서버가 없습니다")
        expect(page.locator("#medai-progress")).to_be_visible()
        s.shot("staff-403-spawn")

        student = b.session("student")
        student.page.goto(f"{hub.url}/hub/login")
        student.login(hub.ids["eng1"], PASSWORD)
        student.page.goto(f"{hub.url}{FORMGRADER}")
        expect(student.page.locator(".medai-denied")).to_contain_text("강사만 쓸 수 있습니다")
        student.shot("student-403-formgrader")
        # chromium logs the 403 answer itself as "Failed to load resource"; anything else is ours to fix
        assert not [e for e in b.errors if "responded with a status of 403" not in e], b.errors
