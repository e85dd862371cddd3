"""Slots that do not wait: the next submission's kernel started before it is needed, and a slot whose submission
only waits (a cell blocked in `sleep`, `input()`, a lock) lent to the next submission meanwhile.

The local executor (medai.grader.executors) runs more sandbox slots than it lets execute at once: `workers`
submissions execute; each spare slot already holds the next submission, opened in its own account (job
process forked, files written) with its first notebook's kernel started and answering (:func:`prestart`),
waiting for a go. The wall-clock limit starts at the go, so waiting costs the submission nothing.

While a submission executes, :class:`IdleWatch` reads the CPU time of its processes (the job process reports
it, :func:`job_cpu_seconds`); a submission that used almost no CPU for `IDLE_WINDOW` seconds is waiting, not
working, and stops counting against `workers`, so a prepared submission gets its go. Only a CPU-idle wait
gives way: a cell that computes keeps its CPU share, so a long but finishing cell finishes exactly as it would
have (a cell timeout is wall-clock time, which the waiting cell spends the same either way). Nothing here
changes what runs or how it is scored: the kernel is the one nbclient would start, started the same way.

A prepared submission that never gets its go (the run stops, Ctrl-C) is closed like any other: its job
process kills its kernel and every process of its account, and the slot is reaped.
"""
from __future__ import annotations

import os
import threading
import time

POLL = 0.5  # seconds between CPU readings
IDLE_WINDOW = 2.0  # seconds of (almost) no CPU before a submission counts as waiting
IDLE_SHARE = 0.05  # "almost no CPU": under this share of one core over the window
TICKS = os.sysconf("SC_CLK_TCK")


def job_cpu_seconds(*, sandboxed: bool) -> float:
    """In the job process: user + system CPU seconds of the submission's processes (this one excluded): every
    process of the slot's account when sandboxed (its /proc shows no others), else those of this session."""
    me, uid, sid = os.getpid(), os.getuid(), os.getsid(0)
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
            mine = entry.stat().st_uid == uid if sandboxed else int(fields[3]) == sid
        except (OSError, IndexError, ValueError):
            continue  # ended meanwhile
        if mine:
            total += int(fields[11]) + int(fields[12])
    return total / TICKS


class IdleWatch:
    """Calls `on_change(True)` when the job's processes have used under IDLE_SHARE of a core for IDLE_WINDOW
    seconds, `on_change(False)` when they work again; stops when the job process no longer answers."""

    def __init__(self, handle, on_change, *, poll: float = POLL, window: float = IDLE_WINDOW,
                 share: float = IDLE_SHARE):
        self.handle, self.on_change = handle, on_change
        self.poll, self.window, self.share = poll, window, share
        self.idle = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="idle-watch", daemon=True)

    def start(self) -> "IdleWatch":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        if self.idle:
            self.idle = False
            self.on_change(False)

    def _run(self) -> None:
        readings: list[tuple[float, float]] = []
        while not self._stop.wait(self.poll):
            try:
                readings.append((time.monotonic(), self.handle.cpu_seconds()))
            except Exception:  # noqa: BLE001 - the job process is gone: nothing to watch
                return
            while len(readings) > 1 and readings[-1][0] - readings[1][0] >= self.window:
                readings.pop(0)
            span = readings[-1][0] - readings[0][0]
            if span < self.window:
                continue
            idle = readings[-1][1] - readings[0][1] < self.share * span
            if idle != self.idle and not self._stop.is_set():
                self.idle = idle
                self.on_change(idle)


def prestart(*, handle, ipc_dir: str, job, name: str):
    """Start the kernel notebook `name` of `job` will run in, as nbclient would (same kernel name, arguments
    and start-up timeout from the job's configuration), and wait until it answers; the started
    SandboxKernelManager, or None when it did not come up (the notebook then starts its own, as usual)."""
    import nbformat
    from jupyter_core.utils import run_sync
    from nbconvert.preprocessors import ExecutePreprocessor

    from medai.grader.kernels import SandboxKernelManager
    from medai.nbgrader_adapter.converters import autograde_split

    worker_classes, _ = autograde_split(job.config)
    execute = next((cls for cls in worker_classes if issubclass(cls, ExecutePreprocessor)), None)
    if execute is None:
        return None
    pp = execute(config=job.config)
    if not pp.enabled:
        return None
    nb = nbformat.reads(job.files[name].decode("utf-8"), as_version=4)
    kernel = nb.metadata.get("kernelspec", {}).get("name") or "python3"  # as Slot._execute
    km = SandboxKernelManager(job=handle, ipc_dir=ipc_dir, kernel_name=kernel, config=job.config)
    args = list(pp.extra_arguments)
    if km.ipykernel and pp.ipython_hist_file and not any(a.startswith("--HistoryManager.hist_file") for a in args):
        args.append(f"--HistoryManager.hist_file={pp.ipython_hist_file}")
    try:
        run_sync(km.start_kernel)(extra_arguments=args, cwd=handle.workdir)
        client = km.client()
        client.start_channels()
        try:
            run_sync(client.wait_for_ready)(timeout=pp.startup_timeout)
        finally:
            client.stop_channels()
    except Exception:  # noqa: BLE001 - not fatal: nbclient starts one itself
        discard(km)
        return None
    return km


def usable(km) -> bool:
    """Whether a pre-started kernel is still running (a kernel that died waiting is replaced by a fresh one)."""
    from jupyter_core.utils import run_sync

    try:
        return km is not None and km.has_kernel and run_sync(km.is_alive)()
    except Exception:  # noqa: BLE001
        return False


def discard(km) -> None:
    """Kill a pre-started kernel nobody will use (its job's close kills it too; this frees it at once)."""
    from jupyter_core.utils import run_sync

    try:
        if km is not None and km.has_kernel:
            run_sync(km.shutdown_kernel)(now=True)
    except Exception:  # noqa: BLE001
        pass
