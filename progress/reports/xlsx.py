"""The Excel workbook: a summary sheet per track (with an average row), a details sheet, and an About sheet.

Every sheet has a frozen, bold header row and filters; percentages are 0-100 shown as `66.7%`; at-risk
students' rows and overdue assignments are coloured by conditional formatting, so the colours follow edits
and filters in Excel. Written with openpyxl's write-only mode (a 1,000-student course in about a second).

For people, in their language (`lang`: ko by default, en; medai.progress.reports.words): headers (each column's
label; the CSV keeps the stable snake_case names), sheet names, states, yes/no, at-risk reasons, assignment
titles (course.yaml's title_ko in Korean) and the About sheet. Numbers and times are the same in every language.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from medai.progress.model import ProgressReport
from medai.progress.reports.tables import (
    Column,
    detail_columns,
    detail_rows,
    mean,
    summary_columns,
    summary_values,
    track_summaries,
)
from medai.progress.reports.words import Words, words

FORMATS = {"percent": '0.0"%"', "float": "0.##", "int": "0"}
RISK_FILL = PatternFill("solid", bgColor="FFC7CE")  # light red, as Excel's "bad" style
LATE_FILL = PatternFill("solid", bgColor="FFEB9C")  # light amber
WIDTHS = {"text": 14, "bool": 9, "int": 9, "float": 10, "percent": 11}
WIDE = {"name": 12, "email": 28, "title": 32, "flags": 60, "deadline": 26, "submitted_at": 26}


def _sheet_title(text: str) -> str:
    for ch in "[]:*?/\\":
        text = text.replace(ch, "-")
    return text[:31]


class _Sheet:
    """A write-only sheet with a typed header; cells get their column's number format."""

    def __init__(self, wb: Workbook, title: str, columns: list[Column], w: Words):
        self.ws = wb.create_sheet(_sheet_title(title))
        self.columns = columns
        self.w = w
        self.rows = 0
        for i, col in enumerate(columns, start=1):
            self.ws.column_dimensions[get_column_letter(i)].width = WIDE.get(col.name, WIDTHS[col.kind])
        self.ws.freeze_panes = "A2"
        header = []
        for col in columns:
            cell = WriteOnlyCell(self.ws, value=col.label)
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            header.append(cell)
        self.ws.append(header)

    def append(self, values: list[Any], *, bold: bool = False) -> None:
        row = []
        for col, value in zip(self.columns, values):
            if isinstance(value, bool):
                value = self.w.yes_no(value)
            fmt = FORMATS.get(col.kind)
            if fmt or bold:
                cell = WriteOnlyCell(self.ws, value=value)
                if fmt:
                    cell.number_format = fmt
                if bold:
                    cell.font = Font(bold=True)
                value = cell
            row.append(value)
        self.ws.append(row)
        self.rows += 1

    @property
    def last_column(self) -> str:
        return get_column_letter(len(self.columns))

    def letter(self, name: str) -> str:
        return get_column_letter([c.name for c in self.columns].index(name) + 1)

    def finish(self, *, data_rows: int) -> None:
        """Filters over the header and the data rows (not a totals row under them)."""
        self.ws.auto_filter.ref = f"A1:{self.last_column}{data_rows + 1}"

    def colour_rows(self, *, column: str, equals: str, fill: PatternFill, data_rows: int) -> None:
        if data_rows:
            ref = f"A2:{self.last_column}{data_rows + 1}"
            self.ws.conditional_formatting.add(ref, FormulaRule(formula=[f'${self.letter(column)}2="{equals}"'], fill=fill))


def _summary_sheet(wb: Workbook, report: ProgressReport, track: str, w: Words) -> None:
    _ = w.gettext
    columns = summary_columns(report, w)
    t = next((t for t in report.tracks if t.id == track), None)
    sheet = _Sheet(wb, _("Summary {track}").format(track=w.title(t) if t else track), columns, w)
    students = [s for s in report.students if s.track == track]
    for s in students:
        sheet.append(summary_values(report, s, w))
    [line] = [t for t in track_summaries(report) if t.track == track]
    averages: list[Any] = [None] * len(columns)
    names = [c.name for c in columns]
    averages[0] = w.ngettext("average ({n} student)", "average ({n} students)", line.students).format(n=line.students)
    averages[names.index("completion_percent")] = _r(line.completion_percent)
    averages[names.index("weighted_score")] = _r(line.weighted_score)
    averages[names.index("standing")] = _r(line.standing)
    averages[names.index("completed")] = _r(mean(s.completed for s in students))
    averages[names.index("total")] = _r(mean(s.total for s in students))
    averages[names.index("flags")] = _("{n} at risk").format(n=line.at_risk)
    for c in report.competencies:
        values = [m.percent for s in students for m in s.competencies if m.competency == c.id]
        averages[names.index(f"mastery:{c.id}")] = _r(mean(values))
    sheet.append(averages, bold=True)
    sheet.finish(data_rows=len(students))
    sheet.colour_rows(column="at_risk", equals=w.yes_no(True), fill=RISK_FILL, data_rows=len(students))


def _r(v: float | None) -> float | None:
    return None if v is None else round(v, 2)


def _about_sheet(wb: Workbook, report: ProgressReport, w: Words) -> None:
    _ = w.gettext
    sheet = _Sheet(wb, _("About"), [Column("item", "text", _("Item"), ""), Column("value", "text", _("Value"), "")], w)
    sheet.ws.column_dimensions["B"].width = 100
    t = report.thresholds
    for item, value in [
        (_("course"), _("{id}: {title}, term {term}").format(id=report.course_id, title=w.title(report),
                                                             term=report.term)),
        (_("as of"), w.date(report.as_of, report.timezone) + f" ({report.timezone})"),
        (_("students"), len(report.students)),
        (_("at risk when"), _("an assignment is past due and not submitted; weighted score under {low}%; "
                              "scores falling by {falling} points per assignment or more (last {window} graded)"
                              ).format(low=t.low_score, falling=t.falling_points, window=t.trend_window)),
        (_("mastery levels"), _("mastered >= {mastered}%, developing >= {developing}%, else not yet").format(
            mastered=t.mastered, developing=t.developing)),
        (_("fetched"), _("seen") if report.homes_readable
         else _("not visible to this account: shown as released")),
        *[(_("warning"), warning) for warning in report.warnings],
        *[(_("column {label}").format(label=c.label), c.help)
          for c in (*detail_columns(w), *summary_columns(report, w))],
    ]:
        sheet.append([item, value])


def _details(report: ProgressReport, w: Words) -> list[list[Any]]:
    """The details rows with the state in words and the assignment's title in the reader's language."""
    columns = [c.name for c in detail_columns(w)]
    state, title, assignment = columns.index("state"), columns.index("title"), columns.index("assignment")
    titles = {a.id: w.title(a) for a in report.assignments}
    rows = detail_rows(report)
    for row in rows:
        row[title] = titles.get(row[assignment], row[title])
        row[state] = w.state(row[state])
    return rows


def write_xlsx(report: ProgressReport, path: str | Path, *, lang: str = "ko") -> Path:
    """The workbook in `lang` (headers, sheet names, states, reasons); the numbers are the same in every language."""
    w = words(lang)
    _ = w.gettext
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook(write_only=True)
    for track in report.student_tracks:
        _summary_sheet(wb, report, track, w)
    details = _Sheet(wb, _("Details"), list(detail_columns(w)), w)
    rows = _details(report, w)
    for row in rows:
        details.append(row)
    details.finish(data_rows=len(rows))
    details.colour_rows(column="state", equals=w.state("late"), fill=LATE_FILL, data_rows=len(rows))
    _about_sheet(wb, report, w)
    wb.save(path)
    return path
