"""The My course panel's Korean catalogue covers every string the panel translates, and nothing else.

The msgids are read from the TypeScript sources (hub_config/labextension/src): the string literals of every
`trans.__(...)`, `trans._n(...)` and `trans._p(...)` call. The catalogue is JupyterLab's language-pack JSON
(hub_config/locale/ko_KR/LC_MESSAGES/medai_mycourse.json), found by jupyterlab_server through the
`jupyterlab.locale` entry point.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO

SRC = REPO / "hub_config" / "labextension" / "src"
CATALOG = REPO / "hub_config" / "locale" / "ko_KR" / "LC_MESSAGES" / "medai_mycourse.json"
DOMAIN = "medai_mycourse"
CONTEXT = "\x04"  # JupyterLab's context delimiter: "<context>\x04<msgid>"
CALL = re.compile(r"(?<![\w$])_?trans\.(__|_n|_p)\(")  # trans.__( this._trans.__( fmt.trans._n(
ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "b": "\b", "f": "\f", "v": "\v"}


@dataclass(frozen=True)
class Msg:
    key: str  # the catalogue key: msgid, or context + "\x04" + msgid
    plural: str | None  # the plural msgid of a trans._n call
    where: str


class NotPlain(ValueError):
    """A trans call whose msgid is not a plain string literal (a variable, a concatenation, ${...})."""


def _skip_space(text: str, i: int) -> int:
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if text.startswith("//", i):
            i = text.find("\n", i)
            i = len(text) if i < 0 else i
        elif text.startswith("/*", i):
            i = text.index("*/", i) + 2
        else:
            return i


def _literal(text: str, i: int) -> tuple[str, int]:
    """The JavaScript string literal starting at text[i] ('...', "..." or `...` without ${}), and the index
    after it."""
    quote = text[i] if i < len(text) else ""
    if quote not in "'\"`":
        raise NotPlain("not a string literal")
    out, i = [], i + 1
    while i < len(text) and text[i] != quote:
        c = text[i]
        if c == "\\":
            e = text[i + 1]
            if e == "u":
                out.append(chr(int(text[i + 2:i + 6], 16)))
                i += 6
                continue
            if e == "\n":  # line continuation
                i += 2
                continue
            out.append(ESCAPES.get(e, e))
            i += 2
            continue
        if quote == "`" and text.startswith("${", i):
            raise NotPlain("a template literal with ${...}")
        if c == "\n" and quote != "`":
            raise NotPlain("an unterminated string")
        out.append(c)
        i += 1
    return "".join(out), i + 1


def _arguments(text: str, i: int, count: int) -> list[str]:
    """The first `count` arguments of the call whose "(" ends at i, each a plain literal."""
    args = []
    for n in range(count):
        i = _skip_space(text, i)
        value, i = _literal(text, i)
        i = _skip_space(text, i)
        if i < len(text) and text[i] not in ",)":
            raise NotPlain(f"argument {n + 1} is followed by {text[i]!r} (concatenation?)")
        if text[i] == ")" and n + 1 < count:
            raise NotPlain(f"needs {count} string arguments")
        args.append(value)
        i += 1
    return args


def extract(sources: dict[str, str]) -> tuple[list[Msg], list[str]]:
    """(the messages, the calls that are not plain literals) in the given {name: TypeScript text}."""
    found, bad = [], []
    for name, text in sources.items():
        for m in CALL.finditer(text):
            where = f"{name}:{text.count(chr(10), 0, m.start()) + 1}"
            kind = m.group(1)
            try:
                args = _arguments(text, m.end(), 2 if kind in ("_n", "_p") else 1)
            except (NotPlain, IndexError, ValueError) as err:
                bad.append(f"{where}: trans.{kind}(...): {err}")
                continue
            if kind == "__":
                found.append(Msg(args[0], None, where))
            elif kind == "_n":
                found.append(Msg(args[0], args[1], where))
            else:
                found.append(Msg(args[0] + CONTEXT + args[1], None, where))
    return found, bad


def _sources() -> dict[str, str]:
    files = sorted(p for p in SRC.rglob("*") if p.suffix in (".ts", ".tsx") and "node_modules" not in p.parts)
    return {str(p.relative_to(REPO)): p.read_text(encoding="utf-8") for p in files}


def _placeholders(text: str) -> set[str]:
    return set(re.findall(r"%\d+", text.replace("%%", "")))


@pytest.fixture(scope="module")
def messages() -> list[Msg]:
    found, bad = extract(_sources())
    assert bad == [], "trans calls the catalogue test cannot read (keep msgids plain literals):\n" + "\n".join(bad)
    assert len(found) > 40, f"only {len(found)} translated strings found in {SRC}: is the extractor broken?"
    return found


@pytest.fixture(scope="module")
def catalog() -> dict:
    return json.loads(CATALOG.read_text(encoding="utf-8"))


def test_the_catalogue_has_jupyterlab_language_pack_headers(catalog):
    assert catalog[""] == {"domain": DOMAIN, "language": "ko-KR", "plural_forms": "nplurals=1; plural=0;",
                           "version": DOMAIN}
    assert f"translator.load('{DOMAIN}')" in "".join(_sources().values())


def test_every_msgid_has_a_korean_entry(messages, catalog):
    problems = []
    for msg in messages:
        entry = catalog.get(msg.key)
        label = f"{msg.where}: {msg.key!r}"
        if not isinstance(entry, list) or not entry or not all(isinstance(s, str) for s in entry):
            problems.append(f"{label} has no Korean entry")
        elif not entry[0].strip():
            problems.append(f"{label} has an empty Korean entry")
        elif msg.plural is None and len(entry) != 1:
            problems.append(f"{label}: a singular msgid needs exactly one translation (JupyterLab ignores others)")
        elif msg.plural is not None and len(entry) < 2:
            problems.append(f"{label}: a trans._n msgid needs [singular, plural] (JupyterLab ignores one form)")
        else:
            source = _placeholders(msg.key.split(CONTEXT)[-1]) | _placeholders(msg.plural or "")
            if _placeholders(entry[0]) != source:
                problems.append(f"{label}: placeholders {sorted(_placeholders(entry[0]))} != {sorted(source)}")
    assert problems == [], "\n".join(problems)


def test_every_catalogue_entry_is_used(messages, catalog):
    used = {m.key for m in messages}
    unused = sorted(k for k in catalog if k and k not in used)
    assert unused == [], "catalogue entries no source uses any more:\n" + "\n".join(map(repr, unused))


def test_the_extractor_reads_what_it_claims():
    src = {"a.ts": "x = trans.__('It\\'s %1', n); y = this._trans._n(\n  \"%1 day\", `%1 days`, n);\n"
                   "z = fmt.trans._p('menu', 'Open'); w = trans.__('a' + b); v = trans.__(`t ${x}`); u = trans.__(name);"}
    found, bad = extract(src)
    assert [(m.key, m.plural) for m in found] == [("It's %1", None), ("%1 day", "%1 days"), ("menu\x04Open", None)]
    assert len(bad) == 3 and all(b.startswith("a.ts:3: ") for b in bad)
