"""Grade on submit: a queue the hub can feed, and a service that drains it.

The queue is a spool directory in the course directory (`.medai-grade/queue/`), one small JSON file per
request, written atomically; whoever has the grader's rights can add to it (`medai grade-enqueue`, or the hub
as root). The service (`medai grade-watch`) also notices new submissions in the exchange's inbound folder by
itself, so it works with an unmodified hub. Each round it claims every pending request (a rename, so two
services never take the same one; claims left by a service that died are taken back at start), then per
assignment: collects from the exchange, grades the requested students with the usual pipeline (sandbox,
gradebook, resumable state), generates their feedback under the hidden-test policy (by default withheld until
the student's deadline, see medai.grader.visibility) and returns it to them through the exchange at once.
While a round grades an assignment it keeps taking in that assignment's new submissions (its kernels already
warm, medai.grader.arrivals), and stays open a polling interval after it falls idle.
"""
from __future__ import annotations

import json
import os
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from medai.grader.state import STATE_DIR
from medai.privileges import run_as_owner_of


@dataclass(frozen=True)
class Request:
    assignment: str
    student: str
    queued_at: float
    source: str = "hub"


class SubmitQueue:
    def __init__(self, course_dir: str | Path):
        self.root = Path(course_dir) / STATE_DIR / "queue"
        self.claimed = self.root / "claimed"

    def put(self, assignment: str, student: str, *, source: str = "hub") -> Path:
        self.claimed.mkdir(parents=True, exist_ok=True)
        request = Request(assignment, student, time.time(), source)
        name = f"{time.time_ns()}-{os.getpid()}-{assignment}-{student}.json"
        tmp = self.root / f".{name}.tmp"
        tmp.write_text(json.dumps(asdict(request)), encoding="utf-8")
        os.replace(tmp, self.root / name)
        return self.root / name

    def pending(self) -> list[Path]:
        return sorted(self.root.glob("*.json")) if self.root.is_dir() else []

    @staticmethod
    def _read(path: Path) -> Request | None:
        try:
            return Request(**json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return None
        except (ValueError, TypeError):
            path.unlink(missing_ok=True)  # not a request: drop it
            return None

    def claim(self, assignment: str | None = None) -> list[tuple[Path, Request]]:
        """Take every pending request (oldest first), or every one for `assignment`; a request another consumer
        took first is skipped."""
        self.claimed.mkdir(parents=True, exist_ok=True)
        out = []
        for path in self.pending():
            request = self._read(path)
            if request is None or (assignment is not None and request.assignment != assignment):
                continue
            target = self.claimed / path.name
            try:
                os.rename(path, target)
            except FileNotFoundError:
                continue
            out.append((target, request))
        return out

    def others_waiting(self, assignment: str) -> bool:
        """Whether a request for another assignment is pending."""
        return any(r is not None and r.assignment != assignment for r in map(self._read, self.pending()))

    def requeue_claimed(self) -> int:
        """Requests a service claimed and never finished (it died): back in the queue."""
        count = 0
        for path in sorted(self.claimed.glob("*.json")) if self.claimed.is_dir() else []:
            os.replace(path, self.root / path.name)
            count += 1
        return count

    @staticmethod
    def done(paths: list[Path]) -> None:
        for path in paths:
            path.unlink(missing_ok=True)


SETTLE_SECONDS = 0.5  # a folder with submit's secret in it, unchanged this long, is complete
SETTLE_WITHOUT_SECRET = 5.0  # one without (not written by nbgrader's submit), unchanged this long
SETTLE_MAX_ENTRIES = 10_000  # entries looked at per folder (a student's folder is theirs to fill)


def settled(folder: Path, now: float | None = None) -> bool:
    """Whether an inbound folder is complete. nbgrader's submit copies the files, writes timestamp.txt, then
    submission_secret.txt, then sets permissions; a folder is taken once it has the secret and nothing in it
    (names, contents, modes: the ctime) changed for SETTLE_SECONDS, or without the secret for
    SETTLE_WITHOUT_SECRET. Collecting a folder mid-copy would grade a partial submission and return its feedback
    where the student's fetch cannot find it."""
    now = time.time() if now is None else now
    try:
        newest, seen = folder.lstat().st_ctime, 0
        for root, dirs, files in os.walk(folder):
            for name in dirs + files:
                newest = max(newest, os.lstat(os.path.join(root, name)).st_ctime)
                seen += 1
            if seen > SETTLE_MAX_ENTRIES:
                break  # far more than a submission holds: the collector rejects it, with the reason
        secret = (folder / "submission_secret.txt").is_file()
    except OSError:
        return False  # changing under us
    return now - newest >= (SETTLE_SECONDS if secret else SETTLE_WITHOUT_SECRET)


def inbound_submissions(inbound: Path, *, skip: set[str] = frozenset()) -> list[tuple[str, str, str]]:
    """(student, assignment, folder name) of every complete (:func:`settled`) submission in an exchange inbound
    folder whose name nbgrader's submit could have written, those named in `skip` left out; anything else (`..`,
    path parts, no timestamp) is left to the collector, which rejects it with a reason."""
    from medai.nbgrader_adapter.collect import Rejection, parse_inbound_name

    if not inbound.is_dir():
        return []
    out = []
    for entry in sorted(inbound.iterdir()):
        if entry.name in skip:
            continue
        try:
            parsed = parse_inbound_name(entry.name)
        except Rejection:
            continue
        if entry.is_dir() and not entry.is_symlink() and settled(entry):
            out.append((parsed.student, parsed.assignment, entry.name))
    return out


def discover(queue: SubmitQueue, inbound: Path) -> int:
    """Queue every complete inbound submission not seen before (seen ones are remembered in the queue folder);
    one still being written is queued by a later call."""
    seen_file = queue.root.parent / "queue-seen.json"
    try:
        seen = set(json.loads(seen_file.read_text()))
    except (FileNotFoundError, ValueError):
        seen = set()
    new = inbound_submissions(inbound, skip=seen)
    for student, assignment, name in new:
        queue.put(assignment, student, source="exchange")
        seen.add(name)
    if new:
        seen_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = seen_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(sorted(seen)))
        os.replace(tmp, seen_file)
    return len(new)


class Intake:
    """A grading run's source of new students for one assignment (see medai.grader.arrivals): each poll queues
    what reached the exchange and claims that assignment's requests. A student's requests are deleted once their
    result is recorded, so a service that dies mid-run leaves them claimed, to be taken back at its next start.
    When another assignment's requests wait, it takes no more and lets the run end (`linger` 0)."""

    def __init__(self, queue: SubmitQueue, assignment: str, items: list, *, inbound: Path | None, linger: float):
        self.queue, self.assignment, self.inbound, self.linger = queue, assignment, inbound, linger
        self.claimed: dict[str, list[Path]] = defaultdict(list)
        self.closing = False
        for path, request in items:
            self.claimed[request.student].append(path)

    def poll(self) -> list[str]:
        if self.closing:
            return []
        if self.inbound is not None:
            discover(self.queue, self.inbound)
        if self.queue.others_waiting(self.assignment):
            self.closing, self.linger = True, 0.0
            return []
        new = self.queue.claim(self.assignment)
        for path, request in new:
            self.claimed[request.student].append(path)
        return [request.student for _, request in new]

    def done(self, student: str) -> None:
        self.queue.done(self.claimed.pop(student, []))

    def close(self, error: BaseException | None = None) -> None:
        """The run ended: the requests it still holds are settled (no submission came, or nothing was left to
        grade), also when it stopped on a UserError (as drain settles its own: a new submission queues it again).
        Any other failure leaves them claimed, taken back when the service starts again."""
        from medai.errors import UserError

        if error is None or isinstance(error, UserError):
            self.queue.done([path for paths in self.claimed.values() for path in paths])
            self.claimed.clear()


def drain(*, course_dir: Path, make_target, options, log=print, inbound: Path | None = None,
          linger: float = 0.0) -> list:
    """One round: claim, then per assignment collect, grade, return feedback, taking in that assignment's new
    requests while the run is open and for `linger` seconds after it falls idle (`inbound`: the exchange folder
    to discover them in). `make_target(assignment)` builds the Target (course.yaml or not). Returns the summaries."""
    from medai.errors import UserError
    from medai.grader.pipeline import grade

    queue = SubmitQueue(course_dir)
    claimed = run_as_owner_of(course_dir, queue.claim)  # queue files stay the grader's, also under root
    by_assignment: dict[str, list] = defaultdict(list)
    for path, request in claimed:
        by_assignment[request.assignment].append((path, request))
    summaries = []
    for assignment, items in sorted(by_assignment.items()):
        students = tuple(sorted({r.student for _, r in items}))
        intake = Intake(queue, assignment, items, inbound=inbound, linger=linger)
        try:
            target = make_target(assignment)
            summary = grade(target=target, options=replace(options, students=students, collect=True,
                                                            missing_ok=True, return_feedback=True), intake=intake)
        except UserError as err:
            log(f"grade-on-submit: {assignment}: {err}")
            run_as_owner_of(course_dir, queue.done, [p for p, _ in items])  # a new submission queues it again
            continue
        summaries.append(summary)
        log("\n".join(summary.lines()))
        run_as_owner_of(course_dir, queue.done, [p for p, _ in items])
    return summaries


def watch(*, course_dir: Path, make_target, options, inbound: Path | None, every: float, rounds: int = 0,
          log=print) -> None:
    """The service: requeue what a dead predecessor claimed, then discover and drain every `every` seconds."""
    queue = SubmitQueue(course_dir)
    back = run_as_owner_of(course_dir, queue.requeue_claimed)
    if back:
        log(f"grade-on-submit: {back} request(s) taken back from an interrupted run")
    done = 0
    while True:
        if inbound is not None:
            run_as_owner_of(course_dir, discover, queue, inbound)
        if queue.pending():
            drain(course_dir=course_dir, make_target=make_target, options=options, log=log, inbound=inbound,
                  linger=every)
        done += 1
        if rounds and done >= rounds:
            return
        time.sleep(every)
