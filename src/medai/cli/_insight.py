"""medai report items | failures | similarity: the instructor's insight into one assignment, on any nbgrader
course directory (--course-dir), from its gradebook (read only) and notebooks."""
from __future__ import annotations

import sys

from medai.cli._common import add_command, layout

FORMATS = ("table", "csv", "xlsx", "json")


def _run(args, kind: str) -> int:
    from medai.progress.insight.export import write

    lay = layout(args)
    where = {"course_dir": lay.course_dir, "db_url": lay.gradebook_url, "assignment": args.assignment}
    if kind == "items":
        from medai.progress.insight.items import load_items

        view = load_items(**where, attempt=args.attempt)
    elif kind == "failures":
        from medai.progress.insight.failures import load_failures

        view = load_failures(**where)
    else:
        from medai.progress.insight.similarity import load_similarity

        view = load_similarity(**where, top=args.top or None, min_score=args.min_score,
                               include_short=args.include_short)
    path = args.output or (f"{args.assignment}-{kind}.{args.format}" if args.format in ("xlsx", "csv") else None)
    written = write(view, kind=kind, fmt=args.format, path=path, lang=args.lang)
    if written is None:
        from medai.progress.insight.export import render

        sys.stdout.write(render(view, kind=kind, fmt=args.format, lang=args.lang).decode("utf-8"))
    else:
        print(f"wrote {written}", file=sys.stderr if args.format == "json" else sys.stdout)
    return 0


def _options(p) -> None:
    p.add_argument("assignment", metavar="ASSIGNMENT", help="the nbgrader assignment (its name in the gradebook)")
    p.add_argument("--format", choices=FORMATS, default="table",
                   help="table (terminal, default), csv, xlsx (written to a file) or json (for scripts)")
    p.add_argument("--lang", choices=("ko", "en"), default="ko",
                   help="language of the table and the Excel sheet (default: ko); CSV and JSON keep stable keys")
    p.add_argument("-o", "--output", metavar="PATH",
                   help="output file (default for csv/xlsx: <assignment>-<view>.<ext>; table and json: stdout)")


def register_insight(inner, common) -> None:
    p = add_command(
        inner, common, "items", func=lambda a: _run(a, "items"),
        help="item analysis of an assignment: difficulty, discrimination, Cronbach's alpha, flags per grade cell",
        example="medai report items c02-diagnostic-metrics --format xlsx -o c02-items.xlsx\n"
                "  medai report items ps1 --course-dir /srv/nbgrader/course --format json --attempt first")
    _options(p)
    p.add_argument("--attempt", choices=("latest", "first"), default="latest",
                   help="whose scores: the latest attempt (the gradebook's, default) or each student's first "
                        "graded attempt (grade on submit keeps every attempt)")
    p = add_command(
        inner, common, "failures", func=lambda a: _run(a, "failures"),
        help="why students fail: the exceptions of each autograded cell across students, grouped and counted",
        example="medai report failures c02-diagnostic-metrics --lang en")
    _options(p)
    p = add_command(
        inner, common, "similarity", func=lambda a: _run(a, "similarity"),
        help="answers that look alike, question by question (ranked pairs to look at, never an accusation)",
        example="medai report similarity c02-diagnostic-metrics --format json > c02-similarity.json")
    _options(p)
    p.add_argument("--top", type=int, default=50, help="list at most this many pairs (0: all; default 50)")
    p.add_argument("--min-score", type=float, default=0.3,
                   help="leave out pairs under this similarity, 0..1 (default 0.3)")
    p.add_argument("--include-short", action="store_true",
                   help="also list pairs of short answers (agreement expected), after all others; "
                        "by default they are only counted per question")
