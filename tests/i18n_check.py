"""What the catalogue tests share: the messages a piece of code asks to translate (Babel's own Python
extractor), and the comparison with a catalogue, so that a message without Korean fails a test by name."""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from medai.i18n import msgids, untranslated

# gettext's names, and the short aliases medai's code binds them to
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_n": (1, 2), "pgettext": ((1, "c"), 2),
            "N_": None}  # N_: medai.selfcheck's lazy text (question names, hints), translated when shown


def messages_in(paths: Iterable[Path], keywords: dict | None = None) -> dict[str, str]:
    """msgid -> "file:line" of its first use, for every literal passed to a gettext function in `paths`."""
    from babel.messages.extract import extract_from_file

    found: dict[str, str] = {}
    for path in sorted(paths):
        for lineno, message, _comments, _context in extract_from_file("python", str(path),
                                                                      keywords=keywords or KEYWORDS):
            msgid = message if isinstance(message, str) else message[0]
            found.setdefault(msgid, f"{path}:{lineno}")
    return found


def problems(code: dict[str, str], po: Path) -> list[str]:
    """What is wrong between the code's messages and the catalogue: missing, untranslated, unused."""
    have, empty = msgids(po), set(untranslated(po))
    out = [f"{where}: no Korean for {m!r} (add it to {po})" for m, where in code.items() if m not in have]
    out += [f"{po}: {m!r} has no Korean text" for m in sorted(empty & set(code))]
    out += [f"{po}: {m!r} is used nowhere (remove it)" for m in sorted(have - set(code))]
    return out
