"""The lms catalogue (lms/locale/ko/LC_MESSAGES/lms.po): what `medai lms ...`, the push after `medai grade` and
`medai roster import --from-lms` say, Korean first (medai.i18n), English the msgid."""
from __future__ import annotations

from pathlib import Path

from medai.i18n import translator

LOCALE = Path(__file__).with_name("locale")


def lms_text(lang: str | None = None):
    """The translator of the lms domain for `lang` (default: $MEDAI_LANG, else Korean)."""
    return translator(lang, domain="lms", localedir=LOCALE)


def prefixed(lines: list[str], lang: str | None = None) -> list[str]:
    """Lines printed among another command's output (after `medai grade`), each saying it is about the LMS."""
    t = lms_text(lang)
    return [t.gettext("LMS: {line}").format(line=line) for line in lines]
