"""The insight page's plots: difficulty against discrimination per grade cell, and the distribution of totals per
track; drawn on bare matplotlib Figures in the reports' style (Hangul font), in the reader's language."""
from __future__ import annotations

from medai.progress.insight.items import NEGATIVE_R, ItemAnalysis
from medai.progress.reports.plots import TRACK_COLOURS, Figure, _no_data, png, report_style
from medai.progress.reports.words import Words, words

PLOTS = ("items", "totals")


def item_scatter(a: ItemAnalysis, w: Words) -> Figure:
    _ = w.gettext
    fig = Figure(figsize=(7, 5))
    ax = fig.add_subplot()
    points = [i for i in a.items if i.difficulty is not None]
    ax.axhline(0, color="#999999", linewidth=0.8)
    ax.axhspan(-1, NEGATIVE_R, color="#fdecee")
    for i in points:
        r = 0.0 if i.discrimination is None else i.discrimination
        colour = "#b00020" if i.flags else "#1f77b4"
        ax.scatter([i.difficulty], [r], color=colour, marker="o" if i.discrimination is not None else "x")
        ax.annotate(i.cell, (i.difficulty, r), textcoords="offset points", xytext=(4, 4), fontsize=8)
    ax.set_xlim(-0.05, 1.05)
    ax.set_ylim(-1.05, 1.05)
    ax.set_xlabel(_("Difficulty (share of the points earned)"))
    ax.set_ylabel(_("Discrimination (corrected item-total r)"))
    ax.set_title(_("{assignment}: difficulty and discrimination per grade cell").format(assignment=a.assignment))
    if not points:
        _no_data(ax, _("no graded submissions"))
    fig.tight_layout()
    return fig


def total_histograms(a: ItemAnalysis, tracks: dict[str, str], w: Words) -> Figure:
    """Totals per track (`tracks`: student -> track; students not in it count under "?")."""
    _ = w.gettext
    fig = Figure(figsize=(7, 4))
    ax = fig.add_subplot()
    by_track: dict[str, list[float]] = {}
    for student, total in sorted(a.totals.items()):
        by_track.setdefault(tracks.get(student, "?"), []).append(total)
    if by_track:
        bins = max(1, min(20, int(a.max_score) or 1))
        ax.hist(list(by_track.values()), bins=bins, range=(0, max(a.max_score, 1)), stacked=True,
                label=list(by_track), color=[TRACK_COLOURS[n % len(TRACK_COLOURS)] for n in range(len(by_track))])
        ax.legend(title=_("track"))
    else:
        _no_data(ax, _("no graded submissions"))
    ax.set_xlabel(_("Total score (of {max})").format(max=f"{a.max_score:g}"))
    ax.set_ylabel(_("Students"))
    ax.set_title(_("{assignment}: totals per track").format(assignment=a.assignment))
    fig.tight_layout()
    return fig


def plot_png(a: ItemAnalysis, name: str, *, tracks: dict[str, str] | None = None, lang: str = "ko") -> bytes:
    w = words(lang)
    with report_style():
        fig = item_scatter(a, w) if name == "items" else total_histograms(a, tracks or {}, w)
        return png(fig)
