"""What `medai lms sync` and `medai roster import --from-lms` say (domain "lms", lms/locale): every message has
Korean, none is left over, and a report reads in both languages."""
from __future__ import annotations

import json

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from medai.course.load import Problem
from medai.course.roster import RosterError
from medai.errors import UserError
from medai.i18n import po_path
from medai.lms.client import LmsClient, LmsError, Platform
from medai.lms.nrps import SCOPE, fetch_members
from medai.lms.roster import LmsRoster
from medai.lms.sync import LOCALE, SyncReport
from medai.lms.text import prefixed
from medai.settings import Settings
from tests.conftest import REPO
from tests.i18n_check import messages_in, problems

PO = po_path(LOCALE, "ko", "lms")


def test_every_lms_message_has_korean():
    code = messages_in((REPO / "lms").rglob("*.py"))
    assert len(code) >= 10
    assert problems(code, PO) == []


def test_a_sync_report_in_korean_and_english():
    r = SyncReport(created=["a1"], posted=["a1/s1"], unchanged=2, failed={"a1/s2": "HTTP 503"}, unknown=["s3"])
    ko, en = r.lines("ko"), r.lines("en")
    assert ko[0] == "새로 만든 성적 항목: a1" and en[0] == "line items created: a1"
    assert ko[1] == "보낸 점수: 1건; 바뀌지 않음: 2건" and "LMS 강좌에 없어 보내지 않음: s3" in ko
    assert en[-1] == "FAILED a1/s2: HTTP 503 (kept in the outbox; the next sync tries again)"
    assert r.exit_code == 1 and SyncReport().exit_code == 0
    roster = LmsRoster("id,name\nx,y\n", left_out=["TA <ta@x>"], missing_track=["x"])
    assert roster.lines("ko") == ["LMS에서 읽은 구성원: 1명", "제외 (medai 역할 없음): TA <ta@x>",
                                  "LMS와 명단 어디에도 트랙이 없음: x"]


def test_the_push_after_grading_says_lms_in_the_readers_language():
    lines = SyncReport(posted=["a1/s1"]).lines("ko")
    assert prefixed(lines, "ko") == ["LMS 성적 연동: 보낸 점수: 1건; 바뀌지 않음: 0건"]
    assert prefixed(SyncReport().lines("en"), "en") == ["LMS: scores posted: 0; unchanged: 0"]


def test_a_refused_lms_roster_names_the_members_in_the_readers_language():
    lms = LmsRoster("id,name,email,role,track,cohort,lang\ns1,Kim,s1@x,student,,2026,ko\n", missing_track=["s1"])
    err = RosterError([Problem("/tmp/medai-lms-roster-x/lms-members.csv", "line 2, column track",
                               "a student needs a track")])
    assert str(lms.explain(err, "ko")) == "LMS 구성원: s1 <s1@x>, column track: a student needs a track"
    assert str(lms.explain(err, "en")) == "LMS members: s1 <s1@x>, column track: a student needs a track"


class _Answers:
    """requests.Session's part the client uses, answering each call with the next canned response."""

    def __init__(self, *bodies):
        self.bodies = list(bodies)

    def request(self, method, url, **kw):
        r = requests.Response()
        r.status_code, r._content, r.url = 200, json.dumps(self.bodies.pop(0)).encode(), url
        return r


def _client(lang, *bodies) -> LmsClient:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return LmsClient(platform=Platform(issuer="https://lms.test", client_id="c", token_url="https://lms.test/token"),
                     private_key=key, kid="k", lang=lang, session=_Answers(*bodies))


@pytest.mark.parametrize("lang, words", [("ko", "LMS가 구성원 목록을 보내지 않았습니다"),
                                         ("en", "the LMS sent no list of members")])
def test_nrps_refusals_are_in_the_readers_language(lang, words):
    token = {"access_token": "t", "scope": SCOPE, "expires_in": 3600}
    with pytest.raises(LmsError) as no_list:
        fetch_members(_client(lang, token, {"members": "nobody"}), "https://lms.test/memberships")
    assert str(no_list.value) == f"GET https://lms.test/memberships: {words}"
    with pytest.raises(LmsError) as not_granted:  # NRPS not switched on for medai in the LMS
        fetch_members(_client(lang, {"access_token": "t", "scope": "other"}), "https://lms.test/memberships")
    assert SCOPE in str(not_granted.value)
    assert ("권한을 주지 않았습니다" if lang == "ko" else "the LMS did not grant") in str(not_granted.value)


def test_an_lms_not_configured_is_refused_in_the_readers_language(tmp_path):
    from medai.lms.service import client_for

    for lang, words in (("ko", "LMS가 설정되지 않았습니다: MEDAI_LTI_ISSUER, "), ("en", "the LMS is not configured: set ")):
        with pytest.raises(UserError) as refused:
            client_for(Settings(root=tmp_path, lang=lang))
        assert str(refused.value).startswith(words)
