"""The insight views written out: JSON and CSV for programs (stable keys and column names, every language), an
Excel workbook with one sheet per view for people (in their language), a table for the terminal."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from medai.progress.insight.tables import (Table, assignment_notes, failures_table, first_attempts_title,
                                          items_table, selfcheck_table, similarity_table)
from medai.progress.reports.words import words

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def tables(*, items=None, failures=None, similarity=None, selfcheck=None, lang: str = "ko") -> list[Table]:
    w = words(lang)
    out = []
    if items is not None:
        out.append(items_table(items, w))
    if failures is not None:
        out.append(failures_table(failures, w))
    if selfcheck is not None:
        out.append(selfcheck_table(selfcheck, w))
    if similarity is not None:
        out.append(similarity_table(similarity, w))
    return out


def workbook_bytes(*, items=None, failures=None, similarity=None, selfcheck=None, lang: str = "ko") -> bytes:
    """An Excel workbook, one sheet per view given (frozen bold header, filters), plus the assignment's notes."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    for t in tables(items=items, failures=failures, similarity=similarity, selfcheck=selfcheck, lang=lang):
        ws = wb.create_sheet(t.title[:31])
        ws.append(t.labels)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in t.rows:
            ws.append(row)
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = f"A1:{get_column_letter(len(t.labels))}{max(1, len(t.rows) + 1)}"
        for i, label in enumerate(t.labels, start=1):
            longest = max([len(str(label))] + [len(str(r[i - 1] or "")) for r in t.rows])
            ws.column_dimensions[get_column_letter(i)].width = min(60, max(8, longest + 2))
    if items is not None:
        notes = assignment_notes(items, words(lang))
        if notes:
            ws = wb.create_sheet(words(lang).gettext("Notes")[:31])
            for note in notes:
                ws.append([note])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def csv_text(t: Table) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(t.names)
    writer.writerows(t.rows)
    return buffer.getvalue()


def render(view, *, kind: str, fmt: str, lang: str = "ko") -> bytes:
    """One view (`kind`: items, failures, similarity) in `fmt`: table, csv, xlsx or json."""
    if fmt == "json":
        return json.dumps(view.to_dict(), ensure_ascii=False, indent=1).encode("utf-8")
    if fmt == "xlsx":
        return workbook_bytes(**{kind: view}, lang=lang)
    [t] = tables(**{kind: view}, lang=lang)
    if fmt == "csv":
        return csv_text(t).encode("utf-8-sig")
    if fmt == "table":
        text = "\n".join(text_table_with_notes(view, t, kind, lang))
        return (text + "\n").encode("utf-8")
    raise ValueError(f"unknown format {fmt!r}")


def text_table_with_notes(view, t: Table, kind: str, lang: str) -> list[str]:
    from medai.progress.insight.tables import text_table

    lines = [text_table(t)]
    if kind == "items":
        w = words(lang)
        alpha = "-" if view.alpha is None else f"{view.alpha:.3f}"
        lines.append(w.gettext("{n} students, Cronbach's alpha {alpha}").format(n=view.students, alpha=alpha))
        if view.attempt == "first":
            lines.append(first_attempts_title(view.resubmitted, w))
        lines += assignment_notes(view, w)
    return lines


def write(view, *, kind: str, fmt: str, path: str | Path | None, lang: str = "ko") -> Path | None:
    """Write to `path` (written whole, through a temporary file); None: nothing written (the caller prints)."""
    data = render(view, kind=kind, fmt=fmt, lang=lang)
    if path is None:
        return None
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return path
