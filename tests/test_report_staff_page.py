"""The staff page's tornado app in-process, on a loopback port, with HubOAuth asked for a user model without a
hub (the real hub's OAuth is exercised by tests/test_progress_live.py)."""
from __future__ import annotations

import asyncio
import io
import socket
import threading

import pytest
import requests
from jupyterhub.services.auth import HubOAuth
from openpyxl import load_workbook
from tornado import ioloop

from medai.progress.staff_page.app import allowed, make_app
from tests import progress_fixture as pf

SCOPE = "access:services!service=progress"
USERS = {
    "staff1": {"name": "staff1", "kind": "user", "groups": ["staff"], "scopes": [SCOPE]},
    "prof1": {"name": "prof1", "kind": "user", "groups": ["instructors"], "scopes": [SCOPE]},
    "med1": {"name": "med1", "kind": "user", "groups": ["students", "medicine"], "scopes": ["access:servers!user=med1"]},
    # holds the scope by mistake (a misconfigured role) but is neither staff nor instructor
    "eng1": {"name": "eng1", "kind": "user", "groups": ["students", "engineering"], "scopes": [SCOPE]},
}


class HeaderHubOAuth(HubOAuth):
    """HubOAuth whose user comes from a request header instead of the hub's API."""

    def get_user(self, handler, **kwargs):
        return USERS.get(handler.request.headers.get("X-Test-User", ""))


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    fx = pf.build(tmp_path_factory.mktemp("page"))
    auth = HeaderHubOAuth(api_token="t" * 32, api_url="http://127.0.0.1:9/hub/api", base_url="/services/progress/",
                          oauth_client_id="service-progress", access_scopes={SCOPE})
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    started, loops = threading.Event(), []

    def run():
        asyncio.set_event_loop(asyncio.new_event_loop())
        make_app(course_path=str(fx.course_file), layout=fx.layout, hub_auth=auth,
                 as_of=pf.AS_OF).listen(port, address="127.0.0.1")
        loops.append(ioloop.IOLoop.current())
        started.set()
        loops[0].start()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    started.wait(10)
    yield f"http://127.0.0.1:{port}/services/progress/"
    loops[0].add_callback(loops[0].stop)
    thread.join(10)


def get(base: str, path: str = "", user: str | None = None, **params) -> requests.Response:
    return requests.get(base + path, params=params, headers={"X-Test-User": user} if user else {},
                        allow_redirects=False, timeout=60)


@pytest.mark.parametrize("user", ["staff1", "prof1"])
def test_staff_and_instructors_see_the_cohort_table(page, user):
    r = get(page, user=user)
    assert r.status_code == 200
    for text in ("의료인공지능 융합전공 실습", "med1", "김민준", "3 assignments past due and not submitted",
                 "download/xlsx", "download/pdf", "download/csv", "plot/scores.png", f"signed in as {user}"):
        assert text in r.text, text


@pytest.mark.parametrize("user", ["med1", "eng1"])
def test_students_get_403(page, user):
    for path in ("", "student/med1", "plot/scores.png", "download/xlsx"):
        assert get(page, path, user=user).status_code == 403, path


def test_anonymous_visitors_are_sent_to_the_hub_to_sign_in(page):
    r = get(page)
    assert r.status_code == 302
    assert r.headers["Location"].startswith("/hub/api/oauth2/authorize?client_id=service-progress")


def test_filters_narrow_the_table(page):
    r = get(page, user="staff1", track="engineering", at_risk="1")
    assert "eng1" in r.text and "eng2" in r.text and "김민준" not in r.text
    assert "Students (2 of 5)" in r.text


def test_a_students_own_view(page):
    r = get(page, "student/med1", user="staff1")
    assert r.status_code == 200
    assert "scores falling: 90 → 64 → 50" in r.text and "2d −20%" in r.text and "64.0" in r.text
    assert get(page, "student/nobody", user="staff1").status_code == 404


def test_plots_and_downloads(page):
    r = get(page, "plot/competencies.png", user="staff1")
    assert r.status_code == 200 and r.headers["Content-Type"] == "image/png" and r.content[:4] == b"\x89PNG"
    r = get(page, "download/xlsx", user="staff1", track="medicine")
    assert r.status_code == 200 and 'filename="medai101-progress-medicine-' in r.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames[0] == "Summary medicine"
    r = get(page, "download/pdf", user="prof1")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    r = get(page, "download/csv-students", user="staff1")
    assert r.content.startswith(b"\xef\xbb\xbfstudent,name")
    r = get(page, "download/canvas", user="staff1")
    assert r.text.splitlines()[1].startswith("    Points Possible")
    assert get(page, "download/docx", user="staff1").status_code == 404


def test_allowed_groups():
    assert allowed(USERS["staff1"]) and allowed(USERS["prof1"])
    assert not allowed(USERS["med1"]) and not allowed(None)
    assert not allowed({"name": "progress", "kind": "service", "groups": ["staff"]})
