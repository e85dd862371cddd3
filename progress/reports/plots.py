"""The cohort plots, drawn with matplotlib on bare Figure objects (no pyplot: safe in the staff page's server).

- score distribution per assignment, by track (box plots of final scores, late penalty applied);
- completion over time, by track (share of the track's assignments submitted, against the due dates);
- competency heat map (mean mastery per competency, by track and cohort).

Korean names and labels need a Hangul font: Debian's fonts-nanum (NanumGothic), found by file path and
registered with font_manager.addfont, so no font cache has to be right; $MEDAI_FONT names another .ttf/.otf.
"""
from __future__ import annotations

import io
import math
from contextlib import contextmanager
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # before anything imports pyplot; medai never draws on a screen

from matplotlib import font_manager  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from medai.errors import UserError  # noqa: E402
from medai.settings import Settings  # noqa: E402
from medai.progress.model import ProgressReport  # noqa: E402
from medai.progress.reports.words import Words, words  # noqa: E402

HANGUL_FONTS = (
    "/usr/share/fonts/truetype/nanum/NanumGothic.ttf",
    "/usr/share/fonts/truetype/nanum/NanumBarunGothic.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)
TRACK_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2")
A4_LANDSCAPE = (11.69, 8.27)


@lru_cache(maxsize=None)
def hangul_font() -> str:
    """Register a Hangul font by its file path and return its family name; UserError if there is none."""
    font = Settings.from_env().font
    candidates = [str(font)] if font else list(HANGUL_FONTS)
    for path in candidates:
        if Path(path).is_file():
            font_manager.fontManager.addfont(path)
            bold = Path(path).with_name(Path(path).stem + "Bold" + Path(path).suffix)
            if bold.is_file():
                font_manager.fontManager.addfont(str(bold))
            return font_manager.FontProperties(fname=path).get_name()
    raise UserError(f"no Hangul font for the report's plots (looked for {', '.join(candidates)}): "
                    "install Debian's fonts-nanum (apt-get install fonts-nanum) or set MEDAI_FONT to a .ttf file")


@lru_cache(maxsize=None)
def hangul_mono_font() -> str:
    """A monospaced Hangul font (NanumGothicCoding: Hangul twice as wide as Latin) for aligned tables."""
    path = Path(HANGUL_FONTS[0]).with_name("NanumGothicCoding.ttf")
    if not path.is_file():
        return hangul_font()  # columns then align only roughly
    font_manager.fontManager.addfont(str(path))
    bold = path.with_name("NanumGothicCodingBold.ttf")
    if bold.is_file():
        font_manager.fontManager.addfont(str(bold))
    return font_manager.FontProperties(fname=str(path)).get_name()


@contextmanager
def report_style():
    """matplotlib settings for every report figure: the Hangul font, TrueType fonts embedded in PDFs."""
    with matplotlib.rc_context({
        "font.family": hangul_font(),
        "font.size": 9,
        "axes.unicode_minus": False,  # NanumGothic has no U+2212
        "pdf.fonttype": 42,
        # matplotlib 3.11's PDF writer sizes its font subsets by ps.fonttype (3: 256 glyphs a subset, so Hangul
        # spreads over many subset fonts and every text switches between them); 42: one subset per font
        "ps.fonttype": 42,
        "pdf.compression": 6,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }):
        yield


def track_colour(report: ProgressReport, track: str) -> str:
    tracks = report.student_tracks
    return TRACK_COLOURS[tracks.index(track) % len(TRACK_COLOURS)] if track in tracks else "#7f7f7f"


def _no_data(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="#555555")


def score_distribution(report: ProgressReport, w: Words) -> Figure:
    _ = w.gettext
    fig = Figure(figsize=A4_LANDSCAPE)
    ax = fig.add_subplot()
    tracks = report.student_tracks
    width = 0.8 / max(1, len(tracks))
    any_data = False
    for j, track in enumerate(tracks):
        data, positions = [], []
        for i, a in enumerate(report.assignments):
            scores = [r.final_percent for s in report.students if s.track == track for r in s.assignments
                      if r.assignment == a.id and r.state == "graded" and r.final_percent is not None]
            if scores:
                data.append(scores)
                positions.append(i + (j - (len(tracks) - 1) / 2) * width)
        if data:
            any_data = True
            colour = track_colour(report, track)
            ax.boxplot(data, positions=positions, widths=width * 0.9, patch_artist=True, manage_ticks=False,
                       boxprops={"facecolor": colour, "alpha": 0.45, "edgecolor": colour},
                       medianprops={"color": "black"}, flierprops={"markersize": 3})
            ax.plot([], [], color=colour, linewidth=8, alpha=0.45, label=w.track(report, track))
    ax.set_xticks(range(len(report.assignments)), [a.id for a in report.assignments], rotation=30, ha="right")
    ax.set_xlim(-0.6, max(0.6, len(report.assignments) - 0.4))
    ax.set_ylim(-2, 102)
    ax.set_xlabel(_("assignment"))
    ax.set_ylabel(_("final score % (late penalty applied)"))
    ax.set_title(_("Score distribution per assignment, by track"), fontsize=13)
    if any_data:
        ax.legend(loc="lower left")
    else:
        _no_data(ax, _("no graded work yet"))
    fig.subplots_adjust(bottom=0.2)
    return fig


def _parse(ts: str) -> datetime:
    return datetime.fromisoformat(ts)


def completion_over_time(report: ProgressReport, w: Words) -> Figure:
    """For each track: the share of all its students' required assignments submitted by each moment."""
    _ = w.gettext
    fig = Figure(figsize=A4_LANDSCAPE)
    ax = fig.add_subplot()
    as_of = _parse(report.as_of)
    tz = as_of.tzinfo
    start = min((_parse(a.release) for a in report.assignments), default=as_of)
    plotted = False
    for track in report.student_tracks:
        students = [s for s in report.students if s.track == track]
        required = sum(s.total for s in students)
        if not required:
            continue
        times = sorted(_parse(r.submitted_at).astimezone(tz) for s in students for r in s.assignments
                       if r.submitted and r.submitted_at and _parse(r.submitted_at) <= as_of)
        xs = [start, *times, as_of]
        ys = [0.0, *[100 * (i + 1) / required for i in range(len(times))], 100 * len(times) / required]
        ax.step(xs, ys, where="post", color=track_colour(report, track), label=w.track(report, track))
        plotted = True
    for a in report.assignments:
        due = _parse(a.due)
        if start <= due <= as_of:
            ax.axvline(due, color="#999999", linestyle=":", linewidth=0.8)
            ax.text(due, 101, a.id, rotation=90, fontsize=6, va="bottom", ha="center", color="#555555")
    ax.set_ylim(0, 100)
    ax.set_xlabel(_("date ({timezone})").format(timezone=report.timezone))
    ax.set_ylabel(_("assignments submitted, % of the track's required work"))
    ax.set_title(_("Completion over time, by track (dotted: due dates)"), fontsize=13, pad=40)
    if plotted:
        ax.legend(loc="upper left")
        fig.autofmt_xdate()
    else:
        _no_data(ax, _("no students"))
    return fig


def competency_groups(report: ProgressReport) -> list[tuple[str, str]]:
    return sorted({(s.track, s.cohort) for s in report.students})


def competency_matrix(report: ProgressReport) -> tuple[list[str], list[tuple[str, str]], list[list[float | None]]]:
    """(competency ids assessed by some assignment, (track, cohort) groups, mean mastery % per cell)."""
    assessed = {c for a in report.assignments for c in a.competencies}
    comps = [c.id for c in report.competencies if c.id in assessed]
    groups = competency_groups(report)
    matrix = []
    for comp in comps:
        row = []
        for track, cohort in groups:
            values = [m.percent for s in report.students if (s.track, s.cohort) == (track, cohort)
                      for m in s.competencies if m.competency == comp and m.percent is not None]
            row.append(sum(values) / len(values) if values else None)
        matrix.append(row)
    return comps, groups, matrix


def competency_heatmap(report: ProgressReport, w: Words) -> Figure:
    _ = w.gettext
    fig = Figure(figsize=A4_LANDSCAPE)
    ax = fig.add_subplot()
    comps, groups, matrix = competency_matrix(report)
    titles = w.competency_titles(report)
    if comps and groups:
        data = [[math.nan if v is None else v for v in row] for row in matrix]
        cmap = matplotlib.colormaps["RdYlGn"].with_extremes(bad="#dddddd")
        image = ax.imshow(data, cmap=cmap, vmin=0, vmax=100, aspect="auto")
        for i, row in enumerate(matrix):
            for j, v in enumerate(row):
                ax.text(j, i, "–" if v is None else f"{v:.0f}", ha="center", va="center", fontsize=8)
        ax.set_xticks(range(len(groups)), [_("{track}\ncohort {cohort}").format(track=w.track(report, t), cohort=c)
                                           for t, c in groups])
        ax.set_yticks(range(len(comps)), [f"{c} {titles.get(c, '')}" for c in comps])
        fig.colorbar(image, ax=ax, label=_("mean mastery %"))
    else:
        ax.set_axis_off()
        _no_data(ax, _("no competency assessed yet"))
    ax.set_title(_("Competency mastery by track and cohort (grey: not assessed)"), fontsize=13)
    fig.subplots_adjust(left=0.3)
    return fig


COHORT_PLOTS = {
    "scores": score_distribution,
    "completion": completion_over_time,
    "competencies": competency_heatmap,
}


def png(fig: Figure, *, dpi: int = 80) -> bytes:
    """The figure as PNG bytes (for the staff page)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def plot_png(report: ProgressReport, name: str, *, dpi: int = 80, lang: str = "ko") -> bytes:
    """One cohort plot as PNG, its titles, axes and legend in `lang`."""
    with report_style():
        return png(COHORT_PLOTS[name](report, words(lang)), dpi=dpi)
