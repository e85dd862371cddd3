"""The PDF report: cohort pages with plots, the at-risk list, then one page per student.

Pages, in order (`expected_pages` counts them):
  1. cover: course, moment, a line per track, the state of every assignment;
  2. score distribution per assignment by track;  3. completion over time;  4. competency heat map;
  5. at-risk students with their reasons (as many pages as needed, at least one);
  then one A4 page per student: summary, flags, every assignment of their track, score and mastery bars.

Student pages reuse one figure per track (only texts and bar lengths change) and set their tables in
NanumGothicCoding, each row written whole (see _FastText), so 1,000 pages take seconds rather than minutes, with
Hangul (names, Korean titles, states) in every table.

Everything a person reads is in the chosen language (`lang`: ko by default, en): medai.progress.reports.words.
"""
from __future__ import annotations

import functools
import logging
import math
from pathlib import Path

import matplotlib
from matplotlib.backends.backend_pdf import Op, PdfPages, RendererPdf
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.font_manager import FontPath
from matplotlib.lines import Line2D
from matplotlib.text import Text

from medai.progress.model import ProgressReport, StudentProgress
from medai.progress.reports.plots import COHORT_PLOTS, hangul_mono_font, report_style, track_colour
from medai.progress.reports.tables import by_state, track_summaries
from medai.progress.reports.text_width import width as text_width
from medai.progress.reports.words import Words, words

A4_PORTRAIT = (8.27, 11.69)
BOLD = 600  # NanumGothicBold's weight (matplotlib's "bold" is 700 and would log a fallback every time)
RISK_LINES_PER_PAGE = 34
STATES = ("not_released", "released", "fetched", "submitted", "late", "graded", "needs_manual_grading",
          "not_in_course")


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{v:.1f}%"


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _wrap(text: str, width: int) -> list[str]:
    """Lines of at most `width` columns (Hangul counts double), broken at spaces."""
    words, lines, line = text.split(" "), [], ""
    for w in words:
        if line and text_width(line) + 1 + text_width(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    return lines + ([line] if line else [])


def _risk_lines(report: ProgressReport, w: Words) -> list[tuple[str, str, str]]:
    """(student column, reason, colour) lines of the at-risk list."""
    out = []
    for s in report.students:
        if not s.flags:
            continue
        who = f"{s.id}  {s.name}  ·  {s.track} {s.cohort}"
        for i, f in enumerate(s.flags):
            for j, part in enumerate(_wrap(w.flag(f, s, report), 70)):
                out.append((who if i == 0 and j == 0 else "", part, "#b00020"))
    return out


def risk_pages(report: ProgressReport, lang: str = "ko") -> int:
    return max(1, math.ceil(len(_risk_lines(report, words(lang))) / RISK_LINES_PER_PAGE))


def expected_pages(report: ProgressReport, lang: str = "ko") -> int:
    """How many pages write_pdf writes for this report in `lang` (reasons wrap differently)."""
    return 1 + len(COHORT_PLOTS) + risk_pages(report, lang) + len(report.students)


def _cover(report: ProgressReport, w: Words) -> Figure:
    _ = w.gettext
    fig = Figure(figsize=A4_PORTRAIT)
    fig.text(0.06, 0.95, w.title(report), fontsize=18, weight=BOLD)
    fig.text(0.06, 0.925, _("{id} · term {term}").format(id=report.course_id, term=report.term), fontsize=11)
    fig.text(0.06, 0.905, w.ngettext("Progress report as of {moment} ({timezone}) · {n} student",
                                     "Progress report as of {moment} ({timezone}) · {n} students",
                                     len(report.students)).format(
        moment=w.date(report.as_of, report.timezone), timezone=report.timezone, n=len(report.students)), fontsize=10)
    y = 0.86
    fig.text(0.06, y, _("By track"), fontsize=12, weight=BOLD)
    cols = (0.06, 0.36, 0.48, 0.62, 0.76, 0.88)
    for x, h in zip(cols, (_("track"), _("students"), _("mean score"), _("mean standing"), _("completion"),
                           _("at risk"))):
        fig.text(x, y - 0.025, h, fontsize=9, weight=BOLD)
    for i, t in enumerate(track_summaries(report)):
        yy = y - 0.045 - 0.018 * i
        for x, v in zip(cols, (w.track(report, t.track), str(t.students), _pct(t.weighted_score),
                               _pct(t.standing), _pct(t.completion_percent), str(t.at_risk))):
            fig.text(x, yy, v, fontsize=9)
    y = y - 0.07 - 0.018 * len(report.student_tracks)
    fig.text(0.06, y, _("Assignments (students per state)"), fontsize=12, weight=BOLD)
    xs = [0.06, 0.17] + [0.33 + 0.08 * i for i in range(len(STATES))]
    header = [_("assignment"), _("due")] + [w.state(st) for st in STATES]
    for x, h in zip(xs, header):  # state names on up to two lines, so neighbours never overlap
        fig.text(x, y - 0.03, "\n".join(_wrap(h, 12)[:2]), fontsize=6.5, weight=BOLD, va="bottom")
    counts = by_state(report)
    step = min(0.018, 0.5 / max(1, len(report.assignments)))
    for i, a in enumerate(report.assignments):
        yy = y - 0.045 - step * i
        values = [_short(a.id, 26), w.date(a.due, report.timezone, time=False)] + [
            str(counts[a.id].get(st, "")) for st in STATES]
        for x, v in zip(xs, values):
            fig.text(x, yy, v, fontsize=7)
    if not report.assignments:
        fig.text(0.06, y - 0.045, _("course.yaml lists no assignment yet"), fontsize=9)
    notes = list(report.warnings)
    if not report.homes_readable:
        notes.append(_("students' homes were not readable: fetched assignments are shown as released"))
    for i, note in enumerate(notes[:8]):
        fig.text(0.06, 0.12 - 0.015 * i, _short(_("note: {text}").format(text=note), 120), fontsize=7,
                 color="#8a5a00")
    return fig


def _risk_page(report: ProgressReport, w: Words, lines: list, page: int, pages: int) -> Figure:
    _ = w.gettext
    fig = Figure(figsize=A4_PORTRAIT)
    at_risk = sum(s.at_risk for s in report.students)
    title = _("Students at risk: {n} of {total}").format(n=at_risk, total=len(report.students))
    if pages > 1:
        title += "  " + _("(page {page}/{pages})").format(page=page, pages=pages)
    fig.text(0.06, 0.95, title, fontsize=14, weight=BOLD)
    if not lines:
        fig.text(0.06, 0.9, _("No student is at risk."), fontsize=11)
    for i, (who, reason, colour) in enumerate(lines):
        y = 0.91 - 0.025 * i
        fig.text(0.06, y, who, fontsize=8, weight=BOLD)
        fig.text(0.42, y, reason, fontsize=8, color=colour)
    return fig


class _FastText(Text):
    """A left-aligned text of a student's page (a table row: NanumGothicCoding, monospaced, Hangul twice as wide as
    Latin; a title: NanumGothic), written into the PDF whole.

    matplotlib lays out every glyph of a TrueType text one by one, with kerning (about 15 us a glyph; 1,000
    students' pages: a minute and more). A left-aligned line needs none of that: its glyphs are looked up in the
    font once, recorded for the embedded subset as matplotlib records them, and shown with one text operator (the
    PDF viewer advances by the embedded font's own widths), the way matplotlib writes a core-font string; its size
    for the layout is its columns times the font's measured advance. Anything else (another renderer, a glyph the
    font lacks, a rotated or math text) goes through matplotlib's own draw_text."""

    def set_row(self, text: str) -> None:
        self.set_text(text)

    def draw(self, renderer):
        pdf = getattr(renderer, "_renderer", renderer)  # savefig's MixedModeRenderer wraps the PDF renderer
        if not isinstance(pdf, RendererPdf) or "draw_text" in vars(renderer):
            return super().draw(renderer)
        # for this artist only: the row's glyphs written whole, its size from the monospaced advance
        renderer.draw_text = functools.partial(_draw_row, pdf)
        renderer.get_text_width_height_descent = functools.partial(_row_metrics, pdf)
        try:
            return super().draw(renderer)
        finally:
            del renderer.draw_text, renderer.get_text_width_height_descent


def _row_metrics(renderer: RendererPdf, s, prop, ismath):
    """(width, height, descent) of a row: `text_width(s)` columns of the font's measured advance (FreeType would
    shape the whole row again, a millisecond each), the height and descent of the font at that size."""
    if ismath:
        return RendererPdf.get_text_width_height_descent(renderer, s, prop, ismath)
    key = (prop.get_size_in_points(), prop.get_weight(), tuple(prop.get_family()))
    cache = renderer.file.__dict__.setdefault("_medai_row_metrics", {})
    if key not in cache:
        column, _, _ = RendererPdf.get_text_width_height_descent(renderer, "0" * 20, prop, False)
        _, height, descent = RendererPdf.get_text_width_height_descent(renderer, "가Ayg|", prop, False)
        cache[key] = (column / 20, height, descent)
    column, height, descent = cache[key]
    return text_width(s) * column, height, descent


def _draw_row(renderer: RendererPdf, gc, x, y, s, prop, angle, ismath=False, mtext=None):
    fonttype = matplotlib.rcParams["pdf.fonttype"]
    if ismath or angle or fonttype != 42 or matplotlib.rcParams["pdf.use14corefonts"]:
        return RendererPdf.draw_text(renderer, gc, x, y, s, prop, angle, ismath=ismath, mtext=mtext)
    font = renderer._get_font_ttf(prop)
    path = FontPath(font.fname, font.face_index)
    # (font file, character) -> (subset, code): what matplotlib's character tracker gives, asked once per character
    codes = renderer.file.__dict__.setdefault("_medai_row_codes", {})
    fname = str(font.fname)
    tracked = []
    for ch in s:
        code = codes.get((fname, ch))
        if code is None:
            glyph = font.get_char_index(ord(ch))
            if not glyph:  # a character NanumGothicCoding lacks: let matplotlib find a fallback font
                return RendererPdf.draw_text(renderer, gc, x, y, s, prop, angle, ismath=ismath, mtext=mtext)
            code = codes[(fname, ch)] = renderer.file._character_tracker.track_glyph(font, ch, glyph)
        tracked.append(code)
    subsets = {subset for subset, _ in tracked}
    if len(subsets) != 1:  # more than one font subset (see report_style's ps.fonttype): matplotlib's own way
        return RendererPdf.draw_text(renderer, gc, x, y, s, prop, angle, ismath=ismath, mtext=mtext)
    renderer.check_gc(gc, gc._rgb)
    name = renderer.file.fontName(path, subsets.pop())
    renderer.file.output(Op.begin_text, name, prop.get_size_in_points(), Op.selectfont)
    renderer._setup_textpos(x, y, 0)
    renderer.file.output(renderer._encode_glyphs([code for _, code in tracked], fonttype), Op.show, Op.end_text)


def _text(fig: Figure, x: float, y: float, text: str, **kw) -> Text:
    """fig.text, drawn the fast way (_FastText): the student pages' texts, a thousand times over."""
    return fig.add_artist(_FastText(x, y, text, **kw))


def _cells(values: tuple[str, ...], widths: tuple[int, ...]) -> str:
    """Values padded to fixed widths for a monospaced font (Hangul counts double)."""
    out = []
    for v, w in zip(values, widths):
        if text_width(v) > w:
            while text_width(v) > w - 1:
                v = v[:-1]
            v += "~"
        out.append(v + " " * (w - text_width(v)))
    return " ".join(out).rstrip()


class _Table:
    """Rows of fixed-width text, each with a bar beside it (all bars in one collection)."""

    BAR_X, BAR_W = 0.78, 0.16

    def __init__(self, fig: Figure, *, top: float, header: tuple[str, ...], widths: tuple[int, ...], rows: int,
                 colour: str, bar_label: str, pale: bool = False):
        self.fig, self.top, self.widths = fig, top, widths
        self.step = min(0.016, 0.36 / max(1, rows))
        size = 7 if self.step >= 0.012 else 5
        head = fig.add_artist(_FastText(0.06, top, "", fontsize=size, weight="bold", fontfamily=hangul_mono_font()))
        head.set_row(_cells(header, widths))
        _text(fig, self.BAR_X, top, bar_label, fontsize=6.5, weight=BOLD)
        self.rows = []
        for i in range(rows):
            text = fig.add_artist(_FastText(0.06, self.y(i), "", fontsize=size, fontfamily=hangul_mono_font()))
            self.rows.append(text)
        self.pale = fig.add_artist(PolyCollection([], facecolors=colour, alpha=0.25)) if pale else None
        self.bars = fig.add_artist(PolyCollection([], facecolors=colour))
        for v, c in ((0, "#999999"), (50, "#dddddd"), (100, "#999999")):
            self.mark(v, c)

    def y(self, i: int) -> float:
        return self.top - self.step * (i + 1)

    @property
    def bottom(self) -> float:
        return self.y(len(self.rows))

    def mark(self, value: float, colour: str) -> None:
        x = self.BAR_X + self.BAR_W * value / 100
        self.fig.add_artist(Line2D([x, x], [self.bottom + 0.5 * self.step, self.top - 0.2 * self.step],
                                   color=colour, linewidth=0.6, linestyle=":"))

    def _verts(self, values: list[float | None]):
        out = []
        for i, v in enumerate(values):
            y0, w = self.y(i) - 0.1 * self.step, self.BAR_W * (v or 0) / 100
            out.append([(self.BAR_X, y0), (self.BAR_X + w, y0), (self.BAR_X + w, y0 + 0.65 * self.step),
                        (self.BAR_X, y0 + 0.65 * self.step)])
        return out

    def fill(self, rows: list[tuple[str, ...]], alert: list[bool], bars: list[float | None],
             pale: list[float | None] | None = None) -> None:
        for text, values, bad in zip(self.rows, rows, alert):
            text.set_row(_cells(values, self.widths))
            text.set_color("#b00020" if bad else "black")
        self.bars.set_verts(self._verts(bars))
        if self.pale is not None and pale is not None:
            self.pale.set_verts(self._verts(pale))


class _StudentPage:
    """One reusable figure for the students of a track: the same tables, new texts and bar lengths."""

    def __init__(self, report: ProgressReport, w: Words, track: str, sample: StudentProgress):
        _ = w.gettext
        self.w = w
        self.fig = fig = Figure(figsize=A4_PORTRAIT)
        self.comp_ids = [m.competency for m in sample.competencies]
        self.titles = w.competency_titles(report)
        self.assignment_titles = {a.id: w.title(a) for a in report.assignments}
        self.title = _text(fig, 0.06, 0.955, "", fontsize=16, weight=BOLD)
        self.subtitle = _text(fig, 0.06, 0.935, "", fontsize=9)
        self.summary = _text(fig, 0.06, 0.905, "", fontsize=10)
        self.flags = _text(fig, 0.06, 0.885, "", fontsize=8.5, color="#b00020", va="top", linespacing=1.5)
        colour = track_colour(report, track)
        id_width = max([10, *(len(a.assignment) for a in sample.assignments)])
        _text(fig, 0.06, 0.82, _("Assignments (times in {timezone})").format(timezone=report.timezone), fontsize=11,
                 weight=BOLD)
        self.assignments = _Table(
            fig, top=0.8, header=(_("assignment"), _("title"), _("state"), _("submitted"), _("score"), _("late"),
                                  _("final")),
            widths=(id_width, 46, 16, 14, 5, 9, 5), rows=len(sample.assignments), colour=colour,
            bar_label=_("final score (pale: before late penalty)"), pale=True)
        top = self.assignments.bottom - 0.06
        _text(fig, 0.06, top + 0.02, _("Competency mastery"), fontsize=11, weight=BOLD)
        self.competencies = _Table(
            fig, top=top, header=(_("code"), _("competency"), _("mastery"), _("level"), _("graded work counted")),
            widths=(8, 46, 7, 12, 20), rows=len(self.comp_ids), colour=colour, bar_label=_("mastery (%)"))
        self.competencies.mark(report.thresholds.developing, "#ff7f0e")
        self.competencies.mark(report.thresholds.mastered, "#2ca02c")
        self.footer = _text(fig, 0.06, 0.015, "", fontsize=7, color="#555555")

    def fill(self, report: ProgressReport, s: StudentProgress) -> Figure:
        w = self.w
        _ = w.gettext
        self.title.set_text(f"{s.name}  ({s.id})")
        self.subtitle.set_text(_("{track} · cohort {cohort} · {email} · as of {moment}").format(
            track=w.track(report, s.track), cohort=s.cohort, email=s.email, moment=w.date(report.as_of, report.timezone)))
        completion = f"{s.completed}/{s.total}" + (f" ({100 * s.completion:.0f}%)" if s.completion is not None else "")
        self.summary.set_text(_("weighted score {score} · standing {standing} · completion {completion}").format(
            score=_pct(s.weighted_score), standing=_pct(s.standing), completion=completion))
        self.flags.set_text("\n".join(_short("! " + w.flag(f, s, report), 110) for f in s.flags[:4]) or _("no at-risk flag"))
        self.flags.set_color("#b00020" if s.flags else "#2ca02c")
        self.assignments.fill(
            [(a.assignment, self.assignment_titles.get(a.assignment, a.title), w.state(a.state),
              w.date(a.submitted_at, report.timezone, year=False),
              "" if a.score_percent is None else f"{a.score_percent:5.1f}",
              _("{days}d -{percent}%").format(days=a.days_late, percent=f"{a.penalty_percent:g}") if a.days_late
              else "",
              "" if a.final_percent is None else f"{a.final_percent:5.1f}") for a in s.assignments],
            [a.state == "late" for a in s.assignments],
            [a.final_percent for a in s.assignments], pale=[a.score_percent for a in s.assignments])
        mastery = {m.competency: m for m in s.competencies}
        ms = [mastery[c] for c in self.comp_ids]
        self.competencies.fill(
            [(m.competency, self.titles.get(m.competency, ""), "-" if m.percent is None else f"{m.percent:5.1f}%",
              w.level(m.level), ", ".join(m.assessed_by)) for m in ms],
            [False] * len(ms), [m.percent for m in ms])
        self.footer.set_text(f"{report.course_id} · {s.id}")
        return self.fig


def write_pdf(report: ProgressReport, path: str | Path, *, lang: str = "ko") -> Path:
    """The PDF in `lang` (ko, en): every title, header, state and reason in it; Hangul in every table."""
    w = words(lang)
    _ = w.gettext
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # fontTools reports every hinting table it drops while subsetting NanumGothic: noise, not a problem
    logging.getLogger("fontTools.subset").setLevel(logging.ERROR)
    title = _("{id} progress {date}").format(id=report.course_id, date=w.date(report.as_of, report.timezone, time=False))
    with report_style(), PdfPages(path, metadata={"Title": title, "Creator": "medai report progress"}) as pdf:
        pdf.savefig(_cover(report, w))
        for make in COHORT_PLOTS.values():
            pdf.savefig(make(report, w))
        lines = _risk_lines(report, w)
        pages = max(1, math.ceil(len(lines) / RISK_LINES_PER_PAGE))
        for p in range(pages):
            pdf.savefig(_risk_page(report, w, lines[p * RISK_LINES_PER_PAGE:(p + 1) * RISK_LINES_PER_PAGE], p + 1,
                                   pages))
        templates: dict[str, _StudentPage] = {}
        for s in report.students:
            page = templates.get(s.track)
            if page is None:
                page = templates[s.track] = _StudentPage(report, w, s.track, s)
            pdf.savefig(page.fill(report, s))
    return path
