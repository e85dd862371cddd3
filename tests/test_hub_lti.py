"""medai's checks on an LTI launch, after jupyterhub-ltiauthenticator's (medai.hub.lti): the roster person by
the configured key, the deployment, a nonce used once; what is kept in auth_state. The whole launch against a
real platform and hub is tests/test_lms_launch.py."""
from __future__ import annotations

import asyncio

import pytest
from tornado.web import HTTPError

from medai.hub.lti import CLAIM, MedaiLTI13Authenticator, kept_state, launch_key

TOKEN = {"sub": "u-1", "iss": "https://lms", "aud": "tool", "nonce": "n-1", "email": "Med1@Univ.ac.kr",
         CLAIM + "deployment_id": "dep-1", CLAIM + "custom": {"student_number": "s2026001"},
         CLAIM + "lis": {"person_sourcedid": "2026001"}, CLAIM + "context": {"id": "c-7"},
         "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": {"lineitems": "https://lms/li", "scope": ["s"]}}


def auth(**kw) -> MedaiLTI13Authenticator:
    a = MedaiLTI13Authenticator(**kw)
    a._used = {}
    return a


def run(a, token):
    return asyncio.run(a.authenticate(None, dict(token)))


def test_the_launching_user_is_found_by_the_configured_key():
    assert launch_key(TOKEN, "email") == "med1@univ.ac.kr"
    assert launch_key(TOKEN, "custom_student_number") == "s2026001"
    assert launch_key(TOKEN, "lis_person_sourcedid") == "2026001"
    assert launch_key(TOKEN, "custom_missing") is None
    a = auth(roster_keys={"med1@univ.ac.kr": "med1"}, deployment_id="dep-1")
    user = run(a, TOKEN)
    assert user["name"] == "med1"
    assert user["auth_state"] == kept_state(TOKEN)
    assert user["auth_state"]["sub"] == "u-1" and user["auth_state"]["lineitems"] == "https://lms/li"


def test_strangers_other_deployments_and_replays_are_refused():
    a = auth(roster_keys={"med1@univ.ac.kr": "med1"}, deployment_id="dep-1")
    with pytest.raises(HTTPError) as e:
        run(a, {**TOKEN, "email": "guest@else.org"})
    assert e.value.status_code == 403 and e.value.args == ("guest@else.org",)
    assert e.value.log_message.endswith(" is not on the course roster")
    with pytest.raises(HTTPError, match="deployment"):
        run(a, {**TOKEN, "nonce": "n-2", CLAIM + "deployment_id": "dep-9"})
    run(a, {**TOKEN, "nonce": "n-3"})
    with pytest.raises(HTTPError) as e:
        run(a, {**TOKEN, "nonce": "n-3"})
    assert e.value.log_message == "LTI launch refused: this launch was used already"


def test_a_resource_link_for_one_assignment_lands_on_it_in_my_course():
    from medai.hub.lti import assignment_url, linked_assignment

    assert linked_assignment(TOKEN) is None  # a link with no `assignment`: the usual landing page
    link = {**TOKEN, CLAIM + "custom": {"assignment": " c02-diagnostic-metrics "}}
    assert linked_assignment(link) == "c02-diagnostic-metrics"
    assert linked_assignment({**TOKEN, CLAIM + "custom": {"assignment": ""}}) is None
    assert assignment_url("/", "c02-diagnostic-metrics") == \
        "/hub/user-redirect/lab?medai-assignment=c02-diagnostic-metrics"
    # whatever an LMS admin typed goes into the query encoded; the panel says it is not one of the student's
    assert assignment_url("/jh/", "a&b=<x>") == "/jh/hub/user-redirect/lab?medai-assignment=a%26b%3D%3Cx%3E"
