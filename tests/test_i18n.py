"""medai's own catalogue (domain "medai", src/medai/locale/ko): every message the code asks for has Korean, none
is unused, and no file outside the list below translates into it unseen."""
from __future__ import annotations

import re

from medai.i18n import LOCALE_DIR, both, po_path, translator
from tests.conftest import REPO
from tests.i18n_check import KEYWORDS, messages_in, problems

PO = po_path(LOCALE_DIR, "ko", "medai")
# the modules that write medai-domain messages (the other domains have their own catalogues and tests)
FILES = ["grader/formgrader_course.py", "hub_config/full_home.py", "hub_config/my_contests.py"]
MEDAI_KEYWORDS = {**KEYWORDS, "both": None}


def test_every_message_has_korean():
    code = messages_in([REPO / f for f in FILES], MEDAI_KEYWORDS)
    assert len(code) >= 6
    assert problems(code, PO) == []


def test_no_other_module_writes_medai_messages_unlisted():
    users = sorted(str(p.relative_to(REPO)) for top in ("src/medai", "grader", "hub_config", "course", "progress")
                   for p in (REPO / top).rglob("*.py") if "node_modules" not in p.parts
                   and re.search(r"\bboth\(|translator\(\)\.gettext", p.read_text(encoding="utf-8")))
    assert set(users) - {"src/medai/i18n.py"} <= set(FILES), "add them to FILES"


def test_both_is_korean_then_english_and_english_is_the_msgid():
    msgid = "This file is too large: a single file may be at most {cap}."
    assert both(msgid, sep=" / ").startswith("파일이 너무 큽니다") and both(msgid).endswith(msgid)
    assert translator("en").gettext(msgid) == msgid
