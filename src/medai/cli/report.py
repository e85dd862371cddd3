"""medai report progress | lms | serve | items | failures | similarity | selfchecks: progress across the tracks,
exports, the staff page, and the instructor's insight into one assignment (self-check use per question among it)."""
from __future__ import annotations

import datetime as dt

from medai.cli._common import add_command, layout, load
from medai.cli._insight import register_insight
from medai.errors import UserError


def _as_of(text: str | None, course) -> dt.datetime | None:
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise UserError("--as-of {text!r}: give an ISO 8601 moment, e.g. 2026-10-01T12:00+09:00", text=text) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=course.course.tz)


def _report(args):
    from medai.progress.sources import load_progress

    course = load(args)
    report = load_progress(course=course, layout=layout(args), roster_path=args.roster,
                           as_of=_as_of(args.as_of, course))
    if args.track and args.track not in report.student_tracks:
        raise UserError("--track {track!r}: no such student track; one of {tracks}", track=args.track,
                        tracks=", ".join(report.student_tracks))
    if args.student and args.student not in {s.id for s in report.students}:
        raise UserError("--student {student!r} is not a student on the roster", student=args.student)
    chosen = report.select(track=args.track, cohort=args.cohort, student=args.student,
                           at_risk=True if args.at_risk else None)
    if (args.track or args.cohort or args.student or args.at_risk) and not chosen.students:
        raise UserError("no student matches the filters (cohorts on the roster: {cohorts})",
                        cohorts=", ".join(report.cohorts) or "-")
    return chosen


def _progress(args) -> int:
    from medai.progress.reports.export import default_name, write_progress

    report = _report(args)
    written = write_progress(report, fmt=args.format, path=args.output or default_name(report, args.format),
                             lang=args.lang)
    at_risk = sum(s.at_risk for s in report.students)
    print(f"{len(report.students)} students, {at_risk} at risk, as of {report.as_of}")
    for warning in report.warnings:
        print(f"note: {warning}")
    for path in written:
        print(f"wrote {path}")
    return 0


def _lms(args) -> int:
    from medai.progress.reports.export import default_name
    from medai.progress.reports.lms import write_lms

    report = _report(args)
    path = write_lms(report, args.output or default_name(report, "csv", kind=args.format),
                     lms=args.format, missing_as_zero=args.missing_as_zero)
    print(f"wrote {path}: {len(report.students)} students x {len(report.assignments)} assignments ({args.format})")
    return 0


def _serve(args) -> int:
    from medai.progress.staff_page.app import serve

    serve(course_path=args.course, layout=layout(args), roster_path=args.roster, ip=args.ip, port=args.port)
    return 0


def _selfchecks(args) -> int:
    import json

    from medai.progress.insight.selfcheck_use import selfcheck_use, summary_csv, summary_table

    course = load(args)
    summary = selfcheck_use(layout=layout(args), assignment=args.assignment)
    if not summary.records and args.assignment not in {a.id for a in course.assignments}:
        raise UserError("{assignment!r}: no such assignment in course.yaml and nothing recorded for it; one of "
                        "{known}", assignment=args.assignment, known=", ".join(a.id for a in course.assignments))
    if args.format == "json":
        print(json.dumps(summary.to_dict(), ensure_ascii=False, indent=2))
    elif args.format == "csv":
        print(summary_csv(summary), end="")
    else:
        print(summary_table(summary, lang=args.lang, timezone=course.course.timezone,
                            recording=course.selfchecks.record), end="")
    return 0


def _filters(p) -> None:
    p.add_argument("--track", help="only students of this track (medicine, engineering)")
    p.add_argument("--cohort", help="only students of this cohort (e.g. 2026)")
    p.add_argument("--student", metavar="ID", help="only this student")
    p.add_argument("--at-risk", action="store_true", help="only students with an at-risk flag")
    p.add_argument("--as-of", metavar="MOMENT", help="report as of this moment (ISO 8601; default now); "
                                                     "work after it still counts, deadlines are judged at it")
    p.add_argument("--roster", metavar="CSV", help="the roster (default: <data root>/roster.csv, the last imported)")
    p.add_argument("-o", "--output", metavar="PATH", help="output file (default: <course>-<kind>-<date>.<ext>)")


def register(sub, common) -> None:
    group = sub.add_parser("report", help="progress across the tracks: CSV, Excel, PDF, LMS grades, staff page",
                           description="Where every student stands in their track, from nbgrader's gradebook, "
                                       "course.yaml, the roster and the exchange.")
    inner = group.add_subparsers(dest="report_command", metavar="SUBCOMMAND", required=True)
    p = add_command(
        inner, common, "progress", func=_progress,
        help="export progress: CSV (details + per-student summary), Excel workbook, PDF with plots, or JSON",
        example="medai report progress --format xlsx --track medicine -o medicine.xlsx\n"
                "  medai report progress --format pdf --lang en -o progress-en.pdf\n"
                "  medai report progress --format pdf --cohort 2026 -o cohort-2026.pdf\n"
                "  medai report progress --format csv -o progress.csv   # also writes progress-students.csv")
    p.add_argument("--format", required=True, choices=("csv", "xlsx", "pdf", "json"))
    p.add_argument("--lang", choices=("ko", "en"), default="ko",
                   help="language of the Excel and PDF reports: headers, sheet names, titles, plots (default: ko); "
                        "CSV and JSON keep their stable column names in every language")
    _filters(p)
    p = add_command(
        inner, common, "lms", func=_lms,
        help="export grades (late penalty applied, on each assignment's points) as a Canvas or Moodle CSV",
        example="medai report lms --format canvas -o canvas-grades.csv")
    p.add_argument("--format", required=True, choices=("canvas", "moodle"))
    p.add_argument("--missing-as-zero", action="store_true",
                   help="give 0 for work past due and not submitted (default: leave it blank)")
    _filters(p)
    p = add_command(
        inner, common, "serve", func=_serve,
        help="run the staff progress page (the hub starts it as its `progress` service)",
        example="medai report serve --port 8011",
        description="A web page for program staff and instructors, authenticated through JupyterHub (OAuth). "
                    "Runs as a hub-managed service; listens on 127.0.0.1 only.")
    p.add_argument("--ip", default="127.0.0.1", choices=("127.0.0.1",), help="address (loopback only)")
    p.add_argument("--port", type=int, default=0,
                   help="port (default: the one in $JUPYTERHUB_SERVICE_URL, which the hub sets)")
    p.add_argument("--roster", metavar="CSV", help="the roster (default: <data root>/roster.csv)")
    p = add_command(
        inner, common, "selfchecks", func=_selfchecks,
        help="self-check use per question (live): students who tried, passed, asked for hints; the failing check",
        example="medai report selfchecks c02-diagnostic-metrics\n"
                "  medai report selfchecks c02-diagnostic-metrics --format json --course-dir /srv/medai/course",
        description="How students use an assignment's self-checks (q1.check(), q1.hint()) before the deadline, "
                    "from the self-check log the progress service keeps in <course dir>/selfchecks/ (read it as "
                    "the grader account or root).")
    p.add_argument("assignment", metavar="ASSIGNMENT", help="the assignment's id in course.yaml")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table",
                   help="table for people (default), CSV or JSON for programs (stable English names)")
    p.add_argument("--lang", choices=("ko", "en"), default="ko", help="language of the table (default: ko)")
    register_insight(inner, common)  # items | failures | similarity (medai.cli._insight)
