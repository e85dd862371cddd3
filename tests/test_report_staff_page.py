"""The staff page's tornado app in-process, on a loopback port, with HubOAuth asked for a user model without a
hub (the real hub's OAuth is exercised by tests/test_progress_live.py)."""
from __future__ import annotations

import contextlib
import html
import io
import re
from urllib.parse import urljoin

import pytest
import requests
from jupyterhub.services.auth import HubOAuth
from openpyxl import load_workbook

from medai.progress.reports.words import words
from medai.progress.staff_page.app import allowed, make_app
from medai.course import load_course
from tests import progress_fixture as pf
from tests.conftest import COURSE_YAML
from tests.loopback import serving_app

SCOPE = "access:services!service=progress"
USERS = {
    "staff1": {"name": "staff1", "kind": "user", "groups": ["staff"], "scopes": [SCOPE]},
    "prof1": {"name": "prof1", "kind": "user", "groups": ["instructors"], "scopes": [SCOPE]},
    "med1": {"name": "med1", "kind": "user", "groups": ["students", "medicine"], "scopes": ["access:servers!user=med1"]},
    # holds the scope by mistake (a misconfigured role) but is neither staff nor instructor
    "eng1": {"name": "eng1", "kind": "user", "groups": ["students", "engineering"], "scopes": [SCOPE]},
}


class HeaderHubOAuth(HubOAuth):
    """HubOAuth whose user comes from a request header (looked up in `users`) instead of the hub's API."""

    users: dict = USERS

    def get_user(self, handler, **kwargs):
        return self.users.get(handler.request.headers.get("X-Test-User", ""))


@contextlib.contextmanager
def serving(fx, users: dict = USERS, **app_kw):
    """The progress service's app for fixture `fx` on a loopback port, in a thread; yields its prefix URL."""
    auth = HeaderHubOAuth(api_token="t" * 32, api_url="http://127.0.0.1:9/hub/api", base_url="/services/progress/",
                          oauth_client_id="service-progress", access_scopes={SCOPE})
    auth.users = users
    with serving_app(lambda port: make_app(course_path=str(fx.course_file), layout=fx.layout, hub_auth=auth,
                                           as_of=pf.AS_OF, **app_kw)) as port:
        yield f"http://127.0.0.1:{port}/services/progress/"


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    with serving(pf.build(tmp_path_factory.mktemp("page"))) as base:
        yield base


def get(base: str, path: str = "", user: str | None = None, **params) -> requests.Response:
    return requests.get(base + path, params=params, headers={"X-Test-User": user} if user else {},
                        allow_redirects=False, timeout=60)


@pytest.mark.parametrize("user", ["staff1", "prof1"])
def test_staff_and_instructors_see_the_cohort_table(page, user):
    r = get(page, user=user, lang="en")
    assert r.status_code == 200
    for text in ("Medical AI Convergence Major: Practicum", "med1", "김민준", "3 assignments past due and not submitted",
                 "download/xlsx?lang=en", "download/pdf?lang=en", "download/csv?lang=en", "plot/scores.png?lang=en",
                 f"signed in as {user}", "as of 2026-10-01 12:00 (Asia/Seoul)", '<html lang="en">'):
        assert text in r.text, text
    assert "의료인공지능 융합전공 실습" not in r.text  # the course's English title in English


def test_the_page_speaks_korean_by_default(page):
    ko = words("ko")
    _ = ko.gettext
    r = get(page, user="staff1")
    assert r.status_code == 200 and '<html lang="ko">' in r.text
    for text in ("의료인공지능 융합전공 실습 · 진도 현황", "2026년 10월 1일 12:00 기준", "위험 학생만",
                 "마감이 지났는데 제출하지 않은 과제 3개: a1, a2, a3", "과제 a1", "2026년 9월 14일 23:59",
                 ko.state("late"), ko.state("needs_manual_grading"), "의학 트랙 (medicine)",
                 _("medai · progress across the tracks · signed in as {name}").format(name="staff1"),
                 _("Students ({n} of {total})").format(n=5, total=5), "CSV (상세)", "Canvas 성적"):
        assert html.escape(text, quote=False) in r.text, text
    for english in ("at risk only", "past due and not submitted", "Students (", "as of 2026", "Assignment A1"):
        assert english not in r.text, english
    # Canvas and Moodle import English column names: their files are never translated
    canvas = get(page, "download/canvas", user="staff1")
    assert canvas.text.startswith("Student,ID,SIS User ID,SIS Login ID,Section,Assignment A1")


def test_the_language_switch_keeps_the_filters_and_carries_into_every_link(page):
    r = get(page, user="staff1", track="engineering", at_risk="1")
    switch = re.search(r'<nav class="lang"[^>]*>(.*?)</nav>', r.text, re.S).group(1)
    links = dict((name, href) for href, name in re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', switch))
    assert set(links) == {"한국어", "English"}
    english = html.unescape(links["English"])
    assert "lang=en" in english and "track=engineering" in english and "at_risk=1" in english
    r = requests.get(urljoin(page, english), headers={"X-Test-User": "staff1"}, timeout=60)
    assert "Students (2 of 5)" in r.text and 'name="lang" value="en"' in r.text  # the filter form keeps it too
    for link in re.findall(r'(?:href|src)="([^"]*(?:download|plot|student)/[^"]*)"', r.text):
        assert "lang=en" in html.unescape(link), link
    r = get(page, "student/med1", user="staff1", lang="en")
    switch = re.search(r'<nav class="lang"[^>]*>(.*?)</nav>', r.text, re.S).group(1)
    assert "student/med1?lang=ko" in switch and "student/med1?lang=en" in switch


def test_downloads_and_plots_follow_the_pages_language(page):
    for lang in ("ko", "en"):
        w = words(lang)
        r = get(page, "download/xlsx", user="staff1", track="medicine", lang=lang)
        wb = load_workbook(io.BytesIO(r.content))
        medicine = next(t for t in load_course(COURSE_YAML).tracks if t.id == "medicine")
        assert wb.sheetnames[0] == w.gettext("Summary {track}").format(track=w.title(medicine))
        assert wb[w.gettext("Details")].cell(1, 1).value == w.gettext("Student")
    ko_png = get(page, "plot/scores.png", user="staff1").content
    en_png = get(page, "plot/scores.png", user="staff1", lang="en").content
    assert ko_png[:4] == en_png[:4] == b"\x89PNG" and ko_png != en_png
    r = get(page, "download/csv", user="staff1", lang="ko")
    assert r.content.startswith(b"\xef\xbb\xbfstudent,name,track")  # CSV: stable names in every language


@pytest.mark.parametrize("user", ["med1", "eng1"])
def test_students_get_403(page, user):
    for path in ("", "student/med1", "plot/scores.png", "download/xlsx"):
        assert get(page, path, user=user).status_code == 403, path
    assert "진도 페이지" in get(page, user=user).text  # the error page in Korean too
    if user == "eng1":  # holds the scope, so this page (not the hub) tells a student where their course is
        assert "교수자용" in get(page, user=user).text and "내 강좌(My course)" in get(page, user=user).text
        assert "for program staff and instructors" in get(page, user=user, lang="en").text


def test_anonymous_visitors_are_sent_to_the_hub_to_sign_in(page):
    r = get(page)
    assert r.status_code == 302
    assert r.headers["Location"].startswith("/hub/api/oauth2/authorize?client_id=service-progress")


def test_filters_narrow_the_table(page):
    r = get(page, user="staff1", track="engineering", at_risk="1", lang="en")
    assert "eng1" in r.text and "eng2" in r.text and "김민준" not in r.text
    assert "Students (2 of 5)" in r.text


def test_a_students_own_view(page):
    r = get(page, "student/med1", user="staff1", lang="en")
    assert r.status_code == 200
    assert "scores falling: 90 → 64 → 50" in r.text and "2d −20%" in r.text and "64.0" in r.text
    assert "Diagnostic test evaluation" in r.text and "2026-09-14 23:59" in r.text
    r = get(page, "student/med1", user="staff1")
    for text in ("점수 하락: 90 → 64 → 50 (과제당 -20점)", "2일 −20%", "진단검사 정확도 평가", "2026년 9월 14일 23:59",
                 "2026년 9월 23일 10:00", words("ko").level("developing"), words("ko").state("graded"), "과제 a2"):
        assert text in r.text, text
    assert "Diagnostic test evaluation" not in r.text
    assert get(page, "student/nobody", user="staff1").status_code == 404


def test_plots_and_downloads(page, tmp_path):
    r = get(page, "plot/competencies.png", user="staff1")
    assert r.status_code == 200 and r.headers["Content-Type"] == "image/png" and r.content[:4] == b"\x89PNG"
    r = get(page, "download/xlsx", user="staff1", track="medicine", lang="en")
    assert r.status_code == 200 and 'filename="medai101-progress-medicine-' in r.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames[0] == "Summary Medicine track"
    r = get(page, "download/pdf", user="prof1")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    import subprocess

    (tmp_path / "page.pdf").write_bytes(r.content)  # the page's default: Korean, Hangul in the text layer
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "page.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    for korean in ("의료인공지능 융합전공 실습", "과제 a1", words("ko").state("graded")):
        assert korean in text, korean
    r = get(page, "download/csv-students", user="staff1")
    assert r.content.startswith(b"\xef\xbb\xbfstudent,name")
    r = get(page, "download/canvas", user="staff1")
    assert r.text.splitlines()[1].startswith("    Points Possible")
    assert get(page, "download/docx", user="staff1").status_code == 404


def test_allowed_groups():
    assert allowed(USERS["staff1"]) and allowed(USERS["prof1"])
    assert not allowed(USERS["med1"]) and not allowed(None)
    assert not allowed({"name": "progress", "kind": "service", "groups": ["staff"]})
