"""What `medai lms sync` and `medai roster import --from-lms` say (domain "lms", lms/locale): every message has
Korean, none is left over, and a report reads in both languages."""
from __future__ import annotations

from medai.i18n import po_path
from medai.lms.roster import LmsRoster
from medai.lms.sync import LOCALE, SyncReport
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
