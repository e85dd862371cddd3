"""medai's own catalogue (domain "medai", src/medai/locale/ko): every message the code asks for has Korean, none
is unused, and no file outside the list below translates into it unseen."""
from __future__ import annotations

import re

from medai.i18n import LOCALE_DIR, both, po_path, translator
from tests.conftest import REPO
from tests.i18n_check import KEYWORDS, messages_in, problems

PO = po_path(LOCALE_DIR, "ko", "medai")
# the modules that write medai-domain messages (the other domains have their own catalogues and tests)
FILES = ["grader/formgrader_course.py", "hub_config/full_home.py", "hub_config/spawn_progress.py",
         "hub_config/my_contests.py"]
CLI = sorted(str(p.relative_to(REPO)) for p in (REPO / "src/medai/cli").glob("*.py"))
# UserError's first argument is a msgid of this catalogue (medai.errors; the CLI prints it translated)
MEDAI_KEYWORDS = {**KEYWORDS, "both": None, "UserError": None}


def test_every_message_has_korean():
    code = messages_in([REPO / f for f in FILES + CLI], MEDAI_KEYWORDS)
    assert len(code) >= 18
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


def test_the_cli_raises_its_errors_as_msgids_with_fields():
    """An f-string cannot be looked up in a catalogue: the medai command's errors name their fields instead."""
    import ast

    wrong = []
    for name in CLI:
        for node in ast.walk(ast.parse((REPO / name).read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "UserError"
                    and not (node.args and isinstance(node.args[0], ast.Constant))):
                wrong.append(f"{name}:{node.lineno}")
    assert wrong == []


def test_the_cli_prints_an_error_korean_first_and_english_always(capsys, monkeypatch):
    from medai.cli import main

    monkeypatch.delenv("MEDAI_LANG", raising=False)
    assert main(["roster", "import"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == ["medai: 오류: 명단 CSV와 --from-lms 중 하나를 주세요",
                   "medai: error: give a roster CSV or --from-lms (one of them)"]
    monkeypatch.setenv("MEDAI_LANG", "en")
    assert main(["report", "progress", "--format", "json", "--as-of", "tomorrow"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "medai: error: --as-of 'tomorrow': give an ISO 8601 moment, e.g. 2026-10-01T12:00+09:00"]


def test_an_error_raised_with_a_finished_text_is_printed_as_it_is():
    from medai.cli import error_message
    from medai.errors import UserError

    assert error_message(UserError("a {brace} in a finished text"), "en") == "medai: error: a {brace} in a finished text"
    assert error_message(UserError("a {brace} in a finished text"), "ko").splitlines() == [
        "medai: 오류: a {brace} in a finished text", "medai: error: a {brace} in a finished text"]
