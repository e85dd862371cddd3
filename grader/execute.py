"""Executing one submission in a sandbox slot: the part of nbgrader's autograde pipeline that runs student code.

A job carries the autograded directory exactly as nbgrader's sanitizing pass left it (restored notebooks plus
the assignment's other files) and the configuration. Each notebook gets a fresh kernel from the slot's job
process and goes through the autograde preprocessors that come before `SaveAutoGrades` in nbgrader's own list
(by default Execute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput), instantiated from the same
configuration as stock nbgrader. The gradebook is never touched here: the executed notebooks go back to the
single writer. A wall-clock limit per submission kills every process of the slot.
"""
from __future__ import annotations

import threading
import time
import traceback
from dataclasses import dataclass, field

from traitlets.config import Config

from medai.grader.results import Status
from medai.grader.written_files import Written
from medai.nbgrader_adapter.converters import autograde_split

OUTPUT_LIMIT = 1 << 20  # bytes of text per output kept in the autograded notebook (nbgrader keeps all)


@dataclass
class ExecJob:
    assignment: str
    student: str
    notebooks: list[str]  # file names, in nbgrader's order
    files: dict[str, bytes]  # the autograded directory, notebooks included
    config: Config
    wall_seconds: float
    output_limit: int = OUTPUT_LIMIT


@dataclass
class NotebookExec:
    name: str
    status: Status
    reason: str = ""
    executed: str | None = None  # the notebook after the worker preprocessors (JSON text)
    seconds: float = 0.0
    cell_timeouts: list[str] = field(default_factory=list)  # cells interrupted at nbgrader's cell timeout


@dataclass
class ExecResult:
    student: str
    notebooks: list[NotebookExec] = field(default_factory=list)
    slot: str = ""
    preloaded: bool = False
    seconds: float = 0.0
    written: Written | None = None  # files the code wrote (kept in the autograded directory, as nbgrader does)
    prestarted: bool = False  # the first notebook ran in a kernel started before the go (medai.grader.standby)
    began: float = 0.0  # time.time() of the go: execution (and the wall-clock limit) started
    ended: float = 0.0  # time.time() when the last notebook was done
    waited: float = 0.0  # seconds it counted as waiting (CPU-idle), its slot lent to another submission


@dataclass
class Prepared:
    """A submission opened in its slot (job process, files, first kernel started), awaiting its go."""

    job: ExecJob
    result: ExecResult
    handle: object | None = None  # None: the sandbox refused it (the result says why)
    kernel: object | None = None  # the first notebook's pre-started kernel manager, if any
    opened: float = field(default_factory=time.monotonic)


# A kernel that dies before it answers kernel_info ran no student code; under heavy load one occasionally does
# (seen in 2 of 5 runs of the sandbox tests beside two busy CPUs): the notebook gets one fresh kernel more.
KERNEL_START_ATTEMPTS = 2


def died_at_start(err: BaseException) -> bool:
    """Whether `err` is nbclient's "Kernel died before replying to kernel_info" (no cell had run)."""
    return isinstance(err, RuntimeError) and "before replying to kernel_info" in str(err)


def describe(err: BaseException) -> str:
    """One line a person can act on."""
    name = type(err).__name__
    text = str(err).strip().splitlines()
    first = text[0] if text else ""
    if name == "DeadKernelError":
        return "the kernel died (it was killed, crashed, exhausted a limit, or the submission stopped it)"
    if name == "CellTimeoutError":
        return f"a cell did not finish in time: {first}"
    return f"{name}: {first}" if first else name


def cell_label(cell, index: int) -> str:
    """How a person finds the cell: its nbgrader grade id, else its cell id, else its position."""
    grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
    return repr(grade_id or cell.get("id") or f"#{index + 1}")


class CellTimeouts:
    """Mixed into the configured Execute preprocessor: records every cell nbclient interrupts at the cell
    timeout (`cell_timeouts`, as "cell 'id' (N s)"); what it does with the cell is nbgrader's, unchanged."""

    async def _async_handle_timeout(self, timeout, cell=None):
        if cell is not None:  # None: a reply the grader's own guard waited for, no cell of the submission
            index = next((i for i, c in enumerate(self.nb.cells) if c is cell), len(self.nb.cells))
            self.__dict__.setdefault("cell_timeouts", []).append(f"cell {cell_label(cell, index)} ({timeout} s)")
        return await super()._async_handle_timeout(timeout, cell)


def _cap_outputs(nb, limit: int) -> None:
    """Keep at most `limit` characters of each text output (a submission may print 100 MB)."""
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and len(out.get("text", "")) > limit:
                out["text"] = out["text"][:limit] + "\n... output truncated by medai grade ...\n"
            for mime, value in list(out.get("data", {}).items()):
                if isinstance(value, str) and len(value) > limit:
                    out["data"][mime] = value[:limit] if mime == "text/plain" else ""


class Slot:
    """A sandbox slot as a worker uses it: one zygote client, one slot, one job at a time."""

    def __init__(self, *, client, slot: str, ipc_dir: str):
        self.client = client
        self.slot = slot
        self.ipc_dir = ipc_dir

    def prepare(self, job: ExecJob, *, prestart: bool = False) -> Prepared:
        """Open the job in the slot; with `prestart`, also start its first notebook's kernel."""
        result = ExecResult(student=job.student, slot=self.slot)
        try:
            handle = self.client.open_job(self.slot, job.files)
        except Exception as err:  # noqa: BLE001
            self.client.reap(self.slot)
            result.notebooks = [NotebookExec(n, Status.FAILED, f"sandbox: {describe(err)}") for n in job.notebooks]
            return Prepared(job, result)
        result.preloaded = handle.preloaded
        kernel = None
        if prestart and job.notebooks:
            from medai.grader.standby import prestart as start_kernel

            kernel = start_kernel(handle=handle, ipc_dir=self.ipc_dir, job=job, name=job.notebooks[0])
        return Prepared(job, result, handle, kernel)

    def discard(self, prepared: Prepared) -> None:
        """A prepared job that will not run: its kernel, job process and every process of the slot go."""
        if prepared.handle is not None:
            from medai.grader.standby import discard

            discard(prepared.kernel)
            prepared.handle.close()
            self.client.reap(self.slot)

    def run(self, job: ExecJob) -> ExecResult:
        return self.execute(self.prepare(job))

    def execute(self, prepared: Prepared, *, on_idle=None) -> ExecResult:
        """Run a prepared job's notebooks; `on_idle(bool)` hears when it starts and stops waiting CPU-idle."""
        job, result, handle = prepared.job, prepared.result, prepared.handle
        result.began = time.time()
        if handle is None:
            result.ended = time.time()
            return result
        start = time.monotonic()
        expired = threading.Event()

        def expire():
            expired.set()
            self.client.reap(self.slot)

        timer = threading.Timer(job.wall_seconds, expire)
        timer.daemon = True
        timer.start()
        watch = None
        if on_idle is not None:
            from medai.grader.standby import IdleWatch

            waited = {"since": 0.0}

            def changed(idle: bool) -> None:
                if idle:
                    waited["since"] = time.monotonic()
                else:
                    result.waited += time.monotonic() - waited["since"]
                on_idle(idle)

            watch = IdleWatch(handle, changed).start()
        worker_classes, _ = autograde_split(job.config)
        kernel = prepared.kernel
        try:
            for name in job.notebooks:
                t0 = time.monotonic()
                if expired.is_set():
                    result.notebooks.append(NotebookExec(name, Status.TIMED_OUT, self._timeout_reason(job)))
                    continue
                for attempt in range(KERNEL_START_ATTEMPTS):
                    km, kernel = self._started(kernel), None
                    result.prestarted = result.prestarted or km is not None
                    try:
                        text, timeouts = self._execute(name, job, handle, worker_classes, km=km)
                        result.notebooks.append(NotebookExec(name, Status.GRADED, executed=text,
                                                             seconds=time.monotonic() - t0, cell_timeouts=timeouts))
                        break
                    except Exception as err:  # noqa: BLE001 - the submission's problem, recorded
                        if attempt + 1 < KERNEL_START_ATTEMPTS and not expired.is_set() and died_at_start(err):
                            continue  # no cell ran yet: a fresh kernel, once
                        result.notebooks.append(self._failed(name, job, err, expired, time.monotonic() - t0))
                        break
            if not expired.is_set() and all(nb.status == Status.GRADED for nb in result.notebooks):
                try:
                    result.written = handle.written(skip=job.notebooks)
                except Exception:  # noqa: BLE001 - the job process is gone (the submission killed it): none kept
                    result.written = None
        finally:
            timer.cancel()
            if watch is not None:
                watch.stop()
            handle.close()
            self.client.reap(self.slot)  # nothing of this submission survives into the next
        result.ended = time.time()
        result.seconds = time.monotonic() - start
        return result

    @staticmethod
    def _started(km):
        """A pre-started kernel still running, else None (the notebook starts a fresh one)."""
        if km is None:
            return None
        from medai.grader.standby import discard, usable

        if usable(km):
            return km
        discard(km)
        return None

    def _execute(self, name: str, job: ExecJob, handle, worker_classes, *, km=None) -> tuple[str, list[str]]:
        """One notebook through the worker-side preprocessors, in a fresh kernel; the executed notebook's JSON
        and the cells interrupted at the cell timeout."""
        import nbformat
        from nbconvert.preprocessors import ExecutePreprocessor

        from medai.grader.cell_proof import guarded
        from medai.grader.kernels import SandboxKernelManager

        nb = nbformat.reads(job.files[name].decode("utf-8"), as_version=4)
        resources = {
            "nbgrader": {"student": job.student, "assignment": job.assignment,
                         "notebook": name.rsplit(".", 1)[0], "db_url": None},
            "metadata": {"path": handle.workdir, "name": name.rsplit(".", 1)[0]},
            "unique_key": name.rsplit(".", 1)[0],
        }
        timeouts: list[str] = []
        for cls in worker_classes:
            if issubclass(cls, ExecutePreprocessor):  # grade cells prove they ran as written; cell timeouts noted
                cls = type(f"Timed{cls.__name__}", (CellTimeouts, guarded(cls)), {})
            pp = cls(config=job.config)
            if isinstance(pp, ExecutePreprocessor):
                if pp.enabled:
                    if km is None:
                        kernel = nb.metadata.get("kernelspec", {}).get("name") or "python3"
                        km = SandboxKernelManager(job=handle, ipc_dir=self.ipc_dir, kernel_name=kernel,
                                                  config=job.config)
                    nb, resources = pp.preprocess(nb, resources, km=km)
                    timeouts += pp.__dict__.get("cell_timeouts", [])
            else:
                nb, resources = pp(nb, resources)
        _cap_outputs(nb, job.output_limit)
        return nbformat.writes(nb), timeouts

    def _failed(self, name: str, job: ExecJob, err: BaseException, expired: threading.Event,
                seconds: float) -> NotebookExec:
        if expired.is_set():
            status, reason = Status.TIMED_OUT, self._timeout_reason(job)
        elif type(err).__name__ == "CellTimeoutError":  # interrupting it did not help either
            status, reason = Status.TIMED_OUT, describe(err)
        else:
            status, reason = Status.FAILED, describe(err)
            if not reason or reason == type(err).__name__:
                reason = traceback.format_exception_only(err)[-1].strip()
        return NotebookExec(name, status, reason, seconds=seconds)

    @staticmethod
    def _timeout_reason(job: ExecJob) -> str:
        return f"the submission ran past its {job.wall_seconds:g} s wall-clock limit; all its processes were killed"
