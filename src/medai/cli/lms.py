"""medai lms keys | sync: the tool's keys, and grades sent to the university's LMS (LTI 1.3 AGS)."""
from __future__ import annotations

from medai.cli._common import add_command, load, settings


def _keys(args) -> int:
    from medai.lms.service import make_keys

    key, jwks = make_keys(settings=settings(args))
    print(f"private key (0600): {key}\npublic JWKS (served at /hub/lti13/jwks): {jwks}")
    return 0


def _sync(args) -> int:
    import time

    from medai.errors import UserError
    from medai.lms.service import sync

    s = settings(args)
    while True:
        try:
            report = sync(course=load(args), settings=s, assignment=args.assignment)
        except UserError as err:
            if not args.every:
                raise
            print(f"medai: error: {err}", flush=True)  # the service keeps going: the LMS may be back next round
        else:
            if not args.every or report.posted or report.failed or report.created:
                print("\n".join(report.lines(s.lang)), flush=True)
            if not args.every:
                return report.exit_code
        time.sleep(args.every)


def register(sub, common) -> None:
    group = sub.add_parser("lms", help="the university's LMS over LTI 1.3: keys, grades sent back",
                           description="medai as an LTI 1.3 Advantage tool (README \"The university's LMS\").")
    inner = group.add_subparsers(dest="lms_command", metavar="SUBCOMMAND", required=True)
    add_command(inner, common, "keys", func=_keys,
                help="make the tool's private key (once, 0600) and write the public JWKS the LMS reads",
                example="medai lms keys")
    p = add_command(
        inner, common, "sync", func=_sync,
        help="send every changed score to the LMS gradebook (one line item per assignment, never duplicated)",
        example="medai lms sync c01-cohort-sql",
        description="Posts the stored score (late penalty included) on the assignment's points scale, "
                    "PendingManual while written answers wait for a hand grade, FullyGraded after; scores the "
                    "LMS already holds are not posted again. A failed post stays in the outbox, is reported "
                    "(exit 1) and is tried again first by the next sync. The line items and members URLs are the newest "
                    "launch's (kept by the hub), else MEDAI_LTI_LINEITEMS_URL / MEDAI_LTI_MEMBERSHIPS_URL; the report "
                    "says which.")
    p.add_argument("assignment", nargs="?", default=None, help="one assignment (default: all of course.yaml)")
    p.add_argument("--every", type=float, default=0, metavar="SECONDS",
                   help="keep running, one sync every SECONDS (the hub's lms-sync service)")
