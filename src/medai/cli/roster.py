"""medai roster import FILE.csv"""
from __future__ import annotations

from medai.cli._common import add_command, load, settings


def _import(args) -> int:
    from medai.hub.accounts import is_root
    from medai.hub.roster_sync import import_roster

    report = import_roster(path=args.file, course=load(args), settings=settings(args),
                           system=is_root() and not args.single_account)
    print("\n".join(report.lines()))
    return 0


def register(sub, common) -> None:
    group = sub.add_parser("roster", help="import the class roster (students, instructors, staff)",
                           description="Who may use the hub, in which role and track.")
    inner = group.add_subparsers(dest="roster_command", metavar="SUBCOMMAND", required=True)
    p = add_command(
        inner, common, "import", func=_import,
        help="validate a roster CSV whole, then create/update accounts, gradebook students, hub users and groups",
        example="medai roster import course/roster.example.csv",
        description="Columns: id, name, email, role (student|instructor|staff), track (students), cohort. "
                    "UTF-8 with or without BOM. A file with any bad line is rejected whole; nothing is applied.")
    p.add_argument("file", help="the roster CSV")
    p.add_argument("--single-account", action="store_true",
                   help="do not create Unix accounts (developer laptop mode)")
