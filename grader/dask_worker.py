"""The grading task as it runs on a Dask worker: the same Slot.run as the local pool, in a slot of its own.

The first task a worker process runs starts a kernel zygote next to it (preloaded with the assignment's
modules) and claims a sandbox account nobody else on that machine holds (accounts are created on demand,
`<prefix>-0`, `-1`, ...; each is locked by the zygote that uses it). Later tasks reuse both; a task with another
ExecSpec (another assignment's preload list) restarts the zygote. The zygote stops when the worker does.

On Kubernetes, run the workers as pods from the hub's image (`dask worker tcp://scheduler:8786 --nthreads 1`):
as root in the pod with CAP_SYS_ADMIN for the sandbox, or unprivileged with `--unsafe` semantics where the
pod itself is the sandbox (no course volume mounted, a NetworkPolicy denying egress). See README "Grading".
"""
from __future__ import annotations

import atexit
import os
import threading
from dataclasses import replace

from medai.grader.execute import ExecJob, ExecResult, Slot

_lock = threading.Lock()
_current: dict = {}


def _start(spec_json: str):
    """A zygote with one slot for this worker process, from the run's ExecSpec; this process drives its kernels."""
    from medai.grader import sandbox
    from medai.grader.kernels import ZygoteError, zygote_for

    spec = replace(sandbox.ExecSpec.from_json(spec_json), client_uid=os.getuid(), client_gid=os.getgid())
    if spec.enabled:
        reason = sandbox.unavailable_reason()
        if reason:
            raise ZygoteError(f"cannot sandbox student code on this Dask worker: {reason}")
    zygote = zygote_for(spec, count=1, names=[f"slot-{os.getpid()}"])
    return zygote, zygote.slots[0]


def _slot(spec_json: str) -> Slot:
    if _current.get("key") != spec_json:
        if "zygote" in _current:
            _current["zygote"].stop()
            _current.clear()
        zygote, slot = _start(spec_json)
        _current.update(key=spec_json, zygote=zygote, slot=Slot(client=zygote.client(), slot=slot,
                                                                ipc_dir=zygote.slot_dirs[slot]))
        atexit.register(zygote.stop)
    return _current["slot"]


def run_job(job: ExecJob, spec_json: str) -> ExecResult:
    """The Dask task: execute one submission here, return the executed notebooks. `spec_json` is the run's
    ExecSpec (medai.grader.sandbox) as JSON; a task with another one restarts this worker's zygote."""
    with _lock:  # one submission at a time per worker process: its slot is its own
        return _slot(spec_json).run(job)
