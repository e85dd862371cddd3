"""The reports' words (domain "reports", progress/locale): every message the code and the staff page's templates ask
for has Korean, none is left over; the words helpers; and the Korean PDF shows Hangul glyphs, not tofu."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from medai.i18n import po_path
from medai.progress.model import RiskFlag
from medai.progress.reports.words import DOMAIN, LOCALE_DIR, words
from medai.progress.sources import load_progress
from tests import progress_fixture as pf
from tests.conftest import REPO
from tests.i18n_check import messages_in, problems

PROGRESS = REPO / "progress"
PO = po_path(PROGRESS / "locale", "ko", DOMAIN)
TEMPLATE_MESSAGE = re.compile(r'''\b_\(\s*"((?:[^"\\]|\\.)*)"\s*\)''')


def template_messages(folder: Path) -> dict[str, str]:
    """msgid -> "file:line" for every _("...") in the staff page's tornado templates (Babel reads Python only)."""
    found: dict[str, str] = {}
    for path in sorted(folder.glob("*.html")):
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            calls = line.count("_(")
            literal = TEMPLATE_MESSAGE.findall(line)
            assert calls == len(literal), f"{path}:{lineno}: _() of something else than one string literal"
            for message in literal:
                found.setdefault(message.encode().decode("unicode_escape") if "\\" in message else message,
                                 f"{path}:{lineno}")
    return found


def code_messages() -> dict[str, str]:
    return {**messages_in(PROGRESS.rglob("*.py")), **template_messages(PROGRESS / "staff_page" / "templates")}


def test_every_message_has_korean_and_none_is_unused():
    # the catalogue ships with medai (package data), as written here
    assert po_path(LOCALE_DIR, "ko", DOMAIN).read_bytes() == PO.read_bytes()
    code = code_messages()
    assert len(code) > 100  # the extractor sees the reports' and the page's messages
    assert "at risk only" in code and "Summary {track}" in code and "{n} assignment past due and not submitted: {names}" in code
    assert problems(code, PO) == []


def test_the_catalogue_keeps_every_placeholder():
    from babel.messages.pofile import read_po

    field = re.compile(r"{(\w+)[^}]*}")
    with open(PO, "rb") as f:
        for m in read_po(f):
            if not m.id:
                continue
            ids = m.id if isinstance(m.id, tuple) else (m.id,)
            strings = m.string if isinstance(m.string, tuple) else (m.string,)
            for s in strings:
                assert set(field.findall(s)) == set(field.findall(ids[-1])), m.id


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    fx = pf.build(tmp_path_factory.mktemp("words"))
    return load_progress(course=fx.course, layout=fx.layout, as_of=pf.AS_OF)


def test_english_reasons_are_the_models_own_and_korean_ones_carry_the_values(report):
    en, ko = words("en"), words("ko")
    flagged = [(s, f) for s in report.students for f in s.flags]
    assert {f.kind for _, f in flagged} == {"missing", "low_score", "falling"}
    for s, f in flagged:
        assert en.flag(f, s, report) == f.reason  # the same words as the model's, from the same numbers
        assert ko.flag(f, s, report) != f.reason and not re.search(r"[a-z]{4,}", ko.flag(f, s, report))
    by_id = {s.id: s for s in report.students}
    med1, med3, eng1 = by_id["med1"], by_id["med3"], by_id["eng1"]
    assert ko.flag(med1.flags[0], med1, report) == "점수 하락: 90 → 64 → 50 (과제당 -20점)"
    assert ko.flag(med3.flags[0], med3, report) == "마감이 지났는데 제출하지 않은 과제 3개: a1, a2, a3"
    assert ko.flag(eng1.flags[0], eng1, report) == "가중 점수 46.7%가 기준 60% 미만"
    assert ko.flag(RiskFlag("other", "something new"), med1, report) == "something new"  # no words: its reason


def test_dates_as_each_reader_writes_them_in_the_course_time_zone():
    utc = "2026-11-23T14:59:00+00:00"
    assert words("ko").date(utc, "Asia/Seoul") == "2026년 11월 23일 23:59"
    assert words("en").date(utc, "Asia/Seoul") == "2026-11-23 23:59"
    assert words("ko").date(utc, "Asia/Seoul", time=False) == "2026년 11월 23일"
    assert words("ko").date(utc, "Asia/Seoul", year=False) == "11월 23일 23:59"
    assert words("ko").date(None, "Asia/Seoul") == ""


def test_titles_states_and_levels(report):
    ko, en = words("ko"), words("en")
    assert ko.title(report) == "의료인공지능 융합전공 실습" and en.title(report) == report.title
    assert ko.title(report.assignment("a1")) == "과제 a1" and en.title(report.assignment("a1")).startswith("Assignment A1")
    assert ko.state("late") == "미제출(마감 지남)" and en.state("late") == "late (missing)"
    assert ko.level("not_yet") == "미달" and en.level("not_yet") == "not yet"
    assert ko.track(report, "medicine") == "의학 트랙 (medicine)"
    assert words(None).lang == "ko" and words("en_US").lang == "en"


# -- Hangul in the PDF, not tofu --------------------------------------------------------------------------------

DPI = 150


def _word_boxes(pdf: Path, page: int) -> list[tuple[str, float, float, float, float]]:
    html = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    return [(m.group(5), *map(float, m.groups()[:4])) for m in re.finditer(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', html)]


def _ink(image, size=(96, 24)):
    """The image as a small black/white mask (1 = ink), for comparing glyph shapes."""
    from PIL import ImageOps

    box = ImageOps.invert(image.convert("L")).getbbox()
    if box is None:
        return [0] * (size[0] * size[1])
    return [1 if v < 160 else 0 for v in image.convert("L").crop(box).resize(size).tobytes()]


def _rendered(text: str, font_file: str, height: int):
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(font_file, height)
    image = Image.new("L", (height * (len(text) + 2), height * 2), 255)
    ImageDraw.Draw(image).text((height // 2, height // 3), text, font=font, fill=0)
    return image


def _distance(a, b) -> float:
    return sum(x != y for x, y in zip(a, b)) / len(a)


def test_the_korean_pdf_tables_show_hangul_glyphs_not_tofu(report, tmp_path):
    """A Korean competency title in a student's table, cropped from pdftoppm's rendering, looks like the same text
    set in NanumGothicCoding, not like it set in a font without Hangul (DejaVu Sans: boxes)."""
    from PIL import Image

    from medai.progress.reports.pdf import write_pdf

    nanum = Path("/usr/share/fonts/truetype/nanum/NanumGothicCoding.ttf")
    tofu = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    if not (nanum.is_file() and tofu.is_file()):
        pytest.skip("needs fonts-nanum and fonts-dejavu-core")
    pdf = write_pdf(report, tmp_path / "ko.pdf", lang="ko")
    word = "진단검사"  # STAT-2's Korean title, in med1's competency table (page 6)
    assert word in words("ko").competency_titles(report)["STAT-2"]
    boxes = [b for b in _word_boxes(pdf, 6) if b[0] == word]
    assert boxes, f"{word!r} is not in page 6's text layer"
    _, x0, y0, x1, y1 = boxes[0]
    subprocess.run(["pdftoppm", "-f", "6", "-l", "6", "-r", str(DPI), "-gray", str(pdf), str(tmp_path / "p")],
                   check=True)
    [page] = sorted(tmp_path.glob("p-*.pgm"))
    k = DPI / 72
    crop = Image.open(page).crop((int(x0 * k) - 2, int(y0 * k) - 2, int(x1 * k) + 2, int(y1 * k) + 2))
    seen = _ink(crop)
    assert sum(seen) > 40, "the word's box is empty"
    height = max(12, int((y1 - y0) * k))
    good, bad = _ink(_rendered(word, str(nanum), height)), _ink(_rendered(word, str(tofu), height))
    assert _distance(good, bad) > 0.1  # the two references differ (DejaVu Sans draws boxes)
    assert _distance(seen, good) < _distance(seen, bad), (
        f"{word!r} in the PDF looks like tofu: {_distance(seen, good):.2f} from Hangul, {_distance(seen, bad):.2f} from boxes")
