"""One entry point for every export, used by `medai report` and the staff page alike."""
from __future__ import annotations

import tempfile
from pathlib import Path

from medai.progress.model import ProgressReport

PROGRESS_FORMATS = ("csv", "xlsx", "pdf", "json")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "json": "application/json; charset=utf-8",
}


def write_progress(report: ProgressReport, *, fmt: str, path: str | Path, lang: str = "ko") -> list[Path]:
    """Write the report in `fmt` to `path`; returns the files written (CSV writes a summary beside it).
    Excel and PDF are written for people, in `lang` (ko, en); CSV and JSON are for programs: the same in
    every language (stable snake_case columns, the model's keys)."""
    path = Path(path)
    if fmt == "csv":
        from medai.progress.reports.csv_export import write_csv

        return write_csv(report, path)
    if fmt == "xlsx":
        from medai.progress.reports.xlsx import write_xlsx

        return [write_xlsx(report, path, lang=lang)]
    if fmt == "pdf":
        from medai.progress.reports.pdf import write_pdf

        return [write_pdf(report, path, lang=lang)]
    if fmt == "json":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(report.to_json(indent=1), encoding="utf-8")
        return [path]
    raise ValueError(f"unknown format {fmt!r}; one of {', '.join(PROGRESS_FORMATS)}")


def progress_bytes(report: ProgressReport, *, fmt: str, lang: str = "ko") -> bytes:
    """The export as bytes (for a download); for CSV, the details file."""
    with tempfile.TemporaryDirectory(prefix="medai-report-") as tmp:
        return write_progress(report, fmt=fmt, path=Path(tmp) / f"progress.{fmt}", lang=lang)[0].read_bytes()


def default_name(report: ProgressReport, fmt: str, *, kind: str = "progress") -> str:
    """e.g. medai101-progress-2026-10-01.xlsx"""
    return f"{report.course_id}-{kind}-{report.as_of[:10]}.{fmt}"
