"""Where jobs execute: a local pool of worker processes, or a Dask distributed cluster.

Both take ExecJobs and hand back ExecResults as they finish, through the same three calls (submit, wait,
close); the single writer never waits on one submission while others could run.

Local: one worker process per sandbox slot, forked from the writer after nbgrader and nbclient are imported
(nothing heavy is imported twice), each driving its slot's kernels from the shared zygote. A worker that dies
(the client side ran out of memory on a flood of output, say) fails only its own job and is replaced.

Dask: each job is a task; a worker process runs it in a slot of its own (see medai.grader.dask_worker).
"""
from __future__ import annotations

import collections
import multiprocessing
import multiprocessing.connection
import signal
from dataclasses import dataclass

from medai.grader.execute import ExecJob, ExecResult, NotebookExec, Slot
from medai.grader.results import Status


def _worker_main(conn, socket_path: str, slot: str, ipc_dir: str) -> None:  # pragma: no cover - child process
    from medai.grader.kernels import ZygoteClient

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the writer's to handle
    runner = Slot(client=ZygoteClient(socket_path), slot=slot, ipc_dir=ipc_dir)
    while True:
        try:
            job = conn.recv()
        except EOFError:
            return
        if job is None:
            return
        conn.send(runner.run(job))


def died(job: ExecJob, why: str) -> ExecResult:
    return ExecResult(student=job.student, notebooks=[NotebookExec(job.notebooks[0] if job.notebooks else "?",
                                                                   Status.FAILED, why)])


@dataclass
class _Worker:
    slot: str
    proc: multiprocessing.Process
    conn: multiprocessing.connection.Connection
    job: ExecJob | None = None


class LocalExecutor:
    def __init__(self, *, zygote, slots: list[str]):
        self.zygote = zygote
        self.ctx = multiprocessing.get_context("fork")
        self.queue: collections.deque[ExecJob] = collections.deque()
        self.workers = [self._spawn(slot) for slot in slots]
        self.control = zygote.client()

    @property
    def capacity(self) -> int:
        return len(self.workers)

    def _spawn(self, slot: str) -> _Worker:
        parent, child = self.ctx.Pipe()
        proc = self.ctx.Process(target=_worker_main, args=(child, self.zygote.socket, slot,
                                                           self.zygote.slot_dirs[slot]), daemon=True)
        proc.start()
        child.close()
        return _Worker(slot, proc, parent)

    @property
    def busy(self) -> int:
        return len(self.queue) + sum(w.job is not None for w in self.workers)

    def submit(self, job: ExecJob) -> None:
        self.queue.append(job)
        self._dispatch()

    def _dispatch(self) -> None:
        for w in self.workers:
            if w.job is None and self.queue:
                w.job = self.queue.popleft()
                w.conn.send(w.job)

    def wait(self, timeout: float | None = None) -> list[ExecResult]:
        busy = [w for w in self.workers if w.job is not None]
        if not busy:
            return []
        ready = multiprocessing.connection.wait([w.conn for w in busy] + [w.proc.sentinel for w in busy], timeout)
        results = []
        for i, w in enumerate(self.workers):
            if w.job is None:
                continue
            if w.conn in ready or w.conn.poll():
                try:
                    results.append(w.conn.recv())
                    w.job = None
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
                w.conn.send(None)
            except OSError:
                pass
        for w in self.workers:
            w.proc.join(timeout=10)
            if w.proc.is_alive():
                w.proc.kill()
                w.proc.join()
        self.control.close()


class DaskExecutor:
    """Jobs as tasks on a Dask cluster (`distributed`); each worker process grades in a sandbox slot of its own."""

    def __init__(self, *, scheduler: str, settings: dict):
        from distributed import Client

        self.client = Client(scheduler, timeout="30s")
        self.settings = settings
        self.futures: dict = {}

    @property
    def capacity(self) -> int:
        return max(1, sum(w.get("nthreads", 1) for w in self.client.scheduler_info()["workers"].values()))

    @property
    def busy(self) -> int:
        return len(self.futures)

    def submit(self, job: ExecJob) -> None:
        from medai.grader.dask_worker import run_job

        future = self.client.submit(run_job, job, self.settings, pure=False, key=f"grade-{job.student}-{id(job)}")
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
        self.client.close()
