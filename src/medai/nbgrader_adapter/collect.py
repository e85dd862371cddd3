"""Collecting from nbgrader's exchange when the students who wrote into it are not trusted.

Students can write into the course's inbound folder (nbgrader needs that: mode 2733), so anything found there
may be hostile. nbgrader's own collect trusts the folder names, follows symbolic links, only warns when a
folder's owner is not the student it names, takes lateness from `timestamp.txt` (which the student writes) and
stops the whole run at the first folder that is too big. Here every inbound folder is checked first; one that
fails a check is rejected with its reason and never copied, and the others are collected:

    name      `<student>+<assignment>+<timestamp>[+<random>]`, as nbgrader's submit writes it: a student id
              (a roster id where the gradebook lists students), exactly the assignment being collected, a
              timestamp nbgrader can parse; nothing in it can act as a path part (`..`, `/`, a leading dot)
    owner     the folder and everything in it belong to the student it names (their uid), or to the collecting
              account itself (what the graders put there): nobody submits in someone else's name
    contents  regular files and folders only: no symbolic link, no hard link (a file with another name
              elsewhere), no device, FIFO or socket; at most `CourseDirectory.max_dir_size` kB in all and
              MAX_ENTRIES entries, MAX_DEPTH folders deep

Copying opens every folder and file relative to its parent with O_NOFOLLOW and checks what it opened (so a
file swapped for a link between the check and the copy is caught), copies into a temporary folder beside the
destination, and replaces the student's previous submission only when the copy is complete. Nothing outside
`submitted/<student>/<assignment>` is ever removed.

Time: a submission is as late as the moment its content last changed in the exchange: the newest inode change
time (ctime) of its folder and everything in it, which the kernel sets and no student can move back (touching
a file only moves it later). The time the student's server wrote into `timestamp.txt` is kept when it is no
more than TOLERANCE earlier than that (copying takes a moment); an earlier claim is replaced by the received
time, which is what nbgrader then reads from `submitted/.../timestamp.txt`, and the report says so (the grading
pipeline keeps each claim, received time and folder with its state: medai.grader.state).

Depends on nbgrader 0.9.6's ExchangeCollect: `init_src`/`copy_files` as the steps `start()` runs, the traits
`update`, `before_duedate`, `coursedir.{submitted_directory, ignore, include, max_file_size, max_dir_size}`,
`get_existing_timestamp`, and submit's folder names `<student>+<assignment>+<timestamp>[+<random>]`.
"""
from __future__ import annotations

import datetime as dt
import fnmatch
import os
import pwd
import re
import shutil
import stat
from dataclasses import asdict, dataclass, field
from pathlib import Path

from nbgrader.exchange.default.collect import ExchangeCollect

MAX_ENTRIES = 10_000
MAX_DEPTH = 32
TOLERANCE = dt.timedelta(seconds=60)
# ids as nbgrader and Unix accept them; never ".", "..", a path separator, or a leading dot
SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}$")
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f UTC"


class Rejection(Exception):
    """An inbound folder that is not collected; the message says why, in words for the instructor."""


def safe_id(value: str) -> bool:
    return bool(SAFE_ID.match(value)) and ".." not in value


@dataclass(frozen=True)
class InboundName:
    student: str
    assignment: str
    timestamp: dt.datetime  # naive UTC, as nbgrader's parse_utc gives it


def parse_inbound_name(name: str) -> InboundName:
    """The parts of an inbound folder's name; Rejection when it is not one nbgrader's submit could write."""
    from nbgrader.utils import parse_utc

    parts = name.split("+")
    if len(parts) not in (3, 4):
        raise Rejection("the folder name is not <student>+<assignment>+<timestamp>+<random>")
    student, assignment, stamp = parts[:3]
    if not safe_id(student):
        raise Rejection(f"{student!r} is not a valid student id")
    if not safe_id(assignment):
        raise Rejection(f"{assignment!r} is not a valid assignment id")
    try:
        when = parse_utc(stamp)
    except (ValueError, OverflowError, TypeError):
        raise Rejection(f"{stamp!r} is not a timestamp") from None
    return InboundName(student, assignment, when)


def format_timestamp(when: dt.datetime) -> str:
    return when.strftime(TIMESTAMP_FORMAT)


@dataclass
class Received:
    """One inbound folder, checked and copied."""

    student: str
    folder: str
    claimed: dt.datetime | None  # what timestamp.txt (or the name) says, naive UTC
    received: dt.datetime  # the newest ctime of the folder and its content, naive UTC
    files: int = 0
    bytes: int = 0
    skipped: list[str] = field(default_factory=list)  # files nbgrader's settings leave out (ignore, too large)

    @property
    def timestamp(self) -> dt.datetime:
        """What the gradebook gets: the claim when it is plausible, else the time it was received."""
        if self.claimed is not None and self.claimed >= self.received - TOLERANCE:
            return self.claimed
        return self.received

    @property
    def backdated(self) -> bool:
        return self.claimed is not None and self.timestamp != self.claimed

    def receipt(self) -> dict:
        """What to keep of it (times as nbgrader writes them), e.g. as JSON beside the grading state."""
        data = {k: (format_timestamp(v) if isinstance(v, dt.datetime) else v) for k, v in asdict(self).items()}
        return {**data, "timestamp": format_timestamp(self.timestamp)}


@dataclass
class CollectReport:
    """What collecting one assignment did, folder by folder."""

    assignment: str
    collected: list[Received] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # students whose newest submission is already collected
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (folder name, reason)

    def headline(self) -> str:
        return (f"collected from the exchange: {len(self.collected)} new submission(s)"
                + (f", {len(self.rejected)} rejected" if self.rejected else ""))

    def details(self) -> list[str]:
        """What a collected submission's student claimed or sent that was not taken as it was."""
        out = []
        for rec in self.collected:
            if rec.backdated:
                out.append(f"{rec.student}: timestamp.txt says {format_timestamp(rec.claimed)} but the "
                           f"submission arrived {format_timestamp(rec.received)}: graded as arrived")
            for name in rec.skipped:
                out.append(f"{rec.student}: left out {name} (nbgrader's ignore/max_file_size settings)")
        return out

    def lines(self) -> list[str]:
        return [self.headline(), *self.details(), *(f"rejected {folder}: {reason}" for folder, reason in self.rejected)]


class _Copier:
    """Checks and copies one inbound folder through file descriptors, never following a link."""

    def __init__(self, *, owners: set[int], max_bytes: int, max_file_bytes: int | None, ignore: list[str],
                 include: list[str] | None):
        self.owners, self.max_bytes, self.max_file_bytes = owners, max_bytes, max_file_bytes
        self.ignore, self.include = ignore, include
        self.entries = self.bytes = self.files = self.seen = 0
        self.newest = 0.0
        self.skipped: list[str] = []
        self.claimed_text: str | None = None

    def _too_big(self) -> str:
        return f"larger than the {self.max_bytes // 1000:,} kB a submission may have (CourseDirectory.max_dir_size)"

    def _owned(self, st: os.stat_result, rel: str) -> None:
        if st.st_uid not in self.owners:
            owner = _user_name(st.st_uid)
            raise Rejection(f"{rel or 'the folder'} belongs to {owner}, not to the student it is submitted as")

    def copy_dir(self, fd: int, dest: Path, rel: str = "", depth: int = 0) -> None:
        if depth > MAX_DEPTH:
            raise Rejection(f"folders nested deeper than {MAX_DEPTH} levels")
        st = os.fstat(fd)
        self._owned(st, rel)
        dest.mkdir(mode=0o755)
        for name in sorted(os.listdir(fd)):
            self.entries += 1
            if self.entries > MAX_ENTRIES:
                raise Rejection(f"more than {MAX_ENTRIES} files and folders")
            path = f"{rel}/{name}" if rel else name
            if any(fnmatch.fnmatch(name, glob) for glob in self.ignore):
                continue
            lst = os.stat(name, dir_fd=fd, follow_symlinks=False)
            if stat.S_ISLNK(lst.st_mode):
                raise Rejection(f"{path} is a symbolic link")
            if stat.S_ISDIR(lst.st_mode):
                sub = _open(name, fd, os.O_DIRECTORY, path)
                try:
                    self.copy_dir(sub, dest / name, path, depth + 1)
                    self.newest = max(self.newest, os.fstat(sub).st_ctime)
                finally:
                    os.close(sub)
            elif stat.S_ISREG(lst.st_mode):
                self.copy_file(name, fd, dest / name, path, top=depth == 0)
            else:
                raise Rejection(f"{path} is not a regular file (a device, FIFO or socket)")
        self.newest = max(self.newest, os.fstat(fd).st_ctime)

    def copy_file(self, name: str, dir_fd: int, dest: Path, path: str, *, top: bool) -> None:
        fd = _open(name, dir_fd, os.O_NONBLOCK, path)
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise Rejection(f"{path} is not a regular file")
            if st.st_nlink > 1:
                raise Rejection(f"{path} is a hard link to a file elsewhere")
            self._owned(st, path)
            self.seen += st.st_size  # as nbgrader's get_size: files it then leaves out count too
            if self.seen > self.max_bytes:
                raise Rejection(self._too_big())
            if self.include and not any(fnmatch.fnmatch(name, glob) for glob in self.include):
                return
            if self.max_file_bytes is not None and st.st_size > self.max_file_bytes:
                self.skipped.append(path)  # nbgrader leaves such a file out, with a warning
                return
            budget = self.max_bytes - self.bytes
            with open(dest, "xb") as out:
                while chunk := os.read(fd, 1 << 20):
                    budget -= len(chunk)
                    if budget < 0:  # it grew while being copied
                        raise Rejection(self._too_big())
                    out.write(chunk)
                    if top and name == "timestamp.txt" and out.tell() <= 100:
                        self.claimed_text = (self.claimed_text or "") + chunk.decode("utf-8", "replace")
            self.bytes = self.max_bytes - budget
            self.files += 1
            self.newest = max(self.newest, os.fstat(fd).st_ctime)  # after reading: a change meanwhile counts
        finally:
            os.close(fd)


def _open(name: str, dir_fd: int, flags: int, path: str) -> int:
    try:
        return os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | flags, dir_fd=dir_fd)
    except OSError as err:  # swapped for a link, or removed, between listing and opening
        raise Rejection(f"{path} cannot be opened safely ({err.strerror})") from None


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def account_uid(student: str) -> int | None:
    """The uid of the student's Unix account; None when there is none."""
    try:
        return pwd.getpwnam(student).pw_uid
    except KeyError:
        return None


def _replace_dir(new: Path, dest: Path) -> None:
    """Put the complete copy `new` where `dest` is, removing only the old `dest`."""
    old = dest.with_name(f".{dest.name}.old-{os.getpid()}")
    if dest.exists():
        os.rename(dest, old)
    os.rename(new, dest)
    if old.exists():
        shutil.rmtree(old)


class SafeExchangeCollect(ExchangeCollect):
    """nbgrader's collect for untrusted inbound folders (see the module docstring). Configured as
    `ExchangeFactory.collect`, it is what `medai collect`, `medai grade` and the formgrader's Collect button
    run; `self.report` tells what happened to every folder."""

    def init_src(self):
        from nbgrader.api import Gradebook, MissingEntry

        if not self.coursedir.course_id:
            self.fail("No course id specified. Re-run with --course flag.")
        assignment = self.coursedir.assignment_id
        if not safe_id(assignment):
            self.fail(f"{assignment!r} is not a valid assignment id")
        self.course_path = os.path.join(self.root, self.coursedir.course_id)
        self.inbound_path = os.path.join(self.course_path, "inbound")
        if not os.path.isdir(self.inbound_path):
            self.fail(f"Course not found: {self.inbound_path}")
        self.report = CollectReport(assignment)
        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            try:
                self.duedate = gb.find_assignment(assignment).duedate
            except MissingEntry:
                self.duedate = None
            roster = {s.id for s in gb.students}
        wanted = self.coursedir.student_id or None
        candidates: dict[str, list[InboundName]] = {}
        self._folders: dict[InboundName, str] = {}
        for name in sorted(os.listdir(self.inbound_path)):
            try:
                parsed = parse_inbound_name(name)
            except Rejection as err:
                self.report.rejected.append((name, str(err)))
                continue
            if parsed.assignment != assignment or (wanted and parsed.student != wanted):
                continue  # another assignment's (or student's): checked when that one is collected
            if roster and parsed.student not in roster:
                self.report.rejected.append((name, f"{parsed.student!r} is not a student of this course"))
                continue
            candidates.setdefault(parsed.student, []).append(parsed)
            self._folders[parsed] = name
        self._candidates = {s: sorted(v, key=lambda p: p.timestamp, reverse=True) for s, v in candidates.items()}

    def copy_files(self):
        for student, folders in sorted(self._candidates.items()):
            if self.before_duedate and self.duedate is not None:
                folders = ([f for f in folders if f.timestamp <= self.duedate]
                           + [f for f in folders if f.timestamp > self.duedate])
            for parsed in folders:  # newest first; a rejected one falls back to the one before it
                outcome = self._collect_one(parsed, self._folders[parsed])
                if outcome is not None:
                    break

    def _collect_one(self, parsed: InboundName, name: str) -> str | None:
        """'collected' / 'unchanged', or None when the folder was rejected."""
        student = parsed.student
        dest = Path(self.coursedir.format_path(self.coursedir.submitted_directory, student,
                                               self.coursedir.assignment_id))
        submitted_root = Path(self.coursedir.format_path(self.coursedir.submitted_directory, ".", ".")).resolve()
        if dest.resolve().parent.parent != submitted_root:
            self.report.rejected.append((name, "its name would place it outside submitted/"))
            return None
        uid = account_uid(student)
        owners = {os.geteuid()} | ({uid} if uid is not None else set())
        tmp = dest.with_name(f".{dest.name}.collecting-{os.getpid()}")
        copier = _Copier(owners=owners, max_bytes=1000 * self.coursedir.max_dir_size,
                         max_file_bytes=1000 * self.coursedir.max_file_size if self.coursedir.max_file_size else None,
                         ignore=list(self.coursedir.ignore), include=list(self.coursedir.include or []) or None)
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            if tmp.exists():
                shutil.rmtree(tmp)
            inbound = os.open(self.inbound_path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            try:
                fd = _open(name, inbound, os.O_DIRECTORY, name)
            finally:
                os.close(inbound)
            try:
                copier.copy_dir(fd, tmp)
            finally:
                os.close(fd)
            received = Received(student=student, folder=name, claimed=_claim(copier.claimed_text, parsed),
                                received=dt.datetime.fromtimestamp(copier.newest, dt.timezone.utc)
                                .replace(tzinfo=None), files=copier.files, bytes=copier.bytes,
                                skipped=copier.skipped)
        except Rejection as err:
            shutil.rmtree(tmp, ignore_errors=True)
            self.report.rejected.append((name, str(err)))
            self.log.warning("Rejected %s: %s", name, err)
            return None
        existing = self.coursedir.get_existing_timestamp(str(dest)) if dest.is_dir() else None
        if existing is not None and not (self.update and received.timestamp > existing):
            shutil.rmtree(tmp)
            self.report.unchanged.append(student)
            return "unchanged"
        (tmp / "timestamp.txt").write_text(format_timestamp(received.timestamp))
        _replace_dir(tmp, dest)
        self.report.collected.append(received)
        self.log.info("Collecting submission: %s %s", student, self.coursedir.assignment_id)
        return "collected"


def _claim(text: str | None, parsed: InboundName) -> dt.datetime | None:
    from nbgrader.utils import parse_utc

    if text is None:
        return parsed.timestamp
    try:
        return parse_utc(text.strip())
    except (ValueError, OverflowError, TypeError):
        return parsed.timestamp


def collect(*, coursedir, config, assignment: str, student: str = "", update: bool = True) -> CollectReport:
    """Collect one assignment from the exchange (see the module docstring); what the pipeline and `medai collect`
    call. Raises medai's UserError when nbgrader refuses the collection as a whole (no exchange, no course id)."""
    from nbgrader.auth import Authenticator
    from nbgrader.exchange.abc.exchange import ExchangeError

    from medai.errors import UserError

    original = (coursedir.assignment_id, coursedir.student_id)
    coursedir.assignment_id, coursedir.student_id = assignment, student
    try:
        app = SafeExchangeCollect(coursedir=coursedir, authenticator=Authenticator(config=config), config=config)
        app.update = update
        app.start()
    except ExchangeError as err:
        raise UserError(f"collecting {assignment}: {err}") from None
    finally:
        coursedir.assignment_id, coursedir.student_id = original
    return app.report
