"""Korean first, English always: the one mechanism for text a person reads (gettext catalogues).

Code writes each message once, in English, as a gettext msgid; a catalogue per area translates it:

    <folder>/locale/ko/LC_MESSAGES/<domain>.po      the source, reviewed text (committed)

English is the msgid itself. The `.po` files are read with Babel and compiled in memory on first use (no build
step, no generated files to go stale); lookups are Python's own `gettext.GNUTranslations`.

    from medai.i18n import translator
    _ = translator("ko").gettext                          # medai's own domain, src/medai/locale
    _("Late submission penalty")                          # -> "지각 제출 감점"
    t = translator(lang, domain="reports", localedir=Path(__file__).parent / "locale")
    t.ngettext("{n} day late", "{n} days late", n).format(n=n)

Placeholders are `str.format` fields (`{name}`), never f-strings inside the call (the msgid must be a literal,
so that `untranslated()` and the tests see it). No `if lang == "ko"` branches anywhere: pick the translator.

The language: `lang` given, else $MEDAI_LANG (medai.settings; each user's server gets their own from the roster
or their JupyterLab setting), else Korean. `both(msgid)` gives "한국어 · English" for the few places read by
everyone at once (a shared error page, a log line an instructor forwards).
"""
from __future__ import annotations

import gettext
import io
import os
from functools import lru_cache
from pathlib import Path

LANGUAGES = ("ko", "en")
DEFAULT_LANGUAGE = "ko"
LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "medai"
LANG_VARIABLE = "MEDAI_LANG"  # medai.settings.Settings.lang


def normalise(lang: str | None) -> str:
    """"ko", "ko_KR", "ko-KR" -> "ko"; "en", "en_US" -> "en"; None or empty -> the default (Korean).
    Raises ValueError for a language medai has no catalogue for."""
    if not lang:
        return DEFAULT_LANGUAGE
    short = lang.replace("-", "_").split("_")[0].lower()
    if short not in LANGUAGES:
        raise ValueError(f"language {lang!r}: medai speaks {' and '.join(LANGUAGES)}")
    return short


def current_language() -> str:
    """$MEDAI_LANG if set and known, else Korean (an unknown value falls back rather than failing a notebook)."""
    try:
        return normalise(os.environ.get(LANG_VARIABLE))
    except ValueError:
        return DEFAULT_LANGUAGE


def po_path(localedir: Path, lang: str, domain: str) -> Path:
    return Path(localedir) / lang / "LC_MESSAGES" / f"{domain}.po"


@lru_cache(maxsize=64)
def _compiled(path: Path, mtime_ns: int) -> gettext.GNUTranslations:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with open(path, "rb") as f:
        catalog = read_po(f)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def translator(lang: str | None = None, *, domain: str = DOMAIN,
               localedir: Path | str | None = None) -> gettext.NullTranslations:
    """The translations of `domain` for `lang` (default: current_language()); English: the msgids themselves."""
    lang = normalise(lang) if lang else current_language()
    if lang == "en":
        return gettext.NullTranslations()
    path = po_path(Path(localedir) if localedir else LOCALE_DIR, lang, domain)
    if not path.is_file():
        raise FileNotFoundError(f"no {lang} catalogue for {domain!r}: {path}")
    return _compiled(path, path.stat().st_mtime_ns)


def both(msgid: str, *, domain: str = DOMAIN, localedir: Path | str | None = None, sep: str = " · ") -> str:
    """Korean, then English: for text read by people of either language at once."""
    ko = translator("ko", domain=domain, localedir=localedir).gettext(msgid)
    return msgid if ko == msgid else f"{ko}{sep}{msgid}"


def error_text(err: BaseException, lang: str | None = None) -> str:
    """A medai.errors.UserError in `lang`: its msgid from its class's catalogue, its fields filled in (any other
    exception, or one raised with a finished text that has no translation: its own text)."""
    msgid = getattr(err, "msgid", None)
    if not isinstance(msgid, str) or not msgid:
        return str(err)
    domain, localedir = getattr(err, "catalogue", None) or (DOMAIN, None)
    text = translator(lang, domain=domain, localedir=localedir).gettext(msgid)
    fields = getattr(err, "fields", None)
    return text.format(**fields) if fields else text


def untranslated(path: Path | str) -> list[str]:
    """The msgids of a .po file without a translation (empty, fuzzy, or a plural form missing), for the tests."""
    from babel.messages.pofile import read_po

    with open(path, "rb") as f:
        catalog = read_po(f)
    missing = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(s and s.strip() for s in strings):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    return missing


def msgids(path: Path | str) -> set[str]:
    """Every msgid of a .po file (singular forms), for the tests that compare code and catalogue."""
    from babel.messages.pofile import read_po

    with open(path, "rb") as f:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
