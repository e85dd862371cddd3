"""The insight views as tables (a label per column in the reader's language, a stable name for programs): one
source for the terminal table, CSV, the Excel sheets and the instructor page."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from medai.progress.insight.failures import FailureReport
from medai.progress.insight.items import ItemAnalysis
from medai.progress.insight.selfcheck_use import CSV_COLUMNS, SelfCheckSummary, summary_rows
from medai.progress.insight.similarity import SimilarityReport
from medai.progress.reports.text_width import cut, pad
from medai.progress.reports.text_width import width as text_width
from medai.progress.reports.words import Words, number


@dataclass(frozen=True)
class Table:
    title: str
    names: list[str]  # stable column names (CSV)
    labels: list[str]  # column labels (people)
    rows: list[list[Any]]


def _r(v: float | None, digits: int = 2) -> float | None:
    return None if v is None else round(v, digits)


def flag_text(kind: str, w: Words, **v) -> str:
    """A flag's plain-language reason."""
    _ = w.gettext
    texts = {
        "everyone_fails": _("everyone fails: is the test right?"),
        "no_one_fails": _("no one fails: it tells students apart by nothing"),
        "negative_discrimination": _("negative discrimination: strong students fail this more than weak ones"),
        "few_students": _("only {n} students: below {min} the numbers are noise"),
        "pending_hand_grades": _("{n} students have answers without a score (a hand grade pending, or given to a "
                                 "later attempt only): alpha and discrimination leave them out"),
    }
    return texts.get(kind, kind).format(**v)


def first_attempts_title(n: int, w: Words) -> str:
    """The heading of the item analysis of first submissions, which differs from the latest for `n` students."""
    return w.ngettext("First submissions, as first handed in ({n} student resubmitted since)",
                      "First submissions, as first handed in ({n} students resubmitted since)", n).format(n=n)


def assignment_notes(a: ItemAnalysis, w: Words) -> list[str]:
    from medai.progress.insight.items import MIN_STUDENTS

    return [flag_text(f, w, n=a.students if f == "few_students" else a.students - a.complete, min=MIN_STUDENTS)
            for f in a.flags]


def items_table(a: ItemAnalysis, w: Words) -> Table:
    _ = w.gettext
    cols = [("item", _("Grade cell")), ("type", _("Type")), ("max_score", _("Max")), ("n", _("Students")),
            ("mean", _("Mean")), ("difficulty", _("Difficulty")), ("discrimination", _("Discrimination (r)")),
            ("upper_lower", _("Upper-lower 27%")), ("full_marks", _("Full marks")), ("distribution", _("Scores")),
            ("flags", _("Flags"))]
    rows = [[i.key, i.cell_type, i.max_score, i.n, _r(i.mean), _r(i.difficulty), _r(i.discrimination),
             _r(i.upper_lower), _r(i.full_marks), ", ".join(f"{k}: {c}" for k, c in i.distribution.items()),
             "; ".join(flag_text(f, w) for f in i.flags)] for i in a.items]
    return Table(_("Items"), [c for c, _l in cols], [label for _c, label in cols], rows)


def failures_table(f: FailureReport, w: Words) -> Table:
    _ = w.gettext
    cols = [("item", _("Grade cell")), ("students", _("Students")), ("exception", _("Exception")),
            ("message", _("Message")), ("examples", _("Examples"))]
    rows = [[c.key, g.count, g.exception, g.message, ", ".join(g.examples())] for c in f.cells for g in c.groups]
    return Table(_("Why students fail"), [c for c, _l in cols], [label for _c, label in cols], rows)


def similarity_table(s: SimilarityReport, w: Words) -> Table:
    _ = w.gettext
    cols = [("rank", _("Rank")), ("question", _("Question")), ("score", _("Similarity")),
            ("student_a", _("Student A")), ("student_b", _("Student B")), ("note", _("Note"))]
    rows = [[n, p.question, p.score, p.left.student, p.right.student,
             _("short answer: agreement is expected") if p.short else ""] for n, p in enumerate(s.pairs, start=1)]
    return Table(_("Similar answers (to look at)"), [c for c, _l in cols], [label for _c, label in cols], rows)


def selfcheck_table(s: SelfCheckSummary, w: Words) -> Table:
    """Self-check use per question; the stable names are `medai report selfchecks --format csv`'s columns."""
    _ = w.gettext
    labels = {"assignment": _("Assignment"), "question": _("question"), "title": _("Title"), "tried": _("tried"),
              "passed": _("passed"), "passing_now": _("passing now"), "checks": _("Check runs"), "hints": _("hints"),
              "top_failing_check": _("most common failing check"), "top_failing_status": _("Status"),
              "top_failing_students": _("Students"), "top_failing_times": _("Times"),
              "top_failing_message": _("Message")}
    rows = [[row[c] for c in CSV_COLUMNS] for row in summary_rows(s)]
    return Table(_("Self-check use"), list(CSV_COLUMNS), [labels[c] for c in CSV_COLUMNS], rows)


def cell_text(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return number(v) if abs(v) >= 1 else f"{v:.2f}"
    return str(v)


def text_table(t: Table, width: int = 90) -> str:
    """A plain fixed-width table for the terminal."""
    cells = [[cut(cell_text(v), width) for v in row] for row in t.rows]
    widths = [max([text_width(label)] + [text_width(r[i]) for r in cells]) for i, label in enumerate(t.labels)]
    line = lambda vals: "  ".join(pad(v, widths[i]) for i, v in enumerate(vals)).rstrip()  # noqa: E731
    return "\n".join([t.title, line(t.labels), line(["-" * n for n in widths]), *map(line, cells)])
