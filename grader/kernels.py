"""Kernels from the zygote, as jupyter_client sees them: a kernel provisioner and a kernel manager.

nbgrader's `Execute` preprocessor (an nbclient `NotebookClient`) is given a :class:`SandboxKernelManager`; its
provisioner asks the submission's job process for a kernel instead of spawning one, and polls the kernel
through the pidfd it gets back. Everything else (connection files, channels, timeouts, interrupts, shutdown)
is jupyter_client's and nbclient's own.
"""
from __future__ import annotations

import asyncio
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty

import zmq
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager, KernelManager
from jupyter_client.provisioning.local_provisioner import LocalProvisioner
from traitlets import DottedObjectName, Type

from medai.errors import UserError
from medai.grader import zygote as proto
from medai.grader.sandbox import ExecSpec, ids

RUN_DIR = Path("/run/medai-grade")
PASSED_ENV = ("LANG", "LC_ALL", "LC_CTYPE", "TZ", "MEDAI_ROOT", "MEDAI_DATA")


class ZygoteError(UserError):
    """The zygote or a job process failed."""


def kernel_env(session_dir: str, *, threads: int = 1) -> dict[str, str]:
    """The environment of every kernel: a fixed, minimal one (no secrets of the grader's)."""
    env = {
        "PATH": os.pathsep.join([os.path.dirname(sys.executable), "/usr/local/bin", "/usr/bin", "/bin"]),
        "LANG": "C.UTF-8",
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        "MPLCONFIGDIR": os.path.join(session_dir, "mpl"),
        "PYTHONDONTWRITEBYTECODE": "1",
        "NBGRADER_EXECUTION": "autograde",
    }
    if threads:
        for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[name] = str(threads)
    env.update({k: os.environ[k] for k in PASSED_ENV if os.environ.get(k)})
    return env


# -- starting and stopping the zygote ------------------------------------------------------------------------


@dataclass
class Zygote:
    """A running zygote: where to reach it and the ipc directory of each slot."""

    socket: str
    slot_dirs: dict[str, str]
    session_dir: str
    report: dict = field(default_factory=dict)  # what it preloaded and what failed, once ready()
    proc: subprocess.Popen | None = None
    timeout: float = 120

    def ready(self) -> "Zygote":
        """Wait until it has preloaded and serves (it claimed its accounts before start_zygote returned); the
        modules it could not import are in `report["failed"]`. Idempotent."""
        if self.report.get("ready"):
            return self
        line = _readline(self.proc, self.timeout) if self.proc is not None else ""
        report = json.loads(line) if line else {}
        if not report.get("ready"):  # whoever started it stops it (this may run in the writer, not as root)
            raise ZygoteError(report.get("error") or "the kernel zygote did not start "
                              f"(exit code {self.proc.poll() if self.proc else None})")
        self.report = report
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.session_dir, ignore_errors=True)

    @property
    def slots(self) -> list[str]:
        return list(self.slot_dirs)

    def client(self) -> "ZygoteClient":
        return ZygoteClient(self.socket)


def start_zygote(*, spec: ExecSpec, slots: list[str], timeout: float = 120, wait: bool = True) -> Zygote:
    """Start a zygote for these slots (sandbox accounts when `spec.enabled`). Call as root when sandboxed. It
    returns once the zygote holds its accounts; with `wait` False, before it has preloaded (call `ready()`
    before the first job: what a run does meanwhile, collecting say, overlaps the imports)."""
    if spec.enabled:
        RUN_DIR.mkdir(parents=True, exist_ok=True)
        RUN_DIR.chmod(0o711)
        _remove_stale_sessions()
        session = tempfile.mkdtemp(prefix="s-", dir=RUN_DIR)
        os.chmod(session, 0o711)
    else:
        session = tempfile.mkdtemp(prefix="medai-grade-")
    slot_dirs = {}
    for slot in slots:
        d = os.path.join(session, slot)
        os.mkdir(d)
        if spec.enabled:  # the grader owns it; the slot's group may create sockets; nobody else gets in
            _, gid = ids(slot)
            os.chown(d, spec.client_uid, gid)
            os.chmod(d, 0o2770)
        slot_dirs[slot] = d
    mpl = os.path.join(session, "mpl")
    os.mkdir(mpl)
    os.chmod(mpl, 0o755)
    served = proto.Session(spec=spec, slots=tuple(slots), socket=os.path.join(session, "zygote.sock"),
                           session_dir=session, lock_dir=str(RUN_DIR), env=kernel_env(session, threads=spec.threads))
    cfg_file = os.path.join(session, "zygote.json")
    with open(cfg_file, "w") as fh:
        fh.write(served.to_json())
    os.chmod(cfg_file, 0o600)
    proc = subprocess.Popen([sys.executable, "-m", "medai.grader.zygote", cfg_file], cwd="/",
                            stdout=subprocess.PIPE, stderr=None, env={**os.environ, **served.env})
    with open(os.path.join(session, "zygote.pid"), "w") as fh:
        fh.write(str(proc.pid))
    zyg = Zygote(socket=served.socket, slot_dirs=slot_dirs, session_dir=session, proc=proc, timeout=timeout)
    line = _readline(proc, timeout)
    claimed = json.loads(line) if line else {}
    if not claimed.get("claimed"):
        zyg.stop()
        raise ZygoteError(claimed.get("error") or f"the kernel zygote did not start (exit code {proc.poll()})")
    try:
        return zyg.ready() if wait else zyg
    except ZygoteError:
        zyg.stop()
        raise


MAX_ACCOUNTS = 64


def start_zygote_on_free_accounts(*, count: int, spec: ExecSpec, wait: bool = True) -> Zygote:
    """A sandboxed zygote on `count` sandbox accounts that no other run on this machine holds (another course's
    `medai grade`, a Dask worker): accounts `<spec.prefix>-0`, `-1`, ... are created on demand, and each is locked
    by the zygote that uses it. `spec` gives everything but the accounts."""
    from dataclasses import replace

    from medai.grader import sandbox

    for start in range(0, MAX_ACCOUNTS - count + 1, count):
        slots = list(sandbox.ensure_accounts(count, spec.prefix, start=start))
        try:
            return start_zygote(spec=replace(spec, accounts=tuple(slots)), slots=slots, wait=wait)
        except ZygoteError as err:
            if "in use" not in str(err):
                raise
    raise ZygoteError(f"no {count} free sandbox accounts among {spec.prefix}-0..{MAX_ACCOUNTS - 1} on this machine: "
                      "other grading runs hold them")


def zygote_for(spec: ExecSpec, *, count: int, names: list[str] | None = None, wait: bool = True) -> Zygote:
    """A zygote with `count` slots: sandbox accounts no other run holds when `spec.enabled` (call as root),
    else plain slots (`names`, or slot-0, slot-1, ...). `wait`: as start_zygote's."""
    if spec.enabled:
        return start_zygote_on_free_accounts(count=count, spec=spec, wait=wait)
    return start_zygote(spec=spec, slots=list(names or [f"slot-{i}" for i in range(count)]), wait=wait)


def _remove_stale_sessions() -> None:
    """Session directories whose zygote is gone (a run killed with SIGKILL leaves its own behind)."""
    for session in RUN_DIR.glob("s-*"):
        try:
            pid = int((session / "zygote.pid").read_text())
            os.kill(pid, 0)
        except (OSError, ValueError):
            if time.time() - session.stat().st_mtime > 60:  # not one being started right now
                shutil.rmtree(session, ignore_errors=True)


def _readline(proc: subprocess.Popen, timeout: float) -> str:
    out: list[str] = []
    reader = threading.Thread(target=lambda: out.append(proc.stdout.readline().decode()), daemon=True)
    reader.start()
    reader.join(timeout)
    return out[0].strip() if out else ""


# -- talking to it -------------------------------------------------------------------------------------------------


class ZygoteClient:
    """One control connection to the zygote (reap); jobs get connections of their own."""

    def __init__(self, path: str):
        self.path = path
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None

    def _connect(self) -> socket.socket:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(self.path)
        return sock

    def request(self, msg: dict) -> dict:
        with self._lock:
            if self._sock is None:
                self._sock = self._connect()
            proto.send(self._sock, msg)
            reply, _ = proto.recv(self._sock)
        if not reply.get("ok"):
            raise ZygoteError(reply.get("error", "zygote request failed"))
        return reply

    def reap(self, slot: str) -> None:
        """Kill every process of the slot (its account's, when sandboxed)."""
        self.request({"op": "reap", "slot": slot})

    def open_job(self, slot: str, files: dict[str, bytes]) -> "JobHandle":
        sock = self._connect()
        proto.send(sock, {"op": "open", "slot": slot, "files": proto.encode_files(files)})
        reply, _ = proto.recv(sock)
        if not reply.get("ok"):
            sock.close()
            raise ZygoteError(reply.get("error", "could not open a job"))
        return JobHandle(sock=sock, workdir=reply["workdir"], preloaded=reply["preloaded"],
                         shadowed=reply.get("shadowed", []))

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None


@dataclass
class JobHandle:
    """The connection to one submission's job process."""

    sock: socket.socket
    workdir: str
    preloaded: bool
    shadowed: list[str]
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _request(self, msg: dict) -> tuple[dict, list[int]]:
        with self._lock:
            proto.send(self.sock, msg)
            reply, fds = proto.recv(self.sock)
        if not reply.get("ok"):
            raise ZygoteError(reply.get("error", "job request failed"))
        return reply, fds

    def launch(self, connection: dict, argv: list[str], env: dict) -> tuple[int, int | None]:
        reply, fds = self._request({"op": "kernel", "connection": connection, "argv": argv, "env": env})
        return reply["pid"], (fds[0] if fds else None)

    def signal(self, pid: int, sig: int) -> None:
        self._request({"op": "signal", "pid": pid, "sig": int(sig)})

    def cpu_seconds(self) -> float:
        """CPU time the submission's processes have used so far (medai.grader.standby watches it)."""
        reply, _ = self._request({"op": "usage"})
        return float(reply["cpu"])

    def written(self, skip: list[str]):
        """What the submission's code wrote into its working directory (medai.grader.written_files)."""
        import base64

        from medai.grader.written_files import Written

        reply, _ = self._request({"op": "written", "skip": list(skip)})
        return Written(files={name: base64.b64decode(data) for name, data in reply["files"].items()},
                       removed=list(reply["removed"]), dropped=list(reply["dropped"]))

    def close(self) -> None:
        try:
            with self._lock:
                proto.send(self.sock, {"op": "close"})
                proto.recv(self.sock)
        except (OSError, EOFError, ValueError):
            pass
        self.sock.close()


# -- jupyter_client side -------------------------------------------------------------------------------------------


class JobProvisioner(LocalProvisioner):
    """Launches the kernel in the job process; watches it through a pidfd; signals go through the job."""

    job: JobHandle | None = None
    pidfd: int | None = None

    @property
    def has_process(self) -> bool:
        return self.pidfd is not None

    async def poll(self) -> int | None:
        if self.pidfd is None:
            return 0
        ready, _, _ = select.select([self.pidfd], [], [], 0)
        return 0 if ready else None

    async def wait(self) -> int | None:
        while await self.poll() is None:
            await asyncio.sleep(0.02)
        if self.pidfd is not None:
            os.close(self.pidfd)
            self.pidfd = None
        return 0

    async def send_signal(self, signum: int) -> None:
        if self.pidfd is None or self.job is None:
            return
        try:
            self.job.signal(self.pid, signum)
        except (OSError, EOFError, ZygoteError):
            pass  # the job process is gone; so is the kernel

    async def kill(self, restart: bool = False) -> None:
        await self.send_signal(signal.SIGKILL)

    async def terminate(self, restart: bool = False) -> None:
        await self.send_signal(signal.SIGTERM)

    async def launch_kernel(self, cmd: list[str], **kwargs) -> dict:
        info = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in self.connection_info.items()}
        pid, pidfd = self.job.launch(info, list(cmd), dict(kwargs.get("env") or {}))
        if pidfd is None:
            raise ZygoteError("the kernel exited at once")
        self.pid, self.pidfd = pid, pidfd
        return self.connection_info


DRAIN_QUIET = 0.02  # seconds of IOPub silence that end the drain (jupyter_client: 0.2)
RECONNECT_MS = 10  # zmq retries a connection every 100 ms by default: a kernel's sockets come up ~50 ms after the fork


class ReadyKernelClient(AsyncKernelClient):
    """jupyter_client's AsyncKernelClient, connecting again every RECONNECT_MS (zmq's default is 100 ms) until the
    forked kernel's sockets are up, and with jupyter_client's own `wait_for_ready` but for its last step: the
    IOPub drain after the kernel answered ends after DRAIN_QUIET of silence instead of 0.2 s (what is queued
    there is read either way; nbclient skips IOPub messages that do not answer its cell). Together: a kernel is
    ready ~0.3 s sooner. (A version that also took the kernel's `idle` as its IOPub proof saw kernels "die
    before replying to kernel_info" under load in Dask workers, 2 of 6 runs of tests/test_grade_dask.py beside
    other grading tests: not kept.)"""

    def _create_connected_socket(self, channel: str, identity: bytes | None = None):
        self.context.setsockopt(zmq.RECONNECT_IVL, RECONNECT_MS)  # this client's own context (jupyter_client's)
        return super()._create_connected_socket(channel, identity)

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        """jupyter_client 8's KernelClient._async_wait_for_ready (a KernelManager's client), less the drain."""
        if not isinstance(self.parent, KernelManager):
            return await super().wait_for_ready(timeout=timeout)
        abs_timeout = time.time() + (float("inf") if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                msg = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                pass
            else:
                if msg["msg_type"] == "kernel_info_reply":
                    try:  # IOPub is connected if a message follows the reply; else start over
                        await self.iopub_channel.get_msg(timeout=0.2)
                    except Empty:
                        pass
                    else:
                        self._handle_kernel_info_reply(msg)
                        break
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.time() > abs_timeout:
                raise RuntimeError("Kernel didn't respond in %d seconds" % timeout)
        while True:
            try:
                await self.iopub_channel.get_msg(timeout=DRAIN_QUIET)
            except Empty:
                break


class SandboxKernelManager(AsyncKernelManager):
    """An AsyncKernelManager whose kernels come from a job process, over ipc sockets in the slot's directory;
    its clients are ReadyKernelClients."""

    client_class = DottedObjectName("medai.grader.kernels.ReadyKernelClient")
    client_factory = Type(ReadyKernelClient, klass=AsyncKernelClient)

    def __init__(self, *, job: JobHandle, ipc_dir: str, **kwargs):
        name = uuid.uuid4().hex[:8]
        kwargs.setdefault("transport", "ipc")
        kwargs.setdefault("ip", os.path.join(ipc_dir, name))
        kwargs.setdefault("connection_file", os.path.join(ipc_dir, f"{name}.json"))
        super().__init__(**kwargs)
        self._job = job

    async def _async_pre_start_kernel(self, **kw):
        if self.provisioner is None:
            self.kernel_id = self.kernel_id or str(uuid.uuid4())
            self.provisioner = JobProvisioner(kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self)
            self.provisioner.job = self._job
        return await super()._async_pre_start_kernel(**kw)
