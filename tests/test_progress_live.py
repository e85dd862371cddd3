"""The staff progress page through a real hub: `medai up` starts it as the `progress` service (run by
medai-grader); staff and instructors reach it through the hub's OAuth, a student gets 403."""
from __future__ import annotations

import io
import os
import time

import pytest
from openpyxl import load_workbook

from medai.progress.reports.words import words
from tests.deployment import logged_in

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="the hub runs services as the grader's Unix account: needs root"),
]
PATH = "/services/progress/"


def open_page(user, hub, path: str = PATH, timeout: float = 90):
    """GET through the proxy, following the OAuth redirects; waits while the service is still starting."""
    deadline = time.monotonic() + timeout
    while True:
        r = user.s.get(f"{hub.url}{path}", timeout=120)
        if r.status_code not in (502, 503) or time.monotonic() > deadline:
            return r
        time.sleep(1)


@pytest.mark.parametrize("who", ["staff", "prof"])
def test_staff_and_instructors_get_the_progress_page(hub, who):
    user = logged_in(hub, who)
    r = open_page(user, hub)
    assert r.status_code == 200, (r.status_code, r.url, r.text[:500])
    assert r.url.rstrip("/").endswith(PATH.rstrip("/"))
    _ = words("ko").gettext  # the page is in Korean: its words from the reports' catalogue
    signed_in = _("medai · progress across the tracks · signed in as {name}").format(name=user.name)
    for text in ("의료인공지능 융합전공 실습", hub.ids["med1"], "김민준", "c02-diagnostic-metrics", signed_in):
        assert text in r.text, text
    # the service runs as medai-grader, which cannot read homes, and says so
    assert _("This service cannot read students' homes: fetched assignments show as released.") in r.text


def test_downloads_through_the_hub(hub):
    user = logged_in(hub, "staff")
    open_page(user, hub)
    r = user.s.get(f"{hub.url}{PATH}download/xlsx", timeout=120)
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.content))
    ids = [row[0].value for row in wb[wb.sheetnames[0]].iter_rows(min_row=2, max_row=3)]  # 요약 의학 트랙 (medicine)
    assert ids == [hub.ids["med1"], hub.ids["med2"]]


def test_a_student_gets_403(hub):
    student = logged_in(hub, "med1")
    r = open_page(student, hub)
    assert r.status_code == 403, (r.url, r.text[:300])
    assert student.s.get(f"{hub.url}{PATH}download/csv", timeout=60).status_code == 403


def test_the_instructors_view_through_the_hub_is_for_instructors_only(hub):
    prof = logged_in(hub, "prof")
    open_page(prof, hub)
    r = prof.s.get(f"{hub.url}{PATH}insight/", timeout=120)
    assert r.status_code == 200 and words("ko").gettext("Instructor's view") in r.text, r.text[:300]
    staff = logged_in(hub, "staff")
    open_page(staff, hub)
    assert staff.s.get(f"{hub.url}{PATH}insight/", timeout=60).status_code == 403  # course.yaml: items not shared
    student = logged_in(hub, "med1")
    open_page(student, hub)
    for path in ("insight/", "insight/c02-diagnostic-metrics", "insight/c02-diagnostic-metrics/download.xlsx"):
        assert student.s.get(f"{hub.url}{PATH}{path}", timeout=60).status_code == 403, path
