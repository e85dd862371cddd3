"""Keep the exchange's inbound from growing without end: the newest N submissions per student and assignment.

nbgrader's submit copies the whole assignment folder into inbound as ``<student>+<assignment>+<timestamp>+
<random>`` every time a student presses Submit, and nothing ever removes one (100 submissions took 3 s). Only
the newest matters (collect takes the newest); a few older ones are kept for disputes.

Inbound is writable by every student, so nothing found there is trusted: a folder counts as a student's only
when that student's account owns it (a folder named for someone else, planted to push their real submissions
out, is never counted for them and never removed here); nothing is followed through a symlink (a link is
removed as a link, a folder with the fd-based ``shutil.rmtree``, which does not follow links inside it), so
nothing outside inbound is ever touched; and entries modified in the last GRACE_SECONDS are left alone (a
submission still being copied, or being collected).
"""
from __future__ import annotations

import os
import shutil
import stat
import time
from datetime import datetime
from pathlib import Path

from medai.nbgrader_adapter.collect import Rejection, account_uid, parse_inbound_name
from medai.nbgrader_adapter.gradebook import utc

GRACE_SECONDS = 60


def parse_entry(name: str) -> tuple[str, str, datetime] | None:
    """(student, assignment, submitted at, aware UTC) from an inbound folder name as nbgrader's submit writes it
    (medai.nbgrader_adapter.collect.parse_inbound_name), or None when it is not one."""
    try:
        parsed = parse_inbound_name(name)
    except Rejection:
        return None
    return parsed.student, parsed.assignment, utc(parsed.timestamp)


def _remove(path: Path) -> None:
    """Remove `path` itself: a link or a file is unlinked (never followed), a folder removed without following
    any link inside it (shutil.rmtree refuses a folder swapped for a link meanwhile)."""
    if stat.S_ISDIR(os.lstat(path).st_mode):
        shutil.rmtree(path)
    else:
        path.unlink()


def prune_inbound(inbound: Path, *, keep: int, now: float | None = None) -> list[Path]:
    """Remove all but the newest `keep` submissions of each (student, assignment) from `inbound`; returns the
    paths removed. `now` (epoch seconds, default the current time) sets the grace period's end."""
    if keep < 1:
        raise ValueError("keep at least one submission per student and assignment")
    if inbound.is_symlink() or not inbound.is_dir():
        raise ValueError(f"{inbound} is not a directory")
    now = time.time() if now is None else now
    groups: dict[tuple[str, str], list[tuple[datetime, str, Path]]] = {}
    for entry in os.scandir(inbound):
        parsed = parse_entry(entry.name)
        if parsed is None:
            continue
        student, assignment, when = parsed
        st = entry.stat(follow_symlinks=False)
        owner = account_uid(student)
        if owner is not None and st.st_uid != owner:
            continue  # not the student's own: planted by someone else
        groups.setdefault((student, assignment), []).append((when, entry.name, Path(entry.path)))
    removed = []
    for entries in groups.values():
        entries.sort(reverse=True)
        for _, _, path in entries[keep:]:
            try:
                st = os.lstat(path)
                if now - st.st_mtime < GRACE_SECONDS:  # forging it old only hurts the forger
                    continue
                _remove(path)
            except FileNotFoundError:  # removed meanwhile (collected, or by another pruner)
                continue
            removed.append(path)
    return sorted(removed)
