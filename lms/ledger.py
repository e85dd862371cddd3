"""What medai has sent to the LMS, and what it still owes it: one JSON file in `<root>/hub/lms/` (0600).

- `line_items`: assignment -> line item URL (a cache: the line item is always found again by resourceId/tag);
- `sent`: "assignment/student" -> the fingerprint of the last score the LMS accepted (and its scoreGiven), so a
  second sync posts nothing that did not change;
- `outbox`: "assignment/student" -> a score whose post failed, with the error and the number of tries. The next
  sync posts it first (or its newer value); nothing leaves the outbox until the LMS accepted it.

Written whole to a temporary file and renamed after every change, so a crash mid-sync loses nothing sent.
"""
from __future__ import annotations

import fcntl
import json
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

NAME = "ledger.json"


@contextmanager
def locked(directory: Path):
    """One sync at a time per deployment (`medai grade`'s push, the lms-sync service, a person's `medai lms
    sync`): two would each save their own ledger and one could drop the other's outbox entry."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(directory / "ledger.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


@dataclass
class Ledger:
    path: Path
    line_items: dict[str, str] = field(default_factory=dict)
    sent: dict[str, dict] = field(default_factory=dict)
    outbox: dict[str, dict] = field(default_factory=dict)

    @classmethod
    def load(cls, directory: Path) -> "Ledger":
        path = Path(directory) / NAME
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            data = {}
        return cls(path, dict(data.get("line_items", {})), dict(data.get("sent", {})), dict(data.get("outbox", {})))

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"line_items": self.line_items, "sent": self.sent, "outbox": self.outbox}, f, indent=1,
                      sort_keys=True)
        os.replace(tmp, self.path)
