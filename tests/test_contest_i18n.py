"""The contest's words (domain "contest", grader/locale): every message its code and page templates ask for has
Korean, none is left over, and a refusal reads in either language."""
from __future__ import annotations

from medai.grader.contest.words import DOMAIN, LOCALE, ContestError, N_
from medai.i18n import po_path
from tests.conftest import REPO
from tests.i18n_check import messages_in, problems
from tests.test_report_i18n import template_messages

CONTEST = REPO / "grader" / "contest"
PO = po_path(REPO / "grader" / "locale", "ko", DOMAIN)


def test_every_message_has_korean_and_none_is_unused():
    assert po_path(LOCALE, "ko", DOMAIN).read_bytes() == PO.read_bytes()  # shipped as written here
    code = {**messages_in(CONTEST.glob("*.py")), **template_messages(CONTEST / "templates")}
    assert "Public leaderboard" in code and "calling predict() raised {error}" in code and len(code) > 60
    assert problems(code, PO) == []


def test_a_refusal_reads_in_korean_and_in_english():
    err = ContestError(N_("team {team} is full ({size} members at most)"), team="alpha", size=3)
    assert str(err) == "team alpha is full (3 members at most)" == err.text("en")
    assert err.text("ko") == "alpha 팀은 정원(최대 3명)이 찼습니다"
