"""The PDF report: cohort pages with plots, the at-risk list, then one page per student.

Pages, in order (`expected_pages` counts them):
  1. cover: course, moment, a line per track, the state of every assignment;
  2. score distribution per assignment by track;  3. completion over time;  4. competency heat map;
  5. at-risk students with their reasons (as many pages as needed, at least one);
  then one A4 page per student: summary, flags, every assignment of their track, score and mastery bars.

Student pages reuse one figure per track (only texts and bar lengths change) and set their tables in a PDF
core font (see _CoreText), so 1,000 pages take seconds rather than a minute and a half.
"""
from __future__ import annotations

import logging
import math
import unicodedata
from pathlib import Path

import matplotlib
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text

from medai.progress.model import ProgressReport, StudentProgress
from medai.progress.reports.plots import (
    COHORT_PLOTS,
    _track_label,
    hangul_mono_font,
    report_style,
    track_colour,
)
from medai.progress.reports.tables import by_state, local_time, track_summaries

A4_PORTRAIT = (8.27, 11.69)
BOLD = 600  # NanumGothicBold's weight (matplotlib's "bold" is 700 and would log a fallback every time)
RISK_LINES_PER_PAGE = 34
STATE_LABELS = {"not_released": "not released", "released": "released", "fetched": "fetched",
                "submitted": "submitted", "late": "LATE (missing)", "graded": "graded",
                "needs_manual_grading": "manual grading", "not_in_course": "not in course.yaml"}


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{v:.1f}%"


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _wrap(text: str, width: int) -> list[str]:
    words, lines, line = text.split(" "), [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    return lines + ([line] if line else [])


def _risk_lines(report: ProgressReport) -> list[tuple[str, str, str]]:
    """(student column, reason, colour) lines of the at-risk list."""
    out = []
    for s in report.students:
        if not s.flags:
            continue
        who = f"{s.id}  {s.name}  ·  {s.track} {s.cohort}"
        for i, f in enumerate(s.flags):
            for j, part in enumerate(_wrap(f.reason, 70)):
                out.append((who if i == 0 and j == 0 else "", part, "#b00020"))
    return out


def risk_pages(report: ProgressReport) -> int:
    return max(1, math.ceil(len(_risk_lines(report)) / RISK_LINES_PER_PAGE))


def expected_pages(report: ProgressReport) -> int:
    """How many pages write_pdf writes for this report."""
    return 1 + len(COHORT_PLOTS) + risk_pages(report) + len(report.students)


def _cover(report: ProgressReport) -> Figure:
    fig = Figure(figsize=A4_PORTRAIT)
    fig.text(0.06, 0.95, report.title_ko, fontsize=18, weight=BOLD)
    fig.text(0.06, 0.925, f"{report.title} · {report.course_id} · term {report.term}", fontsize=11)
    fig.text(0.06, 0.905, f"진도 보고서 · Progress report as of {report.as_of[:16].replace('T', ' ')} "
                          f"({report.timezone}) · {len(report.students)} students", fontsize=10)
    y = 0.86
    fig.text(0.06, y, "트랙별 요약 · By track", fontsize=12, weight=BOLD)
    cols = (0.06, 0.36, 0.48, 0.62, 0.76, 0.88)
    for x, h in zip(cols, ("track", "students", "mean score", "mean standing", "completion", "at risk")):
        fig.text(x, y - 0.025, h, fontsize=9, weight=BOLD)
    for i, t in enumerate(track_summaries(report)):
        yy = y - 0.045 - 0.018 * i
        for x, v in zip(cols, (_track_label(report, t.track), str(t.students), _pct(t.weighted_score),
                               _pct(t.standing), _pct(t.completion_percent), str(t.at_risk))):
            fig.text(x, yy, v, fontsize=9)
    y = y - 0.07 - 0.018 * len(report.student_tracks)
    fig.text(0.06, y, "과제 현황 · Assignments (students per state)", fontsize=12, weight=BOLD)
    states = list(STATE_LABELS)
    xs = [0.06, 0.21] + [0.31 + 0.085 * i for i in range(len(states))]
    header = ["assignment", "due"] + [STATE_LABELS[s].replace(" (missing)", "") for s in states]
    for x, h in zip(xs, header):
        fig.text(x, y - 0.025, h, fontsize=7, weight=BOLD)
    counts = by_state(report)
    step = min(0.018, 0.5 / max(1, len(report.assignments)))
    for i, a in enumerate(report.assignments):
        yy = y - 0.045 - step * i
        values = [_short(a.id, 26), a.due[:10]] + [str(counts[a.id].get(s, "")) for s in states]
        for x, v in zip(xs, values):
            fig.text(x, yy, v, fontsize=7)
    if not report.assignments:
        fig.text(0.06, y - 0.045, "course.yaml lists no assignment yet", fontsize=9)
    notes = list(report.warnings)
    if not report.homes_readable:
        notes.append("students' homes were not readable: fetched assignments are shown as released")
    for i, w in enumerate(notes[:8]):
        fig.text(0.06, 0.12 - 0.015 * i, _short(f"note: {w}", 120), fontsize=7, color="#8a5a00")
    return fig


def _risk_page(report: ProgressReport, lines: list, page: int, pages: int) -> Figure:
    fig = Figure(figsize=A4_PORTRAIT)
    at_risk = sum(s.at_risk for s in report.students)
    fig.text(0.06, 0.95, f"위험 학생 · Students at risk: {at_risk} of {len(report.students)}"
                         + (f"  (page {page}/{pages})" if pages > 1 else ""), fontsize=14, weight=BOLD)
    if not lines:
        fig.text(0.06, 0.9, "No student is at risk. · 위험 학생 없음", fontsize=11)
    for i, (who, reason, colour) in enumerate(lines):
        y = 0.91 - 0.025 * i
        fig.text(0.06, y, who, fontsize=8, weight=BOLD)
        fig.text(0.42, y, reason, fontsize=8, color=colour)
    return fig


class _CoreText(Text):
    """Text drawn with a PDF core font (Courier, not embedded) when it is Latin-1, else NanumGothicCoding.

    matplotlib lays out and embeds every glyph of a TrueType text one by one (about 15 us a glyph); a core
    font string goes into the PDF whole. Table rows are mostly ASCII, so a student's page costs ~5 ms instead
    of ~60 ms. pdf.use14corefonts is read while drawing, so it is switched on around this artist only."""

    def set_row(self, text: str) -> None:
        try:
            text.encode("latin-1")
            core = True
        except UnicodeEncodeError:
            core = False
        self._core = core
        self.set_fontfamily("Courier" if core else hangul_mono_font())
        self.set_text(text)

    def draw(self, renderer):
        if not getattr(self, "_core", False):
            return super().draw(renderer)
        previous = matplotlib.rcParams["pdf.use14corefonts"]
        matplotlib.rcParams["pdf.use14corefonts"] = True
        try:
            return super().draw(renderer)
        finally:
            matplotlib.rcParams["pdf.use14corefonts"] = previous


def _cells(values: tuple[str, ...], widths: tuple[int, ...]) -> str:
    """Values padded to fixed widths for a monospaced font (Hangul counts double)."""
    out = []
    for v, w in zip(values, widths):
        if _width(v) > w:
            while _width(v) > w - 1:
                v = v[:-1]
            v += "~"
        out.append(v + " " * (w - _width(v)))
    return " ".join(out).rstrip()


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


class _Table:
    """Rows of fixed-width text, each with a bar beside it (all bars in one collection)."""

    BAR_X, BAR_W = 0.78, 0.16

    def __init__(self, fig: Figure, *, top: float, header: tuple[str, ...], widths: tuple[int, ...], rows: int,
                 colour: str, bar_label: str, pale: bool = False):
        self.fig, self.top, self.widths = fig, top, widths
        self.step = min(0.016, 0.36 / max(1, rows))
        size = 7 if self.step >= 0.012 else 5
        head = fig.add_artist(_CoreText(0.06, top, "", fontsize=size, weight="bold"))
        head.set_row(_cells(header, widths))
        fig.text(self.BAR_X, top, bar_label, fontsize=6.5, weight=BOLD)
        self.rows = []
        for i in range(rows):
            text = fig.add_artist(_CoreText(0.06, self.y(i), "", fontsize=size, weight="medium"))
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

    def __init__(self, report: ProgressReport, track: str, sample: StudentProgress):
        self.fig = fig = Figure(figsize=A4_PORTRAIT)
        self.comp_ids = [m.competency for m in sample.competencies]
        self.titles = {c.id: c.title for c in report.competencies}
        self.title = fig.text(0.06, 0.955, "", fontsize=16, weight=BOLD)
        self.subtitle = fig.text(0.06, 0.935, "", fontsize=9)
        self.summary = fig.text(0.06, 0.905, "", fontsize=10)
        self.flags = fig.text(0.06, 0.885, "", fontsize=8.5, color="#b00020", va="top", linespacing=1.5)
        colour = track_colour(report, track)
        id_width = max([10, *(len(a.assignment) for a in sample.assignments)])
        fig.text(0.06, 0.82, f"과제 · Assignments (times in {report.timezone})", fontsize=11, weight=BOLD)
        self.assignments = _Table(
            fig, top=0.8, header=("assignment", "title", "state", "submitted", "score", "late", "final"),
            widths=(id_width, 26, 14, 11, 5, 8, 5), rows=len(sample.assignments), colour=colour,
            bar_label="final score (pale: before late penalty)", pale=True)
        top = self.assignments.bottom - 0.06
        fig.text(0.06, top + 0.02, "역량 성취도 · Competency mastery", fontsize=11, weight=BOLD)
        self.competencies = _Table(
            fig, top=top, header=("code", "competency", "mastery", "level", "graded work counted"),
            widths=(8, 34, 7, 12, 20), rows=len(self.comp_ids), colour=colour, bar_label="mastery (%)")
        self.competencies.mark(report.thresholds.developing, "#ff7f0e")
        self.competencies.mark(report.thresholds.mastered, "#2ca02c")
        self.footer = fig.text(0.06, 0.015, "", fontsize=7, color="#555555")

    def fill(self, report: ProgressReport, s: StudentProgress) -> Figure:
        self.title.set_text(f"{s.name}  ({s.id})")
        self.subtitle.set_text(f"{_track_label(report, s.track)} · cohort {s.cohort} · {s.email} · "
                               f"as of {report.as_of[:16].replace('T', ' ')}")
        completion = f"{s.completed}/{s.total}" + (f" ({100 * s.completion:.0f}%)" if s.completion is not None else "")
        self.summary.set_text(f"weighted score {_pct(s.weighted_score)} · standing {_pct(s.standing)} · "
                              f"completion {completion}")
        self.flags.set_text("\n".join(_short(f"! {f.reason}", 110) for f in s.flags[:4])
                            or "no at-risk flag · 위험 신호 없음")
        self.flags.set_color("#b00020" if s.flags else "#2ca02c")
        self.assignments.fill(
            [(a.assignment, a.title, STATE_LABELS[a.state],
              (local_time(a.submitted_at, report.timezone) or "")[5:16].replace("T", " "),
              "" if a.score_percent is None else f"{a.score_percent:5.1f}",
              f"{a.days_late}d -{a.penalty_percent:g}%" if a.days_late else "",
              "" if a.final_percent is None else f"{a.final_percent:5.1f}") for a in s.assignments],
            [a.state == "late" for a in s.assignments],
            [a.final_percent for a in s.assignments], pale=[a.score_percent for a in s.assignments])
        mastery = {m.competency: m for m in s.competencies}
        ms = [mastery[c] for c in self.comp_ids]
        self.competencies.fill(
            [(m.competency, self.titles.get(m.competency, ""), "-" if m.percent is None else f"{m.percent:5.1f}%",
              m.level.replace("_", " "), ", ".join(m.assessed_by)) for m in ms],
            [False] * len(ms), [m.percent for m in ms])
        self.footer.set_text(f"{report.course_id} · {s.id}")
        return self.fig


def write_pdf(report: ProgressReport, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # fontTools reports every hinting table it drops while subsetting NanumGothic: noise, not a problem
    logging.getLogger("fontTools.subset").setLevel(logging.ERROR)
    with report_style(), PdfPages(path, metadata={"Title": f"{report.course_id} progress {report.as_of[:10]}",
                                                  "Creator": "medai report progress"}) as pdf:
        pdf.savefig(_cover(report))
        for make in COHORT_PLOTS.values():
            pdf.savefig(make(report))
        lines = _risk_lines(report)
        pages = risk_pages(report)
        for p in range(pages):
            pdf.savefig(_risk_page(report, lines[p * RISK_LINES_PER_PAGE:(p + 1) * RISK_LINES_PER_PAGE], p + 1, pages))
        templates: dict[str, _StudentPage] = {}
        for s in report.students:
            page = templates.get(s.track)
            if page is None:
                page = templates[s.track] = _StudentPage(report, s.track, s)
            pdf.savefig(page.fill(report, s))
    return path

