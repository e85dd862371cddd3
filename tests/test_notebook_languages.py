"""Every assignment notebook speaks Korean first and keeps its English (issue 16).

A student-facing markdown cell of an assignment source notebook is either
- a one-line heading, Korean then " · " then the English original
  (`## 2. 민감도와 특이도 · Sensitivity and specificity`), or
- the Korean text, then a line `<!-- en -->`, then the English original, with no Hangul after the
  marker except inside backticks or double quotes (names the English text quotes: `환자`, "서울특별시").

nbgrader answer cells (solution cells, "YOUR ANSWER HERE") are the students' own and are not checked; nor
are cells without any letter (a rule, an empty cell). The assignment suites (tests/test_assignments_*.py)
check that the notebooks still generate, release and grade as before.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(ROOT.glob("assignments/*/*.ipynb"))
MARKER = "<!-- en -->"
HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\uac00-\ud7af\ud7b0-\ud7ff]")
LATIN = re.compile(r"[A-Za-z]")
QUOTED = re.compile(r"(`+)(?:(?!\1).)+?\1|\"[^\"\n]*\"|“[^”\n]*”", re.S)


def cells(text: str) -> list[dict]:
    return json.loads(text)["cells"]


def source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def is_answer(cell: dict) -> bool:
    return bool(cell.get("metadata", {}).get("nbgrader", {}).get("solution")) or source(cell).strip() == "YOUR ANSWER HERE"


def hangul_outside_quotes(text: str) -> list[str]:
    return HANGUL.findall(QUOTED.sub("", text))


def problem(text: str) -> str | None:
    """Why a student-facing markdown cell breaks the Korean-first convention, or None when it follows it."""
    stripped = text.strip()
    if "\n" not in stripped and stripped.startswith("#"):
        korean, sep, english = stripped.partition(" · ")
        if not sep:
            return 'a heading needs "Korean · English"'
        if not HANGUL.search(korean):
            return "no Hangul before ' · '"
        if not LATIN.search(english) or hangul_outside_quotes(english):
            return "the part after ' · ' must be English"
        return None
    lines = text.split("\n")
    marks = [i for i, line in enumerate(lines) if line.strip() == MARKER]
    if len(marks) != 1:
        return f"needs exactly one line {MARKER} (found {len(marks)})"
    korean, english = "\n".join(lines[: marks[0]]), "\n".join(lines[marks[0] + 1:])
    if not HANGUL.search(korean):
        return f"no Korean before {MARKER}"
    if not LATIN.search(english):
        return f"no English after {MARKER}"
    left = [line for line in english.split("\n") if hangul_outside_quotes(line)]
    if left:
        return f"Hangul after {MARKER}, in {left[0].strip()[:40]!r}"
    return None


def rel(path: Path) -> str:
    return path.relative_to(ROOT / "assignments").as_posix()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=rel)
def test_markdown_is_korean_first_with_the_english_kept(path: Path):
    failures = []
    for index, cell in enumerate(cells(path.read_text(encoding="utf-8"))):
        text = source(cell)
        if cell["cell_type"] != "markdown" or is_answer(cell) or not re.search(r"[^\W\d_]", text):
            continue
        why = problem(text)
        if why:
            failures.append(f"{rel(path)} cell {index} ({why}): {text[:60]!r}")
    assert not failures, "\n".join(failures)


SAYS_EITHER = ("한국어 또는 영어로 답해도 됩니다", "You may answer in Korean or English")


def written_answers(nb: list[dict]) -> list[tuple[int, str]]:
    """Each written-answer question (a markdown answer cell graded by an instructor): its cell index and the
    prompt above it (the nearest markdown cell before it that is not itself an answer)."""
    found = []
    for index, cell in enumerate(nb):
        if cell["cell_type"] == "markdown" and is_answer(cell):
            prompts = [source(c) for c in nb[:index] if c["cell_type"] == "markdown" and not is_answer(c)]
            found.append((index, prompts[-1] if prompts else ""))
    return found


def says_either_language(prompt: str) -> bool:
    korean, _, english = prompt.partition(MARKER)
    return SAYS_EITHER[0] in " ".join(korean.split()) and SAYS_EITHER[1] in " ".join(english.split())


@pytest.mark.parametrize("path", NOTEBOOKS, ids=rel)
def test_written_answers_may_be_in_korean_or_english(path: Path):
    """A written answer is graded by an instructor, whatever its language; the question says so in both."""
    for index, prompt in written_answers(cells(path.read_text(encoding="utf-8"))):
        assert says_either_language(prompt), f"{rel(path)} cell {index}: the question above it must say " \
                                             f"{SAYS_EITHER[0]!r}, then {SAYS_EITHER[1]!r} after {MARKER}"


def test_every_track_has_written_answers_to_check():
    assert sum(len(written_answers(cells(p.read_text(encoding="utf-8")))) for p in NOTEBOOKS) >= len(NOTEBOOKS) - 1
    assert not says_either_language("Answer in English.\n<!-- en -->\nAnswer in English.")
    assert says_either_language("... 한국어 또는 영어로\n답해도 됩니다.\n<!-- en -->\n... You may answer in Korean or\nEnglish.")


def test_the_rules_can_fail():
    """The convention check rejects what it should (asserts that cannot fail prove nothing)."""
    assert problem("## 2. 민감도와 특이도 · Sensitivity and specificity") is None
    assert problem("민감도\n\n<!-- en -->\nSensitivity, e.g. `환자` and \"서울특별시\".") is None
    assert problem("## Sensitivity and specificity")
    assert problem("## 민감도와 특이도")
    assert problem("Sensitivity only.")
    assert problem("민감도만.")
    assert problem("민감도\n\n<!-- en -->\n")
    assert problem("민감도\n\n<!-- en -->\nSensitivity (민감도).")
    assert problem("<!-- en -->\nSensitivity.")
    assert problem("민감도\n<!-- en -->\nSensitivity\n<!-- en -->\nagain")
