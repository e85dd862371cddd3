"""medai roster import FILE.csv"""
from __future__ import annotations

from medai.cli._common import add_command, load, settings
from medai.errors import UserError


def _import(args) -> int:
    from medai.hub.accounts import is_root
    from medai.hub.roster_sync import import_roster

    if bool(args.file) == bool(args.from_lms):
        raise UserError("give a roster CSV or --from-lms (one of them)")
    if args.from_lms:
        return _import_from_lms(args)
    report = import_roster(path=args.file, course=load(args), settings=settings(args),
                           system=is_root() and not args.single_account)
    print("\n".join(report.lines()))
    return 0


def _import_from_lms(args) -> int:
    import tempfile
    from pathlib import Path

    from medai.hub.accounts import is_root
    from medai.course.roster import RosterError
    from medai.hub.roster_sync import import_roster
    from medai.lms.service import roster_from_lms

    course, s = load(args), settings(args)
    lms = roster_from_lms(course=course, settings=s)
    print("\n".join(lms.lines(s.lang)), flush=True)  # before the import, which may refuse the whole roster
    with tempfile.TemporaryDirectory(prefix="medai-lms-roster-") as tmp:
        path = Path(tmp) / "lms-members.csv"  # what a refusal's line numbers point into
        path.write_text(lms.csv_text, encoding="utf-8")
        try:
            report = import_roster(path=path, course=course, settings=s,
                                   system=is_root() and not args.single_account)
        except RosterError as err:
            raise lms.explain(err, s.lang) from None
    print("\n".join(report.lines()))
    return 0


def register(sub, common) -> None:
    group = sub.add_parser("roster", help="import the class roster (students, instructors, staff)",
                           description="Who may use the hub, in which role and track.")
    inner = group.add_subparsers(dest="roster_command", metavar="SUBCOMMAND", required=True)
    p = add_command(
        inner, common, "import", func=_import,
        help="validate a roster CSV whole, then create/update accounts, gradebook students, hub users and groups",
        example="medai roster import course/roster.example.csv  (or: medai roster import --from-lms)",
        description="Columns: id, name, email, role (student|instructor|staff), track (students), cohort. "
                    "UTF-8 with or without BOM. A file with any bad line is rejected whole; nothing is applied.")
    p.add_argument("file", nargs="?", default=None, help="the roster CSV")
    p.add_argument("--from-lms", action="store_true",
                   help="read the course's members from the LMS (LTI 1.3 NRPS) instead of a CSV; applied the same way")
    p.add_argument("--single-account", action="store_true",
                   help="do not create Unix accounts (developer laptop mode)")
