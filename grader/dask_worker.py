"""The grading task as it runs on a Dask worker: the same Slot.run as the local pool, in a slot of its own.

The first task a worker process runs starts a kernel zygote next to it (preloaded with the assignment's
modules) and claims a sandbox account nobody else on that machine holds (accounts are created on demand,
`<prefix>-0`, `-1`, ...; each is locked by the zygote that uses it). Later tasks reuse both; a task with other
settings (another assignment's preload list) restarts the zygote. The zygote stops when the worker does.

On Kubernetes, run the workers as pods from the hub's image (`dask worker tcp://scheduler:8786 --nthreads 1`):
as root in the pod with CAP_SYS_ADMIN for the sandbox, or unprivileged with `--unsafe` semantics where the
pod itself is the sandbox (no course volume mounted, a NetworkPolicy denying egress). See README "Grading".
"""
from __future__ import annotations

import atexit
import json
import os
import threading

from medai.grader.execute import ExecJob, ExecResult, Slot

_lock = threading.Lock()
_current: dict = {}


def _start(settings: dict):
    from medai.grader import sandbox
    from medai.grader.kernels import ZygoteError, start_zygote, start_zygote_on_free_accounts

    limits = sandbox.Limits(**settings["limits"])
    uid, gid = os.getuid(), os.getgid()
    if settings["unsafe"]:
        slot = f"slot-{os.getpid()}"
        spec = sandbox.SandboxSpec(enabled=False, limits=limits)
        return start_zygote(spec=spec, slots=[slot], client_uid=uid, client_gid=gid,
                            preload=settings["preload"], threads=settings["threads"]), slot
    reason = sandbox.unavailable_reason()
    if reason:
        raise ZygoteError(f"cannot sandbox student code on this Dask worker: {reason}")
    spec = sandbox.SandboxSpec(enabled=True, hide=tuple(settings["hide"]), readable=tuple(settings["readable"]),
                               limits=limits)
    zygote, (slot,) = start_zygote_on_free_accounts(count=1, prefix=settings["prefix"], spec=spec, client_uid=uid,
                                                    client_gid=gid, preload=settings["preload"],
                                                    threads=settings["threads"])
    return zygote, slot


def _slot(settings: dict) -> Slot:
    key = json.dumps(settings, sort_keys=True, default=str)
    if _current.get("key") != key:
        if "zygote" in _current:
            _current["zygote"].stop()
            _current.clear()
        zygote, slot = _start(settings)
        _current.update(key=key, zygote=zygote, slot=Slot(client=zygote.client(), slot=slot,
                                                          ipc_dir=zygote.slot_dirs[slot]))
        atexit.register(zygote.stop)
    return _current["slot"]


def run_job(job: ExecJob, settings: dict) -> ExecResult:
    """The Dask task: execute one submission here, return the executed notebooks."""
    with _lock:  # one submission at a time per worker process: its slot is its own
        return _slot(settings).run(job)
