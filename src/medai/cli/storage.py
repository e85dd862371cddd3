"""medai storage: who uses how much of their storage limit; prune the exchange's inbound; unmount."""
from __future__ import annotations

import time

from medai.cli._common import add_command, layout, load, settings


def _flagged(report) -> list[str]:
    from medai.hub.storage import report_lines

    return report_lines([u for u in report if u.limited and u.state != "ok"])


def _storage(args) -> int:
    from medai.grader.inbound_prune import prune_inbound
    from medai.hub.storage import report_lines, storage_report, unmount_under

    lay = layout(args)
    if args.unmount:
        for point in unmount_under(lay.root):
            print(f"unmounted {point}")
        return 0
    keep = args.keep or settings(args).submissions_keep
    inbound = lay.exchange_dir / load(args).course.id / "inbound" if args.prune else None
    shown: list[str] | None = None
    while True:
        report = storage_report(lay)
        if args.every is None:
            print("\n".join(report_lines(report)))
        elif _flagged(report) != shown:  # a watcher only says when who is near or over the limit changes
            shown = _flagged(report)
            print("\n".join(f"medai storage: {line}" for line in shown) or "medai storage: nobody near a limit",
                  flush=True)
        if inbound is not None and inbound.is_dir():
            removed = prune_inbound(inbound, keep=keep)
            if removed or args.every is None:
                print(f"medai storage: pruned {len(removed)} old submission(s) from {inbound} "
                      f"(keeping the newest {keep} per student and assignment)", flush=True)
        if args.every is None:
            return 0
        time.sleep(args.every)


def register(sub, common) -> None:
    p = add_command(
        sub, common, "storage", func=_storage,
        help="show how much of their storage limit each home and the exchange use; prune old submissions",
        example="medai storage\n  medai storage --prune --keep 5 --every 60",
        description="Lists every user's home and the exchange, fullest first: used, limit, state (ok, near the "
                    "limit, FULL, no limit). --prune keeps the newest submissions per student and assignment "
                    "in the exchange's inbound; --every repeats (the hub's storage-guard service runs this). "
                    "--unmount unmounts the size-limited filesystems under the data root (hub stopped).")
    p.add_argument("--prune", action="store_true", help="remove all but the newest --keep submissions per "
                   "student and assignment from inbound")
    p.add_argument("--keep", type=int, default=0, help="submissions to keep (default $MEDAI_SUBMISSIONS_KEEP)")
    p.add_argument("--every", type=int, default=None, metavar="SECONDS", help="repeat every SECONDS")
    p.add_argument("--unmount", action="store_true",
                   help="unmount every size-limited filesystem under the data root (stop the hub first)")
