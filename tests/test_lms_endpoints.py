"""`medai lms sync` and the roster import find the course's AGS line items and NRPS members where the LMS said they
are: the endpoints of its newest launch (recorded by the hub's authenticator in medai.lti_store), else the
settings; the report says which. Against a real LTI 1.3 platform on 127.0.0.1 (tests/lti_platform.py): the
launch is the platform's own (OIDC login initiation, then its signed id_token), read by medai's authenticator."""
from __future__ import annotations

import asyncio
import json
import re
from html import unescape
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
import requests

from medai.errors import UserError
from medai.hub.lti import MedaiLTI13Authenticator
from medai.lms.service import make_keys, members, sync
from medai.lti_store import Launch, newest, record, store_path
from medai.settings import Settings
from tests import progress_fixture as pf
from tests.lti_platform import LmsPlatform, Member

STUDENTS = ("med1", "med2", "med3", "eng1", "eng2")
UID = {s: f"lms-{n:04d}" for n, s in enumerate(STUDENTS, start=1001)}
TOOL = "http://127.0.0.1:9"  # the tool's URLs the platform redirects to; the test plays the browser


def _settings(fx, platform, **urls) -> Settings:
    return Settings.validated({"root": fx.layout.root, "course_file": fx.course_file, "lti_issuer": platform.issuer,
                               "lti_client_id": platform.client_id, "lti_deployment_id": platform.deployment_id,
                               "lti_token_url": platform.token_url, "lang": "en", **urls})


@pytest.fixture
def lms(tmp_path):
    fx = pf.build(tmp_path)
    platform = LmsPlatform().start()
    platform.members = [Member(UID[s], s, f"{s}@medai.example.ac.kr", ["Learner"]) for s in STUDENTS]
    platform.tool_login_url, platform.tool_launch_url = f"{TOOL}/hub/lti13/oauth_login", f"{TOOL}/hub/lti13/callback"
    yield fx, platform
    platform.stop()


def _keys(s: Settings, platform: LmsPlatform) -> None:
    _, published = make_keys(settings=s)
    platform.tool_jwks = json.loads(published.read_text())


def launch(platform: LmsPlatform, s: Settings, user: str = UID["med1"]) -> dict:
    """One real launch of `user`: the platform's login initiation, its authorization answer (the auto-posting form
    with the signed id_token), checked against its keys and handed to medai's authenticator as the hub does."""
    start = requests.get(platform.launch_url(user), allow_redirects=False, timeout=10)
    login = {k: v[0] for k, v in parse_qs(urlparse(start.headers["Location"]).query).items()}
    answer = requests.get(platform.auth_url, timeout=10, params={
        "scope": "openid", "response_type": "id_token", "response_mode": "form_post", "prompt": "none",
        "client_id": platform.client_id, "redirect_uri": platform.tool_launch_url, "login_hint": login["login_hint"],
        "lti_message_hint": login.get("lti_message_hint", ""), "state": "s1", "nonce": f"n-{len(platform.launches)}"})
    assert answer.status_code == 200, answer.text
    token = unescape(re.search(r'name="id_token"\s+value="([^"]+)"', answer.text).group(1))
    claims = jwt.decode(token, platform.key.public_key(), algorithms=["RS256"], audience=platform.client_id)
    auth = MedaiLTI13Authenticator(username_key="email", roster_keys={f"{p}@medai.example.ac.kr": p for p in STUDENTS},
                                   launch_store=str(store_path(s.lti_key_path)))
    return asyncio.run(auth.authenticate(None, claims))


def test_the_launch_endpoints_win_over_stale_settings(lms):
    fx, platform = lms
    stale = _settings(fx, platform, lti_lineitems_url=f"{platform.url}/moved/lineitems",
                      lti_memberships_url=f"{platform.url}/moved/memberships")
    _keys(stale, platform)
    with pytest.raises(UserError, match="/moved/memberships: HTTP 404"):  # what the settings say is gone
        sync(course=fx.course, settings=stale)
    assert platform.gradebook.items == {}

    user = launch(platform, stale)
    assert user["name"] == "med1" and user["auth_state"]["lineitems"] == platform.lineitems_url
    report = sync(course=fx.course, settings=stale)
    assert report.exit_code == 0 and report.failed == {}
    assert sorted(i["resourceId"] for i in platform.gradebook.items.values()) == sorted(a[0] for a in pf.ASSIGNMENTS)
    assert platform.score("a2", UID["med1"])["scoreGiven"] == pytest.approx(12.8)
    said = [line for line in report.lines("en") if line.startswith("endpoints")]
    kept = newest(store_path(stale.lti_key_path), issuer=platform.issuer, client_id=platform.client_id)
    assert said == [f"endpoints from the LMS's launch of {kept.at}: lineitems, context_memberships_url"]
    assert [line for line in report.lines("ko") if "LMS 실행" in line] == [
        f"LMS 실행({kept.at})에서 받은 주소 사용: lineitems, context_memberships_url"]
    # the roster import reads the members from the same place
    assert {m["user_id"] for m in members(settings=stale)} == set(UID.values())


def test_the_settings_are_the_fallback_before_any_launch(lms):
    fx, platform = lms
    s = _settings(fx, platform, lti_lineitems_url=platform.lineitems_url, lti_memberships_url=platform.memberships_url)
    _keys(s, platform)
    report = sync(course=fx.course, settings=s)
    assert report.exit_code == 0 and platform.gradebook.items
    assert [line for line in report.lines("en") if line.startswith("endpoints")] == [
        "endpoints from the settings (no launch sent them yet): MEDAI_LTI_LINEITEMS_URL, MEDAI_LTI_MEMBERSHIPS_URL"]


def test_with_neither_the_sync_is_refused_naming_what_to_set(lms):
    fx, platform = lms
    s = _settings(fx, platform)
    _keys(s, platform)
    with pytest.raises(UserError) as refused:
        sync(course=fx.course, settings=s)
    assert str(refused.value) == ("the LMS is not configured: set MEDAI_LTI_LINEITEMS_URL, MEDAI_LTI_MEMBERSHIPS_URL "
                                  "(README \"The university's LMS\")")
    assert platform.token_requests == 0  # refused before calling the LMS


def test_only_this_registrations_newest_launch_counts(tmp_path):
    path = tmp_path / "lms" / "launches.json"

    def at(hour, **kw):
        base = dict(issuer="https://lms", client_id="medai", deployment_id="d1", context="c1",
                    lineitems=f"https://lms/{hour}/lineitems", memberships_url=f"https://lms/{hour}/members",
                    at=f"2026-12-02T{hour:02d}:00:00+00:00")
        return Launch(**{**base, **kw})

    record(path, at(9))
    record(path, at(11, deployment_id="d2"))  # another deployment of the same tool
    record(path, at(12, client_id="other-tool"))
    record(path, at(10))  # the same course again: replaces its 09:00 entry
    assert path.stat().st_mode & 0o777 == 0o600
    assert len(json.loads(path.read_text())["launches"]) == 3
    assert newest(path, issuer="https://lms", client_id="medai", deployment_id="d1").lineitems == "https://lms/10/lineitems"
    assert newest(path, issuer="https://lms", client_id="medai").lineitems == "https://lms/11/lineitems"
    assert newest(path, issuer="https://other", client_id="medai") is None
    path.write_text("{half")
    assert newest(path, issuer="https://lms", client_id="medai") is None  # then the settings apply


def test_the_local_hub_records_launches_beside_the_tools_key(course, roster, layout):
    from traitlets.config import Config

    from medai.hub.lti import apply_lti
    from medai.hub.settings import HubSettings
    from tests.conftest import COURSE_YAML

    s = HubSettings(layout=layout, course_file=COURSE_YAML, auth="lti13")
    c = Config()
    apply_lti(c, s, roster)
    assert c.MedaiLTI13Authenticator.launch_store == str(s.lti_key_path.with_name("launches.json"))
