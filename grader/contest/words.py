"""The contest's words: its gettext catalogue (grader/locale/<lang>/LC_MESSAGES/contest.po), Korean first.

Errors a student may read carry their msgid and fields (:class:`ContestError`): `str()` is the English text
(the CLI, logs), `text(lang)` the translation (the leaderboard page)."""
from __future__ import annotations

from pathlib import Path

from medai.errors import UserError
from medai.i18n import error_text, translator

LOCALE = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "contest"


def N_(msgid: str) -> str:
    """Marks a message for the catalogue; translated where it is shown."""
    return msgid


def gettext_for(lang: str | None):
    return translator(lang, domain=DOMAIN, localedir=LOCALE)


class ContestError(UserError):
    """A refused action: team rules, the phase, the daily cap, a bad file."""

    catalogue = (DOMAIN, str(LOCALE))

    def text(self, lang: str | None) -> str:
        return error_text(self, lang)
