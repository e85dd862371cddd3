"""Exports of the fixture gradebook: golden CSV files (MEDAI_UPDATE_GOLDEN=1 rewrites them), the workbook read
back with openpyxl, the PDF rendered with pdftoppm, and the `medai report` commands."""
from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook

from medai.cli import main
from medai.progress.reports.csv_export import details_csv, summary_csv
from medai.progress.reports.lms import lms_csv
from medai.progress.reports.pdf import expected_pages, write_pdf
from medai.progress.reports.tables import DETAIL_COLUMNS, detail_columns, summary_columns
from medai.progress.reports.words import words
from medai.progress.reports.xlsx import write_xlsx
from medai.progress.sources import load_progress
from tests import progress_fixture as pf

GOLDEN = Path(__file__).parent / "golden" / "progress"
UPDATE = os.environ.get("MEDAI_UPDATE_GOLDEN") == "1"
# by hand, see tests/test_progress_model.py
WEIGHTED = {"med1": 67.0, "med2": 100.0, "med3": None, "eng1": 46.67, "eng2": 60.0}
STANDING = {"med1": 67.0, "med2": 100.0, "med3": 0.0, "eng1": 46.67, "eng2": 45.0}


@pytest.fixture(scope="module")
def fx(tmp_path_factory):
    return pf.build(tmp_path_factory.mktemp("exports"))


@pytest.fixture(scope="module")
def report(fx):
    return load_progress(course=fx.course, layout=fx.layout, as_of=pf.AS_OF)


def golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"{path} is missing: run with MEDAI_UPDATE_GOLDEN=1 to write it"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden file (MEDAI_UPDATE_GOLDEN=1)"


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("name, make", [
    ("details.csv", details_csv), ("students.csv", summary_csv),
    ("canvas.csv", lambda r: lms_csv(r, lms="canvas")), ("moodle.csv", lambda r: lms_csv(r, lms="moodle")),
])
def test_exports_equal_their_golden_files(report, name, make):
    golden(name, make(report))


def test_csv_numbers_equal_the_hand_computation(report):
    details = rows(details_csv(report))
    assert len(details) == 5 * 5 + 1  # one row per student x assignment of their track, + med1's old-hw
    [unlisted] = [r for r in details if r["assignment"] == "old-hw"]
    assert (unlisted["student"], unlisted["state"], unlisted["points"]) == ("med1", "not_in_course", "0")
    med1_a2 = next(r for r in details if (r["student"], r["assignment"]) == ("med1", "a2"))
    assert (med1_a2["score_percent"], med1_a2["days_late"], med1_a2["penalty_percent"], med1_a2["final_percent"]) == (
        "80", "2", "20", "64")
    summary = {r["student"]: r for r in rows(summary_csv(report))}
    for sid, value in WEIGHTED.items():
        assert summary[sid]["weighted_score"] == ("" if value is None else f"{value:g}"), sid
        assert summary[sid]["standing"] == f"{STANDING[sid]:g}", sid
    assert summary["med1"]["mastery:STAT-2"] == "72.67"  # (10*90 + 20*64) / 30
    assert summary["med3"]["at_risk"] == "yes" and summary["med2"]["at_risk"] == "no"


def test_lms_exports_give_points_after_the_penalty(report):
    canvas = list(csv.reader(io.StringIO(lms_csv(report, lms="canvas"))))
    header, points, *students = canvas
    assert header[:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert points[5:] == ["10", "20", "10", "10", "10", "10"]
    med1 = next(r for r in students if r[2] == "med1")
    assert med1[5:] == ["9", "12.8", "5", "", "", ""]  # a2: 64 % of 20 points
    zero = list(csv.reader(io.StringIO(lms_csv(report, lms="moodle", missing_as_zero=True))))
    med3 = next(r for r in zero if r[2] == "med3")
    assert med3[4:] == ["0", "0", "0", "", "", ""]


def column_index(ws, columns) -> dict[str, int]:
    """Column name -> index in the sheet, from its header of labels."""
    header = [c.value for c in ws[1]]
    return {c.name: header.index(c.label) for c in columns}


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_workbook_opens_and_its_totals_match(report, tmp_path, lang):
    w = words(lang)
    _ = w.gettext
    path = write_xlsx(report, tmp_path / "progress.xlsx", lang=lang)
    wb = load_workbook(path)
    titles = {t.id: w.title(t) for t in report.tracks}
    summaries = {t: _("Summary {track}").format(track=titles[t]) for t in ("medicine", "engineering")}
    assert wb.sheetnames == [summaries["medicine"], summaries["engineering"], _("Details"), _("About")]
    columns = summary_columns(report, w)
    labels = [c.label for c in columns]
    assert len(set(labels)) == len(labels) and len({c.label for c in detail_columns(w)}) == len(DETAIL_COLUMNS)
    for track, students in (("medicine", ["med1", "med2", "med3"]), ("engineering", ["eng1", "eng2"])):
        ws = wb[summaries[track]]
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref == f"A1:{ws.cell(1, ws.max_column).column_letter}{len(students) + 1}"
        assert [c.value for c in ws[1]] == labels
        col = column_index(ws, columns)
        data = [[c.value for c in row] for row in ws.iter_rows(min_row=2, max_row=len(students) + 1)]
        assert [r[0] for r in data] == students
        total = [c.value for c in ws[len(students) + 2]]
        assert total[0] == w.ngettext("average ({n} student)", "average ({n} students)", len(students)).format(
            n=len(students))
        scores = [WEIGHTED[s] for s in students if WEIGHTED[s] is not None]
        assert total[col["weighted_score"]] == pytest.approx(sum(scores) / len(scores), abs=0.01)
        assert total[col["weighted_score"]] == pytest.approx(
            sum(r[col["weighted_score"]] for r in data if r[col["weighted_score"]] is not None) / len(scores), abs=0.01)
        assert total[col["standing"]] == pytest.approx(sum(STANDING[s] for s in students) / len(students), abs=0.01)
        assert ws.cell(2, col["weighted_score"] + 1).number_format == '0.0"%"'
        rules = [rule for cf in ws.conditional_formatting for rule in cf.rules]
        assert any(f'="{w.yes_no(True)}"' in rule.formula[0] for rule in rules)  # at-risk rows coloured
        at_risk = {r[0]: r[col["at_risk"]] for r in data}
        assert set(at_risk.values()) <= {w.yes_no(True), w.yes_no(False)}
    med = wb[summaries["medicine"]]
    assert med.cell(4, 1).value == "med3"
    med_flags = med.cell(4, column_index(med, columns)["flags"] + 1).value
    med3 = next(s for s in report.students if s.id == "med3")
    assert med_flags == w.flag(med3.flags[0], med3, report)
    details = wb[_("Details")]
    assert details.max_row == 1 + 25 + 1 and details.freeze_panes == "A2"  # + med1's old-hw, not in course.yaml
    dcol = column_index(details, detail_columns(w))
    states = {(r[dcol["student"]], r[dcol["assignment"]]): r[dcol["state"]] for r in details.iter_rows(min_row=2, values_only=True)}
    assert states[("med3", "a1")] == w.state("late") and states[("med1", "old-hw")] == w.state("not_in_course")
    titles_a = {r[dcol["assignment"]]: r[dcol["title"]] for r in details.iter_rows(min_row=2, values_only=True)}
    assert titles_a["a1"] == w.title(report.assignment("a1"))
    # medicine: (67 + 100) / 2 = 83.5; engineering: (46.67 + 60) / 2 = 53.33
    assert med.cell(5, column_index(med, columns)["weighted_score"] + 1).value == pytest.approx(83.5)


def workbook_text(path: Path) -> str:
    """Every sheet's cells as tab-separated lines (what a reader sees, for the golden files)."""
    wb = load_workbook(path)
    out = []
    for ws in wb.worksheets:
        out.append(f"== {ws.title}")
        for row in ws.iter_rows(values_only=True):
            out.append("\t".join("" if v is None else str(v) for v in row).rstrip("\t"))
    return "\n".join(out) + "\n"


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_workbook_equals_its_golden_file(report, tmp_path, lang):
    golden(f"workbook-{lang}.txt", workbook_text(write_xlsx(report, tmp_path / "p.xlsx", lang=lang)))


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_pdf_text_equals_its_golden_file(report, tmp_path, lang):
    path = write_pdf(report, tmp_path / "p.pdf", lang=lang)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    golden(f"pdf-{lang}.txt", "\n".join(line.rstrip() for line in text.splitlines()) + "\n")


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_pdf_has_the_expected_pages_none_blank_and_hangul_embedded(report, tmp_path, lang):
    path = write_pdf(report, tmp_path / "progress.pdf", lang=lang)
    pages = expected_pages(report, lang)
    assert pages == 1 + 3 + 1 + 5  # cover, three plots, at-risk list, one per student
    subprocess.run(["pdftoppm", "-r", "20", "-gray", str(path), str(tmp_path / "page")], check=True)
    images = sorted(tmp_path.glob("page-*.pgm"))
    assert len(images) == pages
    from PIL import Image

    for image in images:
        histogram = Image.open(image).histogram()  # 256 grey levels
        dark = sum(histogram[:200])
        assert dark > 0.002 * sum(histogram), f"{image.name} is blank"
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    assert "NanumGothic" in fonts and "NanumGothicCoding" in fonts  # Hangul embedded, tables included
    assert "Courier" not in fonts  # no table row falls back to a core font that has no Hangul
    text = subprocess.run(["pdftotext", "-f", "6", "-l", "6", str(path), "-"], capture_output=True, text=True).stdout
    w = words(lang)
    for expected in ("김민준", "med1", "64.0", w.title(report.assignment("a2")), w.state("graded"),
                     w.competency_titles(report)["STAT-2"], w.level("developing")):
        assert expected in text, expected


def test_a_pdf_of_an_empty_selection_has_its_cohort_pages(report, tmp_path):
    empty = report.select(cohort="1999")
    path = write_pdf(empty, tmp_path / "empty.pdf")
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)$", info, re.M).group(1))
    assert pages == expected_pages(empty) == 5


def test_report_progress_speaks_korean_by_default_and_english_with_lang(capsys, env, tmp_path):
    for lang, args in (("ko", []), ("en", ["--lang", "en"])):
        out = tmp_path / f"p-{lang}.xlsx"
        code, _, _ = run(capsys, "report", "progress", "--format", "xlsx", *env, *args, "-o", str(out))
        assert code == 0
        assert load_workbook(out).sheetnames[-2:] == [words(lang).gettext("Details"), words(lang).gettext("About")]
    code, _, _ = run(capsys, "report", "progress", "--format", "csv", *env, "--lang", "en", "-o", str(tmp_path / "e.csv"))
    golden("details.csv", (tmp_path / "e.csv").read_text(encoding="utf-8-sig"))  # CSV: the same in every language


# -- the commands ------------------------------------------------------------------------------------------


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def env(fx, monkeypatch):
    monkeypatch.setenv("MEDAI_ROOT", str(fx.layout.root))
    monkeypatch.delenv("MEDAI_COURSE_DIR", raising=False)
    return ["--course", str(fx.course_file), "--as-of", "2026-10-01T12:00"]


def test_report_progress_writes_each_format(capsys, env, tmp_path):
    for fmt in ("csv", "xlsx", "json"):
        code, out, _ = run(capsys, "report", "progress", "--format", fmt, *env, "-o", str(tmp_path / f"p.{fmt}"))
        assert code == 0 and "5 students, 4 at risk" in out and "note: gradebook assignment(s)" in out
    assert (tmp_path / "p-students.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel reads Hangul
    golden("details.csv", (tmp_path / "p.csv").read_text(encoding="utf-8-sig"))
    code, out, _ = run(capsys, "report", "progress", "--format", "csv", *env, "--track", "engineering",
                       "--at-risk", "-o", str(tmp_path / "eng.csv"))
    assert code == 0 and "2 students, 2 at risk" in out
    assert {r["student"] for r in rows((tmp_path / "eng.csv").read_text(encoding="utf-8-sig"))} == {"eng1", "eng2"}


def test_report_lms(capsys, env, tmp_path):
    code, out, _ = run(capsys, "report", "lms", "--format", "canvas", *env, "-o", str(tmp_path / "c.csv"))
    assert code == 0 and "5 students x 6 assignments (canvas)" in out
    golden("canvas.csv", (tmp_path / "c.csv").read_text(encoding="utf-8"))


@pytest.mark.parametrize("args, message", [
    (["--track", "dentistry"], "no such student track; one of medicine, engineering"),
    (["--student", "nobody"], "'nobody' is not a student on the roster"),
    (["--cohort", "1999"], "no student matches the filters (cohorts on the roster: 2025, 2026)"),
    (["--as-of", "yesterday"], "give an ISO 8601 moment"),
])
def test_report_errors_are_clear(capsys, env, args, message, tmp_path):
    code, _, err = run(capsys, "report", "progress", "--format", "csv", *env, *args, "-o", str(tmp_path / "x.csv"))
    assert code == 2 and message in err
    assert not (tmp_path / "x.csv").exists()


def test_report_without_a_gradebook_is_a_clear_error(capsys, fx, tmp_path, monkeypatch):
    root = tmp_path / "root"
    shutil.copytree(fx.layout.root, root, ignore=shutil.ignore_patterns("gradebook.db"))
    monkeypatch.setenv("MEDAI_ROOT", str(root))
    code, _, err = run(capsys, "report", "progress", "--format", "csv", "--course", str(fx.course_file),
                       "-o", str(tmp_path / "x.csv"))
    assert code == 2 and f"no gradebook at {root}/course/gradebook.db" in err


def test_without_a_hangul_font_the_pdf_is_refused_with_the_fix(report, tmp_path, monkeypatch):
    from medai.errors import UserError
    from medai.progress.reports.plots import hangul_font

    monkeypatch.setenv("MEDAI_FONT", str(tmp_path / "missing.ttf"))
    hangul_font.cache_clear()
    try:
        with pytest.raises(UserError, match="apt-get install fonts-nanum"):
            write_pdf(report, tmp_path / "x.pdf")
    finally:
        monkeypatch.delenv("MEDAI_FONT")
        hangul_font.cache_clear()
