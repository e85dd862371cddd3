"""People's names as they write them: the one display rule, and how a name is kept in nbgrader's two fields.

The roster's `name` is kept whole and shown as written: Korean names family name first with no comma or
space ('김민준'), western names in their usual order ('Jane Doe'). Nothing reorders a name for display.

nbgrader's gradebook has `first_name` and `last_name`, and its formgrader writes "last, first". medai stores
the whole name in `last_name` and leaves `first_name` empty (`split_for_nbgrader`), so the formgrader shows
the name as written (medai.grader.formgrader_guard drops the comma when `first_name` is empty), nbgrader
sorts students by their whole name, and `join_from_nbgrader` gives the name back exactly. Students stored by
earlier versions (given name in `first_name`, family name in `last_name`) are joined by the same rule.

Systems that need a family name and a given name (Moodle's "First name" and "Surname") get them from
`family_and_given`: a Hangul name's family name is its first syllable, or its first two for the compound
family names (남궁, 선우, 제갈, ...); a western name's is its last word.
"""
from __future__ import annotations

# Korean compound family names (two syllables); otherwise a Hangul name's first syllable is the family name
KOREAN_COMPOUND_SURNAMES = frozenset({"남궁", "선우", "제갈", "황보", "독고", "사공", "서문", "동방", "어금", "망절"})


def _hangul(text: str) -> bool:
    return bool(text) and all("\uac00" <= ch <= "\ud7a3" for ch in text)


def display_name(person) -> str:
    """The name to show for a roster person (anything with `.name`) or a name string: as written."""
    name = person if isinstance(person, str) else person.name
    return " ".join(name.split())


def family_and_given(name: str) -> tuple[str, str]:
    """(family name, given name): '김민준' -> ('김', '민준'), '남궁민수' -> ('남궁', '민수'),
    'Jane Doe' -> ('Doe', 'Jane'), 'María José García' -> ('García', 'María José'), 'Madonna' -> ('', 'Madonna')."""
    name = display_name(name)
    if " " in name:
        given, _, family = name.rpartition(" ")
        if _hangul(given.replace(" ", "")) and _hangul(family):  # '김 민준': family name written first
            given, family = family, given
        return family, given
    if _hangul(name) and len(name) >= 2:
        cut = 2 if name[:2] in KOREAN_COMPOUND_SURNAMES and len(name) >= 3 else 1
        return name[:cut], name[cut:]
    return "", name


def join_names(family: str, given: str) -> str:
    """The whole name from a family name and a given name, in the order its language writes them."""
    family, given = display_name(family or ""), display_name(given or "")
    if not family or not given:
        return family or given
    if _hangul(family) and _hangul(given.replace(" ", "")):
        return family + given
    return f"{given} {family}"


def split_for_nbgrader(name: str) -> tuple[str, str]:
    """(first_name, last_name) for nbgrader's gradebook: ('', the whole name)."""
    return "", display_name(name)


def join_from_nbgrader(first: str | None, last: str | None) -> str:
    """The whole name back from nbgrader's (first_name, last_name), whichever way it was stored."""
    return join_names(last or "", first or "")
