"""Where jobs execute: a local pool of worker processes, or a Dask distributed cluster.

Both take ExecJobs and hand back ExecResults as they finish, through the same calls (start, submit, wait,
close); the single writer never waits on one submission while others could run. :func:`make_executor` makes
one from the run's options and its ExecSpec; constructing it does nothing else: `start()` forks the workers or
connects to the cluster, `close()` stops them.

Local: one worker process per sandbox slot, forked from the writer after nbgrader and nbclient are imported
(nothing heavy is imported twice), each driving its slot's kernels from the shared zygote. A worker that dies
(the client side ran out of memory on a flood of output, say) fails only its own job and is replaced.

Dask: each job is a task, sent with the ExecSpec as JSON; a worker process runs it in a slot of its own (see
medai.grader.dask_worker).
"""
from __future__ import annotations

import collections
import multiprocessing
import multiprocessing.connection
import signal
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from medai.grader.execute import ExecJob, ExecResult, NotebookExec, Slot
from medai.grader.results import Status
from medai.grader.sandbox import ExecSpec

if TYPE_CHECKING:
    from medai.grader.context import GradeOptions
    from medai.grader.kernels import Zygote


def _worker_main(*args) -> None:  # pragma: no cover
    """A slot's worker process, forked: it serves in a context of its own (medai.privileges.in_own_context)."""
    from medai.privileges import in_own_context

    in_own_context(_serve, *args)


def _serve(conn, socket_path: str, slot: str, ipc_dir: str, prestart: bool) -> None:  # pragma: no cover
    """A slot's worker: take a job, prepare it (medai.grader.standby), say "ready", run it on "go" (saying when
    it waits CPU-idle), send the result; a stop (None) instead of "go" closes the prepared job unused."""
    from medai.grader.kernels import ZygoteClient

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the writer's to handle
    runner = Slot(client=ZygoteClient(socket_path), slot=slot, ipc_dir=ipc_dir)
    lock = threading.Lock()

    def say(*msg) -> None:
        with lock:
            conn.send(msg)

    while True:
        try:
            job = conn.recv()
        except EOFError:
            return
        if job is None:
            return
        prepared = runner.prepare(job, prestart=prestart)
        say("ready")
        try:
            go = conn.recv()
        except EOFError:
            go = None
        if go is None:
            runner.discard(prepared)
            return
        say("result", runner.execute(prepared, on_idle=lambda idle: say("idle", idle)))


def died(job: ExecJob, why: str) -> ExecResult:
    return ExecResult(student=job.student, notebooks=[NotebookExec(job.notebooks[0] if job.notebooks else "?",
                                                                   Status.FAILED, why)])


@dataclass
class _Worker:
    slot: str
    proc: multiprocessing.Process
    conn: multiprocessing.connection.Connection
    job: ExecJob | None = None
    order: int = 0  # when its job was submitted: the oldest ready job goes first
    phase: str = ""  # "preparing" | "ready" (prepared, no go yet) | "running" (go sent) while it has a job
    idle: bool = False  # running, but waiting CPU-idle: its slot is lent


def make_executor(options: GradeOptions, spec: ExecSpec, *, zygote: Zygote | None = None):
    """The executor `options.executor` names, not started: local needs the `zygote` the run started from `spec`
    (as root, before the writer dropped to the course's owner), with :func:`local_slots` slots; Dask workers
    start zygotes of their own from it."""
    if options.executor == "dask":
        return DaskExecutor(scheduler=options.scheduler, spec=spec)
    if zygote is None:
        raise ValueError("the local executor needs the run's zygote")
    return LocalExecutor(zygote=zygote, running=options.workers, prestart=options.standby)


def local_slots(options: GradeOptions) -> int:
    """Sandbox slots of a local run: `workers` execute; with standby, as many again hold the next submissions
    (opened, kernel started) and take over a slot whose submission waits CPU-idle (medai.grader.standby)."""
    return options.workers * 2 if options.standby else options.workers


class LocalExecutor:
    """One worker process per slot of the zygote, forked by `start()` (constructing one forks nothing). At most
    `running` jobs execute at once, a job waiting CPU-idle not counted; the other slots prepare the next jobs."""

    def __init__(self, *, zygote: Zygote, running: int | None = None, prestart: bool = False):
        self.zygote = zygote
        self.running = min(running or len(zygote.slots), len(zygote.slots))
        self.prestart = prestart
        self.ctx = multiprocessing.get_context("fork")
        self.queue: collections.deque[ExecJob] = collections.deque()
        self.workers: list[_Worker] = []
        self.control = None
        self.submitted = 0
        self.events: list[tuple[float, str, str, str]] = []  # (time.time(), event, student, slot), for tests

    def start(self) -> "LocalExecutor":
        self.control = self.zygote.client()  # connects on its first request
        self.workers = [self._spawn(slot) for slot in self.zygote.slots]
        return self

    @property
    def capacity(self) -> int:
        return len(self.zygote.slots)

    def _spawn(self, slot: str) -> _Worker:
        parent, child = self.ctx.Pipe()
        proc = self.ctx.Process(target=_worker_main, args=(child, self.zygote.socket, slot,
                                                           self.zygote.slot_dirs[slot], self.prestart), daemon=True)
        proc.start()
        child.close()
        return _Worker(slot, proc, parent)

    @property
    def busy(self) -> int:
        return len(self.queue) + sum(w.job is not None for w in self.workers)

    def submit(self, job: ExecJob) -> None:
        self.queue.append(job)
        self._dispatch()

    def _note(self, event: str, w: _Worker) -> None:
        import time

        self.events.append((time.time(), event, w.job.student if w.job else "", w.slot))

    def _dispatch(self) -> None:
        for w in self.workers:
            if w.job is None and self.queue:
                self.submitted += 1
                w.job, w.order, w.phase, w.idle = self.queue.popleft(), self.submitted, "preparing", False
                w.conn.send(w.job)
        working = sum(w.phase == "running" and not w.idle for w in self.workers)
        # a go may be sent while the worker still prepares: it reads it once ready, with no round trip through
        # the writer (which may be busy recording another submission for a while)
        for w in sorted((w for w in self.workers if w.phase in ("preparing", "ready")), key=lambda w: w.order):
            if working >= self.running:
                break
            w.conn.send("go")
            w.phase = "running"
            working += 1
            self._note("go", w)

    def _receive(self, w: _Worker, results: list[ExecResult]) -> None:
        while w.job is not None and w.conn.poll():
            msg = w.conn.recv()
            if msg[0] == "ready":
                if w.phase == "preparing":  # else its go is already on the way
                    w.phase = "ready"
            elif msg[0] == "idle":
                w.idle = bool(msg[1])
                self._note("idle" if w.idle else "working", w)
            elif msg[0] == "result":
                self._note("done", w)
                results.append(msg[1])
                w.job, w.phase, w.idle = None, "", False

    def wait(self, timeout: float | None = None) -> list[ExecResult]:
        busy = [w for w in self.workers if w.job is not None]
        if not busy:
            return []
        ready = multiprocessing.connection.wait([w.conn for w in busy] + [w.proc.sentinel for w in busy], timeout)
        results: list[ExecResult] = []
        for i, w in enumerate(self.workers):
            if w.job is None:
                continue
            try:
                self._receive(w, results)
                if w.job is None:
                    continue
            except (EOFError, OSError):
                pass
            if w.proc.sentinel in ready or not w.proc.is_alive():
                w.proc.join()
                results.append(died(w.job, f"the grading worker died (exit code {w.proc.exitcode}); "
                                           "its submission's processes were killed"))
                self.control.reap(w.slot)
                self.workers[i] = self._spawn(w.slot)
        self._dispatch()
        return results

    def close(self) -> None:
        for w in self.workers:
            try:
                w.conn.send(None)  # a prepared job still waiting for its go is closed unused
            except OSError:
                pass
        for w in self.workers:
            w.proc.join(timeout=10)
            if w.proc.is_alive():
                w.proc.kill()
                w.proc.join()
                self.control.reap(w.slot)
        self.workers = []
        if self.control is not None:
            self.control.close()
            self.control = None


class DaskExecutor:
    """Jobs as tasks on a Dask cluster (`distributed`); each worker process grades in a sandbox slot of its own.
    `start()` connects to the scheduler (constructing one opens nothing)."""

    def __init__(self, *, scheduler: str, spec: ExecSpec):
        self.scheduler = scheduler
        self.spec_json = spec.to_json()  # what each task carries: JSON, never a pickled object of ours
        self.client = None
        self.futures: dict = {}

    def start(self) -> "DaskExecutor":
        from distributed import Client

        self.client = Client(self.scheduler, timeout="30s")
        return self

    @property
    def capacity(self) -> int:
        return max(1, sum(w.get("nthreads", 1) for w in self.client.scheduler_info()["workers"].values()))

    @property
    def busy(self) -> int:
        return len(self.futures)

    def submit(self, job: ExecJob) -> None:
        from medai.grader.dask_worker import run_job

        future = self.client.submit(run_job, job, self.spec_json, pure=False, key=f"grade-{job.student}-{id(job)}")
        self.futures[future] = job

    def wait(self, timeout: float | None = None) -> list[ExecResult]:
        from distributed import wait

        if not self.futures:
            return []
        try:
            done, _ = wait(list(self.futures), timeout=timeout, return_when="FIRST_COMPLETED")
        except TimeoutError:  # distributed raises where concurrent.futures returns
            return []
        results = []
        for future in done:
            job = self.futures.pop(future)
            try:
                results.append(future.result())
            except Exception as err:  # noqa: BLE001 - the task failed on the cluster
                results.append(died(job, f"the Dask task failed: {type(err).__name__}: {err}"))
        return results

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None
