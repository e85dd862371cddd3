"""How wide a text is on a terminal or in a fixed-width font: Hangul and other wide characters take two columns
(Unicode's East Asian Width W and F), so Korean columns line up with English ones."""
from __future__ import annotations

import unicodedata


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def cut(text: str, columns: int) -> str:
    """`text` shortened to at most `columns` columns, an ellipsis where it was cut."""
    if width(text) <= columns:
        return text
    while text and width(text) + 1 > columns:
        text = text[:-1]
    return text + "…"


def pad(text: str, columns: int) -> str:
    """`text` followed by spaces to fill `columns` columns."""
    return text + " " * (columns - width(text))
