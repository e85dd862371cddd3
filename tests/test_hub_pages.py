"""The hub's own pages (hub_config/templates/, extending JupyterHub 6.1's): the login page names the course and
says what to do, staff see no dead ends, and every 403 a role can reach says why and where to go instead, Korean
first with English beside it (the sentences: hub_config/locale/ko/LC_MESSAGES/hub.po, tests/test_hub_language.py).
The login and spawn-pending pages keep JupyterHub's form, ids and scripts.

The configuration is checked against a bare traitlets Config, the login and spawn-pending pages rendered with
JupyterHub's own loader; the pages themselves on a real hub (`medai up`,
configurable-http-proxy, users' servers as their own Unix accounts) and, for the staff home page, in headless
chromium (Playwright, Debian's package), with a screenshot in $MEDAI_ARTIFACTS (default /tmp/medai-artifacts).
"""
from __future__ import annotations

import os
import re
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader
from jupyterhub._data import DATA_FILES_PATH
from markupsafe import escape
from traitlets.config import Config

from medai.hub.apply import (STAFF_NO_SERVER, TEMPLATES, apply_pages, first_use_passwords, formgrader_service,
                             hub_korean, page_role)
from tests.deployment import PASSWORD, logged_in

COURSE_ID = "medai101"
FORMGRADER = f"/services/formgrader-{COURSE_ID}/"
PROGRESS = "/services/progress/"
ARTIFACTS = Path(os.environ.get("MEDAI_ARTIFACTS") or "/tmp/medai-artifacts") / "hub-pages"
JUPYTERHUB_TEMPLATES = Path(DATA_FILES_PATH) / "templates"  # JupyterHub 6.1's own pages

KO = hub_korean(None)  # the pages' Korean: msgid -> hub.po's text
STAFF_SENTENCE = ("Program staff accounts have no notebook server. Students' progress and the reports (Excel, PDF,"
                  " CSV) are on the progress page.")

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="users' servers run as their own Unix accounts: needs root")


def says(page: str, msgid: str, **fields) -> bool:
    """The page shows the sentence in Korean (hub.po), the English right beside it (medai.html's say, lines, words
    and button)."""
    ko, en = (re.escape(str(escape(text.format(**fields)))) for text in (KO(msgid), msgid))
    return bool(re.search(rf'<span lang="ko">{ko}</span>\s*(<br>|/)\s*<span lang="en"[^>]*>{en}</span>', page))


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
    for name in ("home.html", "error.html", "not_running.html", "404.html", "login.html", "spawn_pending.html",
                 "page.html"):
        text = (TEMPLATES / name).read_text(encoding="utf-8")
        # each extends JupyterHub's own page of the same name (JupyterHub's loader prefix "templates/")
        assert f'{{% extends "templates/{name}" %}}' in text, name


def test_the_hub_config_gets_the_pages(course, roster, layout):
    from tests.test_hub_apply import applied as fully_applied

    c = fully_applied(course, roster, layout)
    assert c.JupyterHub.template_paths == [str(TEMPLATES)]
    assert c.JupyterHub.template_vars["medai_role"] is page_role


def test_template_vars_name_the_services_the_course_and_the_role_of_each_user(course):
    tv = applied(course).JupyterHub.template_vars
    assert tv["medai"] == {"progress": "progress", "formgrader": formgrader_service(course),
                           "contest": "contest",  # the course has contests: the home page's button
                           "staff_no_server": STAFF_NO_SERVER,
                           "course_title": course.course.title, "course_title_ko": course.course.title_ko,
                           "first_use_passwords": first_use_passwords}
    assert tv["ko"] is hub_korean and tv["ko"](None)("Sign in") == "로그인"  # called with the page's user too
    role = tv["medai_role"]
    assert role is page_role  # JupyterHub calls it with the page's current user
    assert role(user_in("staff")) == "staff"
    assert role(user_in("instructors")) == "instructor"
    assert role(user_in("students", "medicine")) == "student"
    assert role(None) == ""  # the login page: nobody yet
    assert applied(course.model_copy(update={"contests": []})).JupyterHub.template_vars["medai"]["contest"] == ""


def hub_env(*, ours: bool = True) -> Environment:
    """The loader JupyterHub 6.1 builds (app.py init_tornado_settings): ours first, its own under "templates/";
    ours=False: JupyterHub's pages alone, as a stock hub shows them."""
    base = JUPYTERHUB_TEMPLATES
    assert (base / "home.html").exists(), base
    return Environment(autoescape=True, loader=ChoiceLoader([
        PrefixLoader({"templates": FileSystemLoader([str(base)])}, "/"),
        FileSystemLoader([str(TEMPLATES), str(base)] if ours else [str(base)])]))


def test_every_template_compiles_with_jupyterhubs_own_loader():
    env = hub_env()
    for path in TEMPLATES.glob("*.html"):
        env.get_template(path.name)  # raises TemplateSyntaxError / TemplateNotFound


def render(course, name: str, *, user=None, ours: bool = True, **page) -> str:
    """A page as JupyterHub 6.1 renders it (BaseHandler.template_namespace, template_vars called with the user);
    ours=False: JupyterHub's own page, for comparison."""
    ns = dict(base_url="/hub/", prefix="/", user=user, login_url="/hub/login", login_service="",
              logout_url="/hub/logout", static_url=lambda path, include_version=True: f"/hub/static/{path}",
              version_hash="", services=[], parsed_scopes=set(), expanded_scopes=set(), xsrf="2|xsrf-token",
              xsrf_token="2|xsrf-token")
    ns.update({k: v(user) if callable(v) else v for k, v in applied(course).JupyterHub.template_vars.items()})
    ns.update(page)
    return hub_env(ours=ours).get_template(name).render(**ns)


def login_page(course, authenticator, **page) -> str:
    """What LoginHandler._render passes to login.html."""
    context = dict(next="", username="", login_error=None, authenticator_login_url="/hub/login?next=",
                   authenticator=authenticator, custom_html="")
    return render(course, "login.html", **{**context, **page})


class Elements(HTMLParser):
    """A page's form fields, buttons and ids (attributes a person reads left out), and its inline scripts."""

    READ = {"value", "title"}  # words on a button or field: ours are in both languages

    def __init__(self, page: str):
        super().__init__()
        self.fields, self.ids, self.scripts, self.xsrf = [], [], [], None
        self._script = None
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.append(a["id"])
        if tag in ("form", "input", "button", "label", "details", "progress"):
            self.fields.append((tag, tuple(sorted((k, v) for k, v in attrs if k not in self.READ))))
        if tag == "input" and a.get("name") == "_xsrf":
            self.xsrf = a.get("value")
        if tag == "script" and "src" not in a:
            self._script = []

    def handle_data(self, data):
        if self._script is not None:
            self._script.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.scripts.append(" ".join("".join(self._script).split()))
            self._script = None


def bare_titles(script: str) -> str:
    """JupyterHub's password toggle, less the titles it sets (ours: Korean / English)."""
    return re.sub(r'toggle\.setAttribute\("title",[^;]*;', "toggle.setAttribute(TITLE);", script)


@pytest.fixture
def first_use(tmp_path):
    from medai.hub.auth import ThreadedFirstUseAuthenticator

    return ThreadedFirstUseAuthenticator(dbm_path=str(tmp_path / "passwords.dbm"), check_passwords_on_startup=False,
                                         min_password_length=8)


def test_the_login_page_names_the_course_and_says_what_to_do(course, first_use):
    from jupyterhub.auth import Authenticator

    page = login_page(course, first_use)
    for text in (course.course.title_ko, course.course.title, "Log in with your university ID as the username."):
        assert escape(text) in page, text
    first_login = ("The first time you log in, the password you type becomes your password (at least {n} characters):"
                   " remember it, you will need it every time after.")
    for msgid in ("Log in with your university ID as the username.", first_login, "Sign in", "Username:", "Password:"):
        assert says(page, msgid, n=8), msgid  # Korean first, English beside it
    assert page.index(escape(course.course.title_ko)) < page.index(escape(course.course.title))
    # where each role lands (medai.hub.apply.landing_page): said on the page
    assert "Program staff land on the progress page" in page
    # another authenticator (the demo's shared password): no first-use sentence
    assert not says(login_page(course, Authenticator()), first_login, n=8)


def test_the_login_form_is_jupyterhubs_own(course, first_use):
    """The fields, ids, _xsrf and scripts JupyterHub (tests/hubclient.py, tests/browser.py and the browser) need."""
    ours, theirs = Elements(login_page(course, first_use)), Elements(login_page(course, first_use, ours=False))
    assert ours.fields == theirs.fields
    assert set(theirs.ids) <= set(ours.ids)
    for element in ("username_input", "password_input", "login_submit", "insecure-login-warning"):
        assert element in ours.ids
    assert ours.xsrf == theirs.xsrf == "2|xsrf-token"
    assert [bare_titles(s) for s in ours.scripts] == [bare_titles(s) for s in theirs.scripts]
    page = login_page(course, first_use)
    assert f'value="{escape(KO("Sign in"))} / Sign in"' in page  # the submit button's words


def test_a_wrong_password_is_said_in_both_languages(course, first_use):
    page = login_page(course, first_use, login_error="Invalid username or password", username="med1")
    assert says(page, "Invalid username or password")
    assert 'value="med1"' in page  # JupyterHub's username_input_attrs: the name stays filled in


def test_the_spawn_pending_page_keeps_jupyterhubs_progress_script(course):
    user = SimpleNamespace(name="med1", json_escaped_name="med1", url="/user/med1/", groups=[],
                           spawner=SimpleNamespace(options_form=None))
    progress = "/hub/api/users/med1/server/progress"
    ours = render(course, "spawn_pending.html", user=user, progress_url=progress)
    theirs = render(course, "spawn_pending.html", user=user, progress_url=progress, ours=False)
    assert re.search(r'new EventSource\("([^"]+)"\)', ours).group(1) == progress  # as tests/hubclient.py reads it
    mine, jupyterhubs = Elements(ours), Elements(theirs)
    assert mine.scripts == jupyterhubs.scripts
    assert mine.fields == jupyterhubs.fields and set(jupyterhubs.ids) <= set(mine.ids)
    for msgid in ("Your server is starting up.", "Stop Server", "Event log", "Home", "Logout"):
        assert says(ours, msgid), msgid  # the page's words and the navigation bar's (page.html)
    assert 'id="logout"' in ours and 'href="/hub/logout"' in ours


def home_page(course, *, role_group: str, active: bool) -> str:
    user = SimpleNamespace(name="med1", json_escaped_name="med1", url="/user/med1/",
                           groups=[SimpleNamespace(name=role_group)], spawner=SimpleNamespace(options_form=None))
    return render(course, "home.html", user=user, default_server=SimpleNamespace(active=active), url="/hub/user/med1/",
                  allow_named_servers=False, named_server_limit_per_user=0, invalid_server_names=[])


def test_a_students_home_names_the_course_says_what_to_do_and_keeps_jupyterhubs_buttons(course):
    stopped = home_page(course, role_group="students", active=False)
    assert stopped.index(escape(course.course.title_ko)) < stopped.index(escape(course.course.title))
    assert says(stopped, "You work in your own JupyterLab: open it with the button below. In it, My course lists "
                         "your assignments, deadlines, feedback and scores.")
    assert says(stopped, "Start My Server") and link(stopped, "start") == "/hub/user/med1/"
    assert 'id="stop"' not in stopped
    running = home_page(course, role_group="students", active=True)
    assert says(running, "Stop My Server") and says(running, "My Server") and 'id="stop"' in running  # home.js's ids
    instructor = home_page(course, role_group="instructors", active=True)
    assert says(instructor, "My Server") and 'id="medai-formgrader"' in instructor
    assert not says(instructor, "You work in your own JupyterLab: open it with the button below. In it, My course "
                                "lists your assignments, deadlines, feedback and scores.")  # students' words


@pytest.mark.parametrize("status, heading, sentence, jupyterhubs", [
    (500, "Something went wrong on the hub",
     "The hub could not finish this request. Wait a minute and try again; if it happens again, tell the"
     " course's instructor the time and the address of this page.", "Internal Server Error"),
    (502, "Something went wrong on the hub",
     "The hub could not finish this request. Wait a minute and try again; if it happens again, tell the"
     " course's instructor the time and the address of this page.", "Bad Gateway"),
    (400, "The hub could not accept this request",
     "Go back and try again from your own page; if it happens again, tell the course's instructor the time and the"
     " address of this page.", "Missing or invalid _xsrf"),
])
def test_any_other_error_says_what_happened_and_what_to_do_in_both_languages(course, status, heading, sentence,
                                                                             jupyterhubs):
    student = SimpleNamespace(name="med1", json_escaped_name="med1", url="/user/med1/",
                              groups=[SimpleNamespace(name="students")], spawner=SimpleNamespace(options_form=None))
    page = render(course, "error.html", user=student, status_code=status, status_message=jupyterhubs,
                  message=jupyterhubs, message_html="", extra_error_html="", exception=None)
    assert says(page, heading) and says(page, sentence)
    assert f"{status} : " in page
    assert f"<code>{escape(jupyterhubs)}</code>" in page  # JupyterHub's own words stay, as the detail to report
    assert link(page, "medai-my-server") == "/user/med1/"  # and where to go now
    anonymous = render(course, "error.html", user=None, status_code=status, status_message=jupyterhubs,
                       message="", message_html="", extra_error_html="", exception=None)
    assert says(anonymous, heading) and link(anonymous, "medai-login") == "/hub/login"


def test_a_404_for_a_page_that_does_not_exist_is_said_in_both_languages(course):
    page = render(course, "404.html", user=None, status_code=404, status_message="Not Found", message="",
                  message_html="", extra_error_html="", exception=None)
    assert says(page, "Page not found")
    assert says(page, "Nothing is at this address. Check the link, or go to your own page.")
    assert "lots of moons" not in page


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
    assert says(page, STAFF_SENTENCE)
    progress = link(page, "medai-progress")
    assert progress == PROGRESS
    assert staff.s.get(f"{hub.url}{progress}", timeout=60).status_code == 200  # it leads somewhere


@pytest.mark.slow
@needs_root
def test_students_and_staff_reach_the_contests_from_their_home_through_the_hubs_oauth(hub):
    for name in ("med1", "staff"):
        user = logged_in(hub, name)
        page = html(user.s.get(f"{hub.url}/hub/home", timeout=60))
        assert link(page, "medai-contest") == "/services/contest/"
        contests = user.s.get(f"{hub.url}/services/contest/c/mi-1y", timeout=60)
        assert contests.status_code == 200 and "공개 순위표" in contests.text, (name, contests.status_code)


@pytest.mark.slow
@needs_root
def test_staff_who_type_their_server_url_get_the_progress_page_not_a_launch_button(hub):
    staff = logged_in(hub, "staff")
    r = staff.s.get(f"{hub.url}/user/{staff.name}/lab", timeout=60)
    page = html(r)
    assert not offers_a_server(page), (r.status_code, r.url, page)
    assert says(page, STAFF_SENTENCE) and link(page, "medai-progress") == PROGRESS


@pytest.mark.slow
@needs_root
def test_a_students_home_still_starts_their_server(running_student):
    lab = running_student.server("GET", f"/user/{running_student.name}/lab")
    assert lab.status_code == 200 and "jupyter-config-data" in lab.text
    # the spawn-pending page's last line, as its EventSource reads it for a running server (the ready hook)
    xsrf = running_student.xsrf("/hub/")  # as JupyterHub puts it in the page's progress_url
    ready = running_student.follow_progress(f"/hub/api/users/{running_student.name}/server/progress?_xsrf={xsrf}", 60)
    assert ready["message"] == (f"내 서버가 준비되었습니다: /user/{running_student.name}/ · "
                                f"Your server is ready: /user/{running_student.name}/")


@pytest.mark.slow
@needs_root
def test_instructor_home_keeps_the_server_and_links_the_formgrader(hub):
    prof = logged_in(hub, "prof")
    page = html(prof.s.get(f"{hub.url}/hub/home", timeout=60))
    assert link(page, "start") == f"/hub/spawn/{prof.name}"
    assert link(page, "medai-formgrader") == FORMGRADER
    assert link(page, "medai-progress") == PROGRESS


# who, what they open, the sentence that says why (its msgid: Korean from hub.po, then English), and where to go
FORMGRADER_FOR_STUDENTS = ("The formgrader is for the course's instructors only. Your assignments are in your "
                           "JupyterLab, under Nbgrader → Assignment List.")
DENIED = {
    "staff-starts-a-server": ("staff", "/hub/spawn", STAFF_SENTENCE, "medai-progress"),
    "student-opens-another-students-server": (
        "med2", "/user/{med1}/lab",
        "You cannot open another student's server: every student can use only their own.", "medai-my-server"),
    "student-opens-the-formgrader": ("med2", FORMGRADER, FORMGRADER_FOR_STUDENTS, "medai-my-server"),
    "staff-open-a-students-server": (
        "staff", "/user/{med1}/lab",
        "Program staff cannot open students' servers. Each student's progress is on the progress page.",
        "medai-progress"),
    "staff-open-the-formgrader": (
        "staff", FORMGRADER, "The formgrader is for the course's instructors only. Program staff see scores and "
        "reports on the progress page.", "medai-progress"),
    "instructor-opens-a-students-server": (
        "prof", "/user/{med1}/lab",
        "Instructors cannot open students' servers either. Students' submissions are in the formgrader.",
        "medai-formgrader"),
}


@pytest.mark.slow
@needs_root
@pytest.mark.parametrize("case", list(DENIED))
def test_each_403_says_why_and_where_to_go(hub, running_student, case):
    who, path, msgid, go = DENIED[case]
    user = logged_in(hub, who)
    r = user.s.get(hub.url + path.format(med1=running_student.name), timeout=120)
    page = html(r)
    assert r.status_code == 403, (r.status_code, r.url)
    assert says(page, msgid), page  # Korean first, English beside it
    target = link(page, go)
    expected = {"medai-progress": PROGRESS, "medai-formgrader": FORMGRADER,
                "medai-my-server": f"/user/{user.name}/"}[go]
    assert target == expected
    assert not offers_a_server(page)


@pytest.mark.slow
@needs_root
def test_a_student_on_the_progress_page_is_refused_by_the_page_itself(hub):
    """Students hold access to the progress service (their My-course panel reads it: MY_COURSE_SCOPES), so the hub
    lets them through and the progress page answers the 403 itself, in its own words (medai.progress.staff_page);
    the hub's refusal page (error.html, case "progress") is for a user without those scopes."""
    student = logged_in(hub, "eng1")
    r = student.s.get(hub.url + PROGRESS, timeout=120)
    assert r.status_code == 403 and "medai-denied" not in html(r)
    assert not offers_a_server(html(r))


@pytest.mark.slow
@needs_root
def test_another_students_stopped_server_is_a_404_that_says_so(hub):
    """JupyterHub answers 404 (not 403) for someone else's server that is not running: it tells nobody who
    exists. The page says what that means."""
    student = logged_in(hub, "med2")
    r = student.s.get(f"{hub.url}/user/{hub.ids['eng1']}/lab", timeout=60)
    page = html(r)
    assert r.status_code == 404
    assert says(page, "This page does not exist, or it is someone else's server, which you cannot open.")
    assert link(page, "medai-my-server") == f"/user/{student.name}/"


@pytest.mark.slow
@needs_root
def test_staff_home_in_a_real_browser(hub, course):
    """Staff log in with the form (the login page: the course's name, JupyterHub's labels in both languages), land
    on the progress page, open the hub's home: no server button, a link to the progress page that works; a
    screenshot of each page for a person to look at."""
    from playwright.sync_api import expect

    from tests import browser as web

    assert web.chromium_available(), f"{web.CHROMIUM} missing: scripts/test.sh installs it (apt-get install chromium)"
    with web.Browser(hub.url, ARTIFACTS) as b:
        s = b.session("staff")
        page = s.page
        page.goto(f"{hub.url}/hub/login")
        expect(page.locator("#medai-course")).to_contain_text(course.course.title_ko)
        expect(page.locator("#login_submit")).to_have_value(f"{KO('Sign in')} / Sign in")
        expect(page.locator("label[for=username_input]")).to_contain_text(KO("Username:"))
        s.shot("login")
        s.login(hub.ids["staff"], PASSWORD)
        page.wait_for_url(re.compile(re.escape(PROGRESS)))  # the landing page for staff (medai.hub.apply)
        page.goto(f"{hub.url}/hub/home")
        go = page.locator("#medai-progress")
        expect(go).to_be_visible()
        s.shot("staff-home")
        assert page.locator("#start, #stop").count() == 0
        expect(page.get_by_text(re.compile("Start My Server|Launch Server"))).to_have_count(0)
        expect(page.locator(".medai-staff-home")).to_contain_text(KO(STAFF_SENTENCE))
        go.click()
        page.wait_for_url(re.compile(re.escape(PROGRESS)))
        # the progress page itself (in its viewer's language): it names the course, whichever language that is
        expect(page.locator("body")).to_contain_text(course.course.title_ko)
        page.goto(f"{hub.url}/hub/spawn")  # typed by hand, or an old bookmark: says why, and where to go
        expect(page.locator(".medai-denied")).to_contain_text(KO(STAFF_SENTENCE))
        expect(page.locator("#medai-progress")).to_be_visible()
        s.shot("staff-403-spawn")

        student = b.session("student")
        student.page.goto(f"{hub.url}/hub/login")
        student.login(hub.ids["eng1"], PASSWORD)
        student.page.goto(f"{hub.url}{FORMGRADER}")
        expect(student.page.locator(".medai-denied")).to_contain_text(KO(FORMGRADER_FOR_STUDENTS))
        student.shot("student-403-formgrader")
        # chromium logs the 403 answer itself as "Failed to load resource"; anything else is ours to fix
        assert not [e for e in b.errors if "responded with a status of 403" not in e], b.errors
