"""The hub's pages in Korean with English: every sentence of medai's hub templates (hub_config/templates/*.html) is an
English msgid with Korean in hub_config/locale/ko/LC_MESSAGES/hub.po, nothing there is unused, and no sentence
is written into a template any other way (so none escapes the extractor or the catalogue)."""
from __future__ import annotations

import re
import string

from jinja2 import Environment, nodes

from medai.hub.apply import HUB_DOMAIN, LOCALE_DIR, TEMPLATES, hub_korean
from medai.i18n import po_path, translator
from tests.i18n_check import problems

PO = po_path(LOCALE_DIR, "ko", HUB_DOMAIN)
# medai.html's macros that show a msgid (Korean, then English) and `ko` itself; button(id, href, msgid, cls)
KEYWORDS = {"ko": None, "say": None, "lines": None, "words": None, "plain": None, "button": (3,)}
HANGUL = re.compile("[\uac00-\ud7a3]")


def template_messages() -> dict[str, str]:
    """msgid -> "file:line" of its first use, by Babel's Jinja extractor."""
    from babel.messages.extract import extract_from_file

    found: dict[str, str] = {}
    for path in sorted(TEMPLATES.glob("*.html")):
        for line, msgid, _c, _x in extract_from_file("jinja2.ext:babel_extract", str(path), keywords=KEYWORDS):
            found.setdefault(msgid, f"{path}:{line}")
    return found


def test_every_sentence_of_the_hub_pages_has_korean():
    code = template_messages()
    assert len(code) >= 35  # the extractor saw the templates' words (login, spawn-pending, refusals, home)
    assert "Sign in" in code and "Your server is starting up." in code
    assert problems(code, PO) == []


def test_the_korean_keeps_each_placeholder():
    ko = translator("ko", domain=HUB_DOMAIN, localedir=LOCALE_DIR).gettext

    def fields(text: str) -> set[str]:
        return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name is not None}

    for msgid in template_messages():
        assert fields(ko(msgid)) == fields(msgid), msgid


def test_the_pages_get_the_catalogue():
    """What the templates call `ko` (template_vars; JupyterHub calls it with the page's user, or None)."""
    ko = hub_korean(None)
    assert ko("Sign in") == "로그인"
    assert ko("Program staff") == "프로그램 운영진"


def test_no_sentence_bypasses_the_catalogue():
    """The templates hold no Korean of their own, and call the catalogue's macros only by name with a literal
    msgid (`ui.say(...)` or `say(variable)` would hide a sentence from the extractor); only medai.html's own
    macros pass a msgid on."""
    env = Environment()
    for path in sorted(TEMPLATES.glob("*.html")):
        text = path.read_text(encoding="utf-8")
        assert not HANGUL.search(text), f"{path}: Korean belongs in {PO}"
        tree = env.parse(text)
        inside_macros = {id(n) for m in tree.find_all(nodes.Macro) for n in m.find_all(nodes.Call)} \
            if path.name == "medai.html" else set()
        for call in tree.find_all(nodes.Call):
            name = call.node.name if isinstance(call.node, nodes.Name) else getattr(call.node, "attr", None)
            if name not in KEYWORDS:
                continue
            assert isinstance(call.node, nodes.Name), f"{path}:{call.lineno}: call {name}() by name (from-import)"
            position = (KEYWORDS[name] or (1,))[0] - 1
            arg = call.args[position] if len(call.args) > position else None
            literal = isinstance(arg, nodes.Const) and isinstance(arg.value, str)
            assert literal or id(call) in inside_macros, f"{path}:{call.lineno}: {name}() needs a literal msgid"
