"""The self-check log: one record per use of a notebook's self-check (`q1.check()`) or hint (`q1.hint()`).

Where it lives, and why there: students' servers and kernels run as the students' own Unix accounts
(medai.hub.spawner), so any file a kernel writes is a file its student can also truncate or delete, and a
directory all students may write to is one where each can meddle with what others left (sticky bits stop
deletion, not a student's own truncation; chattr +a needs root and a filesystem that has it). So a student's
kernel never writes the log. It sends each use, with its server's own hub token, to the hub service that
already reads the gradebook (the progress service, `POST <prefix>api/selfchecks`, medai.progress.staff_page
.selfcheck_api); the service learns from the hub who the token belongs to (the student named in a record is
never taken from the request), and appends the record here, as the grader account:

    <course dir>/selfchecks/<student>.jsonl    one JSON object a line, appended (O_APPEND) by the service only

The folder is the grader's (mode 0700, files 0600): a student can neither read nor edit anyone's records, their
own included; deleting their notebook, their checks.py or their whole home loses nothing already recorded.
The instructor reads it through the progress service or `medai report selfchecks` (as the grader or root).
One writer (the service's event loop) appends whole lines; a line cut short by a crash is skipped on reading.
A student's file stops growing at MAX_FILE_BYTES (a loop calling check() a million times fills nothing).

Plain dataclasses, JSON lines; no pickles. Nothing here imports the kernel side (medai.selfcheck): the record's
shape is checked here, on arrival, because the sender is a student's process and not to be trusted.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timezone
from pathlib import Path

from medai.course.model import LOGIN_PATTERN

ACTIONS = ("check", "hint")
STATUSES = ("pass", "not yet", "error")  # medai.selfcheck's PASS, NOT_YET, ERROR
MAX_FILE_BYTES = 4 << 20  # ~15,000 records per student and course
MAX_MESSAGE = 500  # characters of the message the student saw, kept for the instructor's example
MAX_BODY = 8 << 10  # bytes of one request
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")  # an assignment's folder name, a question's name in checks.py
_CHECK = re.compile(r"^[A-Za-z0-9_.:<>-]{1,200}$")  # "<function>:<line>" in checks.py, or an exception's type
_LOGIN = re.compile(LOGIN_PATTERN)


class BadRecord(ValueError):
    """A record that is not one (the service answers 400 and writes nothing)."""


@dataclass(frozen=True)
class SelfCheckUse:
    """One use of a self-check or a hint, as recorded."""

    student: str  # who, as the hub knows them (never what the request says)
    assignment: str  # the folder checks.py sits in: the nbgrader assignment id
    question: str  # the name checks.py binds the question to: "q1"
    action: str  # "check" or "hint"
    status: str | None  # a check's verdict: "pass", "not yet" or "error"; None for a hint
    failed: str | None  # which check failed: "<function>:<line>" of the failing expect in checks.py; for "error" the
    # exception's type ("NameError"); None when it passed or for a hint
    message: str  # what the student was shown when it did not pass (cut to MAX_MESSAGE), else ""
    at: str  # when the service recorded it, ISO 8601 UTC (the service's clock, not the student's)
    title: str = ""  # the question's name as checks.py declares it (its English msgid)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"))


def _text(data: dict, key: str, limit: int) -> str:
    value = data.get(key, "")
    if not isinstance(value, str):
        raise BadRecord(f"{key!r} should be a string")
    return value[:limit]


def from_request(student: str, data: object, *, now: datetime | None = None) -> SelfCheckUse:
    """The record a student's kernel sent (a JSON object), checked, with `student` (who the hub says sent it) and
    the time now. Raises BadRecord."""
    if not _LOGIN.match(student or ""):
        raise BadRecord(f"{student!r} is not a login name")
    if not isinstance(data, dict):
        raise BadRecord("the record should be a JSON object")
    for key in ("assignment", "question"):
        if not isinstance(data.get(key), str) or not _ID.match(data[key]):
            raise BadRecord(f"{key!r} should be a name such as 'c02-diagnostic-metrics' or 'q1'")
    action = data.get("action")
    if action not in ACTIONS:
        raise BadRecord(f"'action' should be one of {', '.join(ACTIONS)}")
    status, failed = data.get("status"), data.get("failed")
    if action == "hint":
        status, failed, message = None, None, ""
    else:
        if status not in STATUSES:
            raise BadRecord(f"'status' should be one of {', '.join(STATUSES)}")
        if status == "pass":
            failed, message = None, ""
        else:
            failed = failed or "unknown"  # a check that failed outside checks.py's own lines
            if not isinstance(failed, str) or not _CHECK.match(failed):
                raise BadRecord("'failed' should name the check that failed, e.g. '_q1:42' or 'NameError'")
            message = _text(data, "message", MAX_MESSAGE)
    moment = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    return SelfCheckUse(student=student, assignment=data["assignment"], question=data["question"], action=action,
                        status=status, failed=failed, message=message, at=moment.isoformat(timespec="milliseconds"),
                        title=_text(data, "title", 200))


def log_file(directory: Path, student: str) -> Path:
    if not _LOGIN.match(student):
        raise BadRecord(f"{student!r} is not a login name")
    return directory / f"{student}.jsonl"


def append(directory: Path, use: SelfCheckUse) -> bool:
    """Append one record to its student's file (folder 0700, file 0600, made when missing). False, and nothing
    written, when that file has reached MAX_FILE_BYTES."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    line = (use.to_json() + "\n").encode("utf-8")
    fd = os.open(log_file(directory, use.student), os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        if os.fstat(fd).st_size + len(line) > MAX_FILE_BYTES:
            return False
        os.write(fd, line)  # one write of one line, at the end (O_APPEND)
    finally:
        os.close(fd)
    return True


_FIELDS = {f.name for f in fields(SelfCheckUse)}


def read(directory: Path, *, assignment: str | None = None) -> list[SelfCheckUse]:
    """Every record (of one assignment), oldest first. A line that is not a record, or a record whose student is
    not the file's, is skipped; no folder: no records."""
    if not directory.is_dir():
        return []
    found = []
    for path in sorted(directory.glob("*.jsonl")):
        owner = path.name[: -len(".jsonl")]
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                try:
                    data = json.loads(line)
                    use = SelfCheckUse(**{k: v for k, v in data.items() if k in _FIELDS})
                except (ValueError, TypeError):
                    continue  # a line cut short, or not ours
                if use.student == owner and (assignment is None or use.assignment == assignment):
                    found.append(use)
    found.sort(key=lambda u: (u.at, u.student))
    return found
