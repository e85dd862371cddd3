"""The My-course panel's back end on a real hub (`medai up`): each student's server answers their own course,
the progress service answers a student's own hub token for them only (403 for anyone else's id), and
instructors have no panel. The panel itself, in chromium, is tests/test_my_course_browser.py."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import requests

from medai.course import load_course
from tests.conftest import COURSE_YAML
from tests.deployment import logged_in, running

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="users' servers run as their own Unix accounts: needs root"),
]


@pytest.fixture(scope="module")
def hub():
    with running() as d:
        yield d


def course_rows(payload: dict) -> list[str]:
    return [r["id"] for r in payload["assignments"]]


def own_token(user) -> str:
    """A token of the user's own, made through the hub's API with their login (as the hub's token page does)."""
    r = user.api("POST", f"/users/{user.name}/tokens", json={"note": "test", "expires_in": 600})
    assert r.status_code == 201, r.text
    return r.json()["token"]


def test_each_student_reads_their_own_course_from_their_server(hub):
    course = load_course(COURSE_YAML)
    tracks = {}
    for key, track in (("med1", "medicine"), ("eng1", "engineering")):
        user = logged_in(hub, key)
        user.spawn()
        r = user.server("GET", f"/user/{user.name}/medai/my-course")
        assert r.status_code == 200, r.text[:500]
        payload = r.json()
        assert payload["student"]["id"] == user.name and payload["student"]["track"] == track
        assert course_rows(payload) == [a.id for a in course.assignments_for_track(track)]
        assert all(row["local"]["status"] in ("released", None) for row in payload["assignments"])
        assert payload["course"]["timezone"] == "Asia/Seoul" and payload["now"].endswith("+09:00")
        tracks[track] = set(course_rows(payload))
    common = {a.id for a in course.assignments if "common" in a.tracks}
    assert tracks["medicine"] & tracks["engineering"] == common  # neither sees the other track's work


def test_the_service_answers_a_student_for_themselves_only(hub):
    med1, med2 = logged_in(hub, "med1"), logged_in(hub, "med2")
    token = own_token(med1)
    api = f"{hub.url}/services/progress/api/students"

    def get(student: str) -> requests.Response:
        return requests.get(f"{api}/{student}/my-course", headers={"Authorization": f"token {token}"}, timeout=60)

    assert get(med1.name).status_code == 200 and get(med1.name).json()["student"]["id"] == med1.name
    theirs = get(med2.name)
    assert theirs.status_code == 403, theirs.text
    assert "own course only" in theirs.json()["message"] and "assignments" not in theirs.json()
    assert requests.get(f"{api}/{med2.name}/my-course", timeout=60).status_code == 403  # no token at all
    # and the staff page stays closed to the same token
    assert requests.get(f"{hub.url}/services/progress/", headers={"Authorization": f"token {token}"},
                        timeout=60, allow_redirects=False).status_code == 403


def test_instructors_have_no_panel(hub):
    prof = logged_in(hub, "prof")
    prof.spawn()
    assert prof.server("GET", f"/user/{prof.name}/medai/my-course").status_code == 404
    page = json.loads((hub.root / "etc" / "instructor" / "labconfig" / "page_config.json").read_text())
    assert page["disabledExtensions"]["@medai/my-course"] is True


def test_the_lab_extension_is_installed_and_enabled_for_students(hub):
    venv = os.path.dirname(sys.executable)  # the tests run from the installed environment
    env = {**os.environ, "JUPYTER_CONFIG_PATH": str(hub.root / "etc" / "student")}
    out = subprocess.run([f"{venv}/jupyter", "labextension", "list"], capture_output=True, text=True, env=env)
    listing = out.stdout + out.stderr
    line = next((ln for ln in listing.splitlines() if "@medai/my-course" in ln), "")
    assert "enabled" in line and "OK" in line, listing
