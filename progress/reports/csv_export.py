"""Tidy CSV: one row per student x assignment, and a per-student summary file beside it.

UTF-8 with a BOM, so that Excel (Korean Windows included) opens Hangul names correctly.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

from medai.progress.model import ProgressReport
from medai.progress.reports.tables import DETAIL_COLUMNS, detail_rows, summary_columns, summary_rows


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.2f}".rstrip("0").rstrip(".") if v != int(v) else str(int(v))
    return str(v)


def _csv(header: list[str], rows: list[list]) -> str:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([_cell(v) for v in row] for row in rows)
    return buf.getvalue()


def details_csv(report: ProgressReport) -> str:
    return _csv([c.name for c in DETAIL_COLUMNS], detail_rows(report))


def summary_csv(report: ProgressReport) -> str:
    return _csv([c.name for c in summary_columns(report)], summary_rows(report))


def summary_path(details: Path) -> Path:
    """Where the summary goes for a details file: progress.csv -> progress-students.csv."""
    return details.with_name(f"{details.stem}-students{details.suffix or '.csv'}")


def write_csv(report: ProgressReport, path: str | Path) -> list[Path]:
    """Write the details to `path` and the per-student summary beside it; returns both paths."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(details_csv(report), encoding="utf-8-sig")
    summary = summary_path(path)
    summary.write_text(summary_csv(report), encoding="utf-8-sig")
    return [path, summary]
