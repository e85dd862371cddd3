"""The LMS launches medai (LTI 1.3) into a real hub, and the grade goes back: a real platform on 127.0.0.1
(OpenLearning's lti1p3platform, tests/lti_platform.py), `medai up` with MEDAI_AUTH=lti13
(jupyterhub-ltiauthenticator + medai.hub.lti), and Debian's chromium.

The student follows the LMS's link: OIDC login initiation at the hub, the platform's authorization, the
id_token posted back and checked against the platform's JWKS, the hub logs them in as their roster id and opens
JupyterLab; the launch's `sub`, deployment and endpoints are in their (encrypted) auth_state. A resource link
for one assignment (custom parameter `assignment`) opens My course on that assignment's row; one naming an
assignment that is not theirs says so in the panel; My course lists the course's open contest. They fetch and
submit; `medai grade` pushes the score: PendingManual while the written answer waits, FullyGraded after the
hand grade, the stored score (late penalty included) on the assignment's points, one line item however often
it syncs. A stranger's launch gets a page saying they are not on the roster; forged, mis-addressed, expired and
replayed id_tokens are refused.
"""
from __future__ import annotations

import base64
import json
import os
import sqlite3
import time
from datetime import datetime, timezone
from html.parser import HTMLParser
from pathlib import Path

import jwt
import nbformat
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from playwright.sync_api import expect

from medai.course import load_course
from medai.lms.text import prefixed
from tests import browser as web
from tests.conftest import COURSE_YAML
from tests.deployment import Deployment
from tests.lti_platform import LmsPlatform, Member

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="users' servers run as their own Unix accounts: needs root"),
]
ASSIGNMENT, NOTEBOOK = "c02-diagnostic-metrics", "diagnostic-metrics"
OTHER_TRACK = "e01-neural-networks"  # an engineering assignment: not the medicine student's
ARTIFACTS = Path(os.environ.get("MEDAI_ARTIFACTS") or "/tmp/medai-artifacts/browser") / "lms"


@pytest.fixture(scope="module")
def lms():
    assert web.chromium_available(), f"{web.CHROMIUM} missing: scripts/test.sh installs it (apt-get install chromium)"
    platform = LmsPlatform().start()
    env = {"MEDAI_AUTH": "lti13", "MEDAI_LTI_ISSUER": platform.issuer, "MEDAI_LTI_CLIENT_ID": platform.client_id,
           "MEDAI_LTI_DEPLOYMENT_ID": platform.deployment_id, "MEDAI_LTI_AUTH_URL": platform.auth_url,
           "MEDAI_LTI_JWKS_URL": platform.jwks_url, "MEDAI_LTI_TOKEN_URL": platform.token_url,
           "MEDAI_LTI_LINEITEMS_URL": platform.lineitems_url, "MEDAI_LTI_MEMBERSHIPS_URL": platform.memberships_url}
    hub = Deployment(env)
    platform.tool_login_url = f"{hub.url}/hub/lti13/oauth_login"
    platform.tool_launch_url = f"{hub.url}/hub/user-redirect/lab"
    platform.tool_jwks_url = f"{hub.url}/hub/lti13/jwks"  # the platform reads medai's keys from the hub
    ids = hub.ids
    platform.links = {"rl-c02": {"assignment": ASSIGNMENT}, "rl-eng": {"assignment": OTHER_TRACK}}
    platform.members = [
        Member("lms-u-med1", "김민준", f"{ids['med1']}@medai.example.ac.kr", ["Learner"]),
        Member("lms-u-prof", "윤지원", f"{ids['prof']}@medai.example.ac.kr", ["Instructor"]),
        Member("lms-u-guest", "Guest", "guest@elsewhere.example", ["Learner"]),
    ]
    try:
        hub.medai("roster", "import", str(hub.roster_csv()))
        hub.medai("lms", "keys")  # before the hub starts: its lms-sync service signs with it from the first round
        hub.start(timeout=300)  # seven services start one after another: slow on a loaded 2-core machine
        hub.medai("release", ASSIGNMENT)
        yield platform, hub
    finally:
        hub.cleanup()
        platform.stop()


class _Form(HTMLParser):
    def __init__(self):
        super().__init__()
        self.action, self.fields = "", {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.action = a.get("action", "")
        if tag == "input":
            self.fields[a.get("name")] = a.get("value")


def begin(platform: LmsPlatform, user: str) -> tuple[requests.Session, str, dict]:
    """A launch up to the id_token: (the browser's cookies, the hub's callback URL, the form the platform
    would post), the tool's state and nonce cookies set as a browser would hold them."""
    s = requests.Session()
    r = s.get(platform.launch_url(user), timeout=30)  # platform -> hub login init -> platform authorize
    assert r.status_code == 200, (r.status_code, r.text[:300])
    form = _Form()
    form.feed(r.text)
    assert form.action.endswith("/hub/lti13/oauth_callback") and form.fields["id_token"]
    return s, form.action, form.fields


def post(s: requests.Session, url: str, fields: dict) -> requests.Response:
    return s.post(url, data=fields, allow_redirects=False, timeout=30)


def auth_state(hub, name: str) -> dict:
    """The user's auth_state as JupyterHub keeps it (encrypted with medai's key in <root>/hub/lms/)."""
    from cryptography.fernet import Fernet  # JupyterHub's CryptKeeper: Fernet over each 32-byte key

    key = bytes.fromhex((hub.root / "hub" / "lms" / "auth-state-key").read_text().strip())
    with sqlite3.connect(hub.root / "hub" / "jupyterhub.sqlite") as db:
        (blob,) = db.execute("SELECT encrypted_auth_state FROM users WHERE name = ?", (name,)).fetchone()
    return json.loads(Fernet(base64.urlsafe_b64encode(key)).decrypt(blob).decode())


def test_forged_misaddressed_expired_and_replayed_launches_are_refused(lms):
    platform, hub = lms
    s, url, fields = begin(platform, "lms-u-med1")
    claims = platform.launches[-1]
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    kid = jwt.get_unverified_header(fields["id_token"])["kid"]
    forged = jwt.encode(claims, stranger, algorithm="RS256", headers={"kid": kid})
    assert post(s, url, {**fields, "id_token": forged}).status_code in (400, 401)

    s, url, fields = begin(platform, "lms-u-med1")
    other_tool = platform.sign({**platform.launches[-1], "aud": "another-tool", "azp": "another-tool"})
    assert post(s, url, {**fields, "id_token": other_tool}).status_code == 401

    s, url, fields = begin(platform, "lms-u-med1")
    old = int(time.time()) - 7200
    expired = platform.sign({**platform.launches[-1], "iat": old, "exp": old + 300})
    assert post(s, url, {**fields, "id_token": expired}).status_code == 400

    s, url, fields = begin(platform, "lms-u-med1")
    cookies = s.cookies.copy()
    genuine = post(s, url, fields)
    assert genuine.status_code == 302, genuine.text[:300]  # the real launch goes through
    replay = requests.Session()
    replay.cookies.update(cookies)  # the same id_token with the cookies it came with, captured
    r = post(replay, url, fields)
    assert r.status_code == 403 and 'data-medai-case="lms"' in r.text

    state = auth_state(hub, hub.ids["med1"])
    assert state["sub"] == "lms-u-med1" and state["iss"] == platform.issuer
    assert state["deployment_id"] == platform.deployment_id and state["lineitems"] == platform.lineitems_url
    assert state["memberships_url"] == platform.memberships_url


def test_the_tool_publishes_its_keys(lms):
    platform, hub = lms
    keys = requests.get(f"{hub.url}/hub/lti13/jwks", timeout=30).json()["keys"]
    assert [k["kty"] for k in keys] == ["RSA"] and "d" not in keys[0]


def test_a_launch_into_jupyterlab_and_the_grade_back(lms):
    platform, hub = lms
    with web.Browser(hub.url, ARTIFACTS) as browser:
        guest = browser.session("guest")
        guest.page.goto(platform.launch_url("lms-u-guest"))
        refused = guest.page.locator('[data-medai-case="lms-roster"]')
        expect(refused).to_contain_text("guest@elsewhere.example")
        expect(refused).to_contain_text("명단에 없어")  # Korean first
        expect(refused).to_contain_text("is not on this course's roster")  # English beside it
        guest.shot("lms-stranger-refused")

        s = browser.session("medicine")
        page = s.page
        page.goto(platform.launch_url("lms-u-med1"))
        web.wait_for_lab(page)
        assert f"/user/{hub.ids['med1']}/lab" in page.url
        s.shot("lms-launched-into-lab")
        contests = page.locator('.medai-MyCourse [data-section="contests"]')  # through the student's own server
        mi = load_course(COURSE_YAML).contest("mi-1y")
        phase = next((ph for ph in mi.phases if ph.starts <= datetime.now(timezone.utc) < ph.ends), None)
        if phase is None:  # the shipped contest takes no submissions today: nothing to list
            expect(contests).to_be_hidden()
        else:
            contest = contests.locator(f'[data-contest="{mi.id}"]')
            expect(contest).to_contain_text(mi.title_ko)
            expect(contest.locator(f'[data-phase="{phase.id}"]')).to_contain_text(phase.title_ko)
            expect(contest.locator("[data-team]")).to_contain_text("경진대회 페이지")  # no team yet: where to form one
            expect(contest.locator('[data-action="contest-submit"]')).to_be_disabled()

        page.goto(platform.launch_url("lms-u-med1", resource_link="rl-c02"))  # the LMS's link to c02
        web.wait_for_lab(page)
        target = page.locator(f'.medai-MyCourse-row[data-assignment="{ASSIGNMENT}"]')
        expect(target).to_have_attribute("data-target", "true")
        expect(target).to_be_in_viewport()
        expect(page.locator(".medai-MyCourse-row[data-target]")).to_have_count(1)
        expect(page.locator("[data-target-missing]")).to_have_count(0)
        s.shot("lms-link-to-an-assignment")

        page.goto(platform.launch_url("lms-u-med1", resource_link="rl-eng"))  # another track's assignment
        web.wait_for_lab(page)
        missing = page.locator(f'.medai-MyCourse [data-target-missing="{OTHER_TRACK}"]')
        expect(missing).to_contain_text(OTHER_TRACK)
        expect(missing).to_contain_text("내 과제가 아닙니다")
        expect(page.locator(".medai-MyCourse-row[data-target]")).to_have_count(0)
        s.shot("lms-link-to-another-track")
        web.open_assignments(page)
        web.fetch(page, ASSIGNMENT)
        released = hub.root / "exchange" / "medai101" / "outbound" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
        cells = nbformat.read(released, as_version=4).cells
        panel = web.open_notebook(page, ASSIGNMENT, NOTEBOOK)
        written = next(i for i, c in enumerate(cells) if c.source.strip() == "YOUR ANSWER HERE")
        web.markdown_answer(web.cell(panel, written), "A positive screen is a reason for a biopsy, not a diagnosis.")
        web.save(page)
        expect(web.submit(page, ASSIGNMENT)).to_contain_text("Fetch Feedback")
        assert s.errors == []
        # the refusal itself is the one thing the stranger's console shows (a 403 page)
        assert [e for e in guest.errors if "oauth_callback" not in e or "403" not in e] == []

    out = hub.medai("grade", ASSIGNMENT, "--quiet").stdout
    # the push after grading, each line saying it is the LMS's (in the hub's language: medai.lms.text.prefixed)
    assert any(prefixed([""], lang)[0] in out for lang in ("ko", "en")), out
    cell = platform.score(ASSIGNMENT, "lms-u-med1")
    assert cell["gradingProgress"] == "PendingManual" and cell["activityProgress"] == "Submitted", (cell, out)

    from medai.privileges import run_as_owner_of

    points = next(a.points for a in load_course(COURSE_YAML).assignments if a.id == ASSIGNMENT)
    final = run_as_owner_of(hub.root / "course", _grade_by_hand, f"sqlite:///{hub.root / 'course' / 'gradebook.db'}",
                            hub.ids["med1"])
    for _ in range(2):  # the second sync duplicates nothing
        synced = hub.medai("lms", "sync", ASSIGNMENT)
        assert synced.returncode == 0, synced.stdout
    cell = platform.score(ASSIGNMENT, "lms-u-med1")  # asserts a single line item for the assignment
    assert (cell["gradingProgress"], cell["activityProgress"]) == ("FullyGraded", "Completed")
    assert cell["scoreGiven"] == pytest.approx(final * points, abs=1e-3) and cell["scoreMaximum"] == points
    assert len([i for i in platform.gradebook.items.values() if i["resourceId"] == ASSIGNMENT]) == 1


def _grade_by_hand(url: str, student: str) -> float:
    """The instructor's hand grade as the formgrader saves it (medai.grader.formgrader_scores.StoringGradeHandler:
    the grade, then the late penalty stored again on the new total): every written answer gets full marks.
    Returns the stored score after the late penalty as a fraction of the maximum."""
    from nbgrader.api import Gradebook

    from medai.nbgrader_adapter.late_penalty import store_late_penalty, stored_penalties

    course = load_course(COURSE_YAML)
    with Gradebook(url) as gb:
        sub = gb.find_submission(ASSIGNMENT, student)
        for nb in sub.notebooks:
            for g in nb.grades:
                if g.needs_manual_grade:
                    g.manual_score, g.needs_manual_grade = g.max_score, False
        gb.db.commit()
        store_late_penalty(gb, course, assignment_id=ASSIGNMENT, student_id=student)
        gb.db.expire_all()
        sub = gb.find_submission(ASSIGNMENT, student)
        penalty = stored_penalties(gb, assignment_id=ASSIGNMENT).get((student, ASSIGNMENT), 0.0)
        assert penalty > 0  # submitted months after the deadline: the late policy takes its share
        return (sub.score - penalty) / sub.max_score
