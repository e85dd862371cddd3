"""A fork server for kernels: import ipykernel (and the assignment's heavy modules) once, fork per kernel.

Starting a Python kernel costs ~0.7 s, and an assignment's `import numpy, pandas, sklearn` another second or
more, in every notebook of every submission. The zygote pays that once: it imports them at start, then forks.

Three levels of processes:

    zygote (root when sandboxed)       preloaded; accepts connections from grading workers
      -> job process (one submission)  forked on "open": enters the sandbox as the slot's account, writes the
                                       submission's files into a private tmpfs, then serves that connection
           -> kernel (one notebook)    forked on "kernel": runs ipykernel from the preloaded modules, or execs
                                       the kernel command when the submission shadows a preloaded module

Kernels speak ZeroMQ over unix sockets (ipc) in the slot's directory, which works across network namespaces.
The job process hands each kernel's pidfd back over the socket (SCM_RIGHTS), so the worker can poll it;
signals go through the job process, which runs as the same account. When the connection closes, the job
process kills every process of its account (or, unsandboxed, its process group) and exits, taking the tmpfs
with it. "reap" asks the zygote (root) to do the same from outside, for the wall-clock limit.

Messages are length-prefixed JSON; this module is also the zygote's entry point
(``python -m medai.grader.zygote SESSION_JSON``: a :class:`Session`, the run's ExecSpec in it).
"""
from __future__ import annotations

import base64
import importlib
import json
import os
import selectors
import signal
import socket
import struct
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath

from medai.grader.sandbox import ExecSpec

MAX_MESSAGE = 512 << 20
PR_SET_CHILD_SUBREAPER = 36
PASS_ENV = ("NBGRADER_EXECUTION", "JPY_SESSION_NAME")


@dataclass(frozen=True)
class Session:
    """What one zygote serves (medai.grader.kernels.start_zygote writes it): the run's ExecSpec, its slots,
    where its socket, lock files and session directory are, and every kernel's environment."""

    spec: ExecSpec
    slots: tuple[str, ...]
    socket: str
    session_dir: str
    lock_dir: str
    env: dict[str, str]

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Session":
        data = json.loads(text)
        return cls(**{**data, "spec": ExecSpec.from_dict(data["spec"]), "slots": tuple(data["slots"])})


# -- framing -------------------------------------------------------------------------------------------


def send(sock: socket.socket, obj, fds: list[int] = ()) -> None:
    data = json.dumps(obj).encode()
    header = struct.pack("!I", len(data))
    if fds:
        socket.send_fds(sock, [header], list(fds))
        sock.sendall(data)
    else:
        sock.sendall(header + data)


def _exact(sock: socket.socket, n: int, start: bytes = b"") -> bytes:
    buf = bytearray(start)
    while len(buf) < n:
        chunk = sock.recv(min(n - len(buf), 1 << 20))
        if not chunk:
            raise EOFError("connection closed")
        buf += chunk
    return bytes(buf)


def recv(sock: socket.socket) -> tuple[dict, list[int]]:
    head, fds, _, _ = socket.recv_fds(sock, 4, 4)
    if not head:
        raise EOFError("connection closed")
    (n,) = struct.unpack("!I", _exact(sock, 4, head))
    if n > MAX_MESSAGE:
        raise ValueError(f"message of {n} bytes is too large")
    return json.loads(_exact(sock, n)), fds


def encode_files(files: dict[str, bytes]) -> dict[str, str]:
    return {name: base64.b64encode(data).decode() for name, data in files.items()}


# -- the kernel (a child of the job process) -------------------------------------------------------------


def _is_ipykernel(argv: list[str]) -> bool:
    if len(argv) < 3 or argv[1:3] != ["-m", "ipykernel_launcher"]:
        return False
    exe = argv[0] if os.sep in argv[0] else None
    if exe is None:
        from shutil import which

        exe = which(argv[0]) or ""
    try:
        return os.path.samefile(exe, sys.executable)
    except OSError:
        return False


def _kernel_child(argv: list[str], env: dict[str, str], log: str, preloaded: bool) -> None:
    for sig in (signal.SIGTERM, signal.SIGCHLD, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    null = os.open(os.devnull, os.O_RDONLY)
    out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(null, 0)
    os.dup2(out, 1)
    os.dup2(out, 2)
    os.environ.clear()
    os.environ.update(env)
    if _is_ipykernel(argv):  # with the grade-cell guard (medai.grader.kernel_guard) installed before any cell
        from medai.grader import kernel_guard

        if preloaded:
            sys.argv = ["ipykernel_launcher", *argv[3:]]
            kernel_guard.launch(argv[3:])
            os._exit(0)
        argv = [argv[0], "-P", "-c", kernel_guard.BOOTSTRAP, *argv[3:]]
    os.execvpe(argv[0], argv, env)


# -- the job process (one submission) ---------------------------------------------------------------------


def _safe_relpath(name: str) -> str:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise ValueError(f"bad file name in job: {name!r}")
    return str(path)


def _shadows(workdir: str, modules: set[str]) -> list[str]:
    """Preloaded top-level modules that a file in the submission would shadow (cwd comes first on sys.path). A
    folder shadows only as a regular package (with __init__.py): a plain folder, say an assignment's `locale/` of
    message catalogues, is at most a namespace portion, which never wins over a module found later on the path."""
    found = []
    for entry in os.listdir(workdir):
        stem = entry.split(".")[0]
        path = os.path.join(workdir, entry)
        package = os.path.isdir(path) and any(
            os.path.exists(os.path.join(path, f"__init__{ext}")) for ext in (".py", ".pyc", ".so"))
        if stem in modules and (entry.endswith((".py", ".pyc", ".so")) or package):
            found.append(stem)
    return found


class _Job:
    def __init__(self, conn: socket.socket, session: Session, loaded: set[str], slot: str, request: dict):
        self.conn = conn
        self.session = session
        self.spec = session.spec
        self.loaded = loaded  # the zygote's top-level modules: a submission's file may shadow one
        self.slot = slot
        self.request = request
        self.kernels: dict[int, None] = {}
        self.count = 0

    def setup(self) -> dict:
        from medai.grader import sandbox

        os.setsid()
        spec = self.spec
        if spec.enabled:
            sandbox.enter(spec, self.slot)
            root = tempfile.mkdtemp(prefix="job-", dir="/tmp")
        else:
            root = tempfile.mkdtemp(prefix="medai-job-")
        self.root = root
        self.workdir = os.path.join(root, "submission")
        self.home = os.path.join(root, "home")
        self.private = os.path.join(root, ".kernels")
        os.umask(0o077)
        for d in (self.workdir, self.home, self.private):
            os.makedirs(d, exist_ok=True)
        for name, data in self.request.get("files", {}).items():
            target = os.path.join(self.workdir, _safe_relpath(name))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as fh:
                fh.write(base64.b64decode(data))
        os.chdir(self.workdir)
        shadowed = _shadows(self.workdir, self.loaded)
        self.preloaded = not shadowed
        sandbox.apply_limits(spec.limits, own_account=spec.enabled)
        os.umask(0)  # the grader must reach the kernel's sockets; the slot directory keeps others out
        self.env = dict(self.session.env, HOME=self.home, TMPDIR=os.path.join(root), PWD=self.workdir)
        return {"ok": True, "workdir": self.workdir, "preloaded": self.preloaded, "shadowed": shadowed}

    def launch(self, msg: dict) -> tuple[dict, list[int]]:
        self.count += 1
        conn_file = os.path.join(self.private, f"kernel-{self.count}.json")
        info = dict(msg["connection"])
        with open(conn_file, "w") as fh:
            json.dump(info, fh)
        argv = list(msg["argv"])
        if "-f" in argv:
            argv[argv.index("-f") + 1] = conn_file
        env = dict(self.env)
        env.update({k: v for k, v in (msg.get("env") or {}).items() if k in PASS_ENV})
        shadowed = set(_shadows(self.workdir, self.loaded))
        env["MEDAI_GUARD_PROTECT"] = ",".join(n for n in self.spec.preload if n.split(".")[0] not in shadowed)
        pid = os.fork()
        if pid == 0:  # pragma: no cover - kernel child
            try:
                os.close(self.conn.detach())
                _kernel_child(argv, env, os.path.join(self.private, f"kernel-{self.count}.log"), self.preloaded)
            finally:
                os._exit(70)
        self.kernels[pid] = None
        try:
            pidfd = os.pidfd_open(pid)
        except ProcessLookupError:
            return {"ok": True, "pid": pid, "exited": True}, []
        return {"ok": True, "pid": pid}, [pidfd]

    def serve(self) -> None:
        while True:
            try:
                msg, _ = recv(self.conn)
            except (EOFError, OSError, ValueError):
                return
            op = msg.get("op")
            fds: list[int] = []
            try:
                if op == "kernel":
                    reply, fds = self.launch(msg)
                elif op == "signal":
                    pid = int(msg["pid"])
                    if pid in self.kernels:
                        try:
                            os.kill(pid, int(msg["sig"]))
                        except ProcessLookupError:
                            pass
                    reply = {"ok": True}
                elif op == "written":  # what the notebooks wrote, for the autograded directory
                    reply = self.written(msg)
                elif op == "usage":  # CPU time of the submission's processes (medai.grader.standby)
                    from medai.grader.standby import job_cpu_seconds

                    reply = {"ok": True, "cpu": job_cpu_seconds(sandboxed=self.spec.enabled)}
                elif op == "close":
                    self.clean_up()
                    send(self.conn, {"ok": True})
                    return
                else:
                    reply = {"ok": False, "error": f"unknown op {op!r}"}
            except Exception as err:  # noqa: BLE001 - reported to the worker
                reply = {"ok": False, "error": f"{type(err).__name__}: {err}"}
            try:
                send(self.conn, reply, fds)
            except OSError:
                return
            finally:
                for fd in fds:
                    os.close(fd)

    def written(self, msg: dict) -> dict:
        from medai.grader.written_files import changes

        given = {name: base64.b64decode(data) for name, data in self.request.get("files", {}).items()}
        found = changes(self.workdir, given, skip=frozenset(msg.get("skip", ())))
        return {"ok": True, "files": encode_files(found.files), "removed": found.removed, "dropped": found.dropped}

    def clean_up(self) -> None:
        """Stop the kernels and, unsandboxed, remove the working directory (a sandbox's tmpfs goes by itself)."""
        for pid in self.kernels:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if not self.spec.enabled:
            import shutil

            shutil.rmtree(self.root, ignore_errors=True)

    def teardown(self) -> None:
        self.clean_up()
        if self.spec.enabled and os.getuid() != 0:
            try:  # every process of this account but this one: kernels, their children, daemons
                for _ in range(20):
                    os.kill(-1, signal.SIGKILL)
            except ProcessLookupError:
                pass
        else:
            os.killpg(os.getpgrp(), signal.SIGKILL)  # whatever else the submission started in this session


def _job_main(conn: socket.socket, session: Session, loaded: set[str], slot: str,
              request: dict) -> None:  # pragma: no cover - child
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # kernels are reaped by the system; pidfds still report exits
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    job = _Job(conn, session, loaded, slot, request)
    try:
        reply = job.setup()
    except Exception as err:  # noqa: BLE001
        send(conn, {"ok": False, "error": f"sandbox setup failed: {type(err).__name__}: {err}"})
        os._exit(1)
    send(conn, reply)
    job.serve()
    job.teardown()
    os._exit(0)


# -- the zygote -----------------------------------------------------------------------------------------------


# What every kernel imports while it starts, beyond ipykernel.kernelapp, and at its first traceback (measured on
# ipykernel 7 / IPython 9: its debugger support, debugpy, is 0.1 s of CPU in every kernel, the traceback formatting
# 0.15 s in every kernel whose code raises, when not preloaded)
KERNEL_MODULES = ("ipykernel.kernelapp", "ipykernel.debugger", "IPython.core.completerlib", "IPython.core.debugger",
                  "IPython.core.oinspect", "IPython.extensions.storemagic", "IPython.utils.wildcard", "sqlite3",
                  "faulthandler", "tornado.platform.asyncio", "IPython.core.ultratb", "stack_data",
                  "pygments.formatters.terminal256", "pygments.styles")


def _preload(session: Session) -> dict:
    """Import ipykernel, what its kernels import as they start, and the requested modules; report what failed.
    Runs before any fork."""
    os.environ.update(session.env)
    os.environ["HOME"] = session.session_dir
    os.environ["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"  # debugpy's import-time warning, meant for a debugging user
    before = set(sys.modules)
    failed = {}
    for name in [*KERNEL_MODULES, "medai.grader.kernel_guard", "medai.grader.checks", *session.spec.preload]:
        try:
            importlib.import_module(name)
        except BaseException as err:  # noqa: BLE001 - a module that fails to import is simply not preloaded
            failed[name] = f"{type(err).__name__}: {err}"
    for key in list(os.environ):
        if key not in session.env:
            del os.environ[key]
    import gc

    gc.collect()
    gc.freeze()  # keep the preloaded heap shared between kernels (copy-on-write)
    loaded = {name.split(".")[0] for name in sys.modules if not name.startswith("_")}
    return {"failed": failed, "imported": len(set(sys.modules) - before), "loaded_top_level": sorted(loaded)}


class Zygote:
    def __init__(self, session: Session):
        self.session = session
        self.spec = session.spec
        self.slots = list(session.slots)
        self.loaded: set[str] = set()
        self.jobs: dict[str, int] = {}
        self.conns: set[socket.socket] = set()
        self.stop = False

    def _peer_ok(self, conn: socket.socket) -> bool:
        creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        _, uid, _ = struct.unpack("3i", creds)
        return uid in (0, self.spec.client_uid, os.getuid())

    def reap(self, slot: str) -> None:
        from medai.grader import sandbox

        if self.spec.enabled:
            sandbox.kill_account(sandbox.ids(slot)[0])
        pid = self.jobs.pop(slot, None)
        if pid is not None:
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    def _settle(self, slot: str, *, wait: float = 10.0) -> None:
        """Before a slot's next job: kill what its earlier job left and reap the zombies. A killed fork bomb's
        processes stay zombies, re-parented here, until collected, and each still counts against the account's
        RLIMIT_NPROC: the next submission's kernel would not fork (EAGAIN)."""
        import time

        from medai.grader import sandbox

        if not self.spec.enabled:
            return
        uid = sandbox.ids(slot)[0]
        deadline = time.monotonic() + wait
        while True:
            sandbox.kill_account(uid)
            self._reap_children()
            if not sandbox.account_pids(uid) or time.monotonic() >= deadline:
                return
            time.sleep(0.02)

    def _fork_job(self, conn: socket.socket, msg: dict) -> None:
        slot = msg.get("slot")
        if slot not in self.slots:
            send(conn, {"ok": False, "error": f"unknown slot {slot!r}"})
            return
        self._settle(slot)
        pid = os.fork()
        if pid == 0:  # pragma: no cover - job process
            try:
                os.close(self.listener.detach())
                for other in self.conns:
                    if other is not conn:
                        os.close(other.detach())
                self.sel.close()
                _job_main(conn, self.session, self.loaded, slot, msg)
            finally:
                os._exit(71)
        self.jobs[slot] = pid
        self.sel.unregister(conn)
        self.conns.discard(conn)
        conn.close()

    def _handle(self, conn: socket.socket) -> None:
        try:
            msg, _ = recv(conn)
        except (EOFError, OSError, ValueError):
            self.sel.unregister(conn)
            self.conns.discard(conn)
            conn.close()
            return
        op = msg.get("op")
        if op == "open":
            self._fork_job(conn, msg)
            return
        if op == "reap":
            self.reap(msg["slot"])
            send(conn, {"ok": True})
        elif op == "ping":
            send(conn, {"ok": True, "pid": os.getpid()})
        else:
            send(conn, {"ok": False, "error": f"unknown op {op!r}"})

    def _reap_children(self, *, wait: float = 0.0) -> None:
        """Collect exited children: job processes, and (as the subreaper) whatever they orphaned. With `wait`,
        keep collecting until none is left or `wait` seconds have passed."""
        import time

        deadline = time.monotonic() + wait
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                if time.monotonic() >= deadline:
                    return
                time.sleep(0.02)
                continue
            for slot, job in list(self.jobs.items()):
                if job == pid:
                    del self.jobs[slot]

    def _claim_slots(self) -> None:
        """Hold an exclusive lock per sandbox account for this zygote's life (two runs never share an account),
        then kill whatever an earlier, interrupted run left running as it."""
        import fcntl

        if not self.spec.enabled:
            return
        self.locks = []
        for slot in self.slots:
            fh = open(os.path.join(self.session.lock_dir, f"{slot}.lock"), "w")
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                sys.stdout.write(json.dumps({"ready": False, "error": f"sandbox account {slot} is in use by another "
                                                                      "medai grade run on this machine"}) + "\n")
                sys.stdout.flush()
                sys.exit(3)
            self.locks.append(fh)
            self.reap(slot)

    def run(self) -> None:
        self.parent = os.getppid()  # when it is gone (even SIGKILLed), stop: reap the slots and exit
        # Processes a submission orphans (daemons, a kernel's children after the kernel dies) are re-parented
        # here rather than to init, so they are reaped even where init does not reap (some container inits).
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        self._claim_slots()
        path = self.session.socket
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(path)
        os.chmod(path, 0o600)
        if os.geteuid() == 0:
            os.chown(path, self.spec.client_uid, self.spec.client_gid)
        self.listener.listen(64)
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.listener, selectors.EVENT_READ)
        signal.signal(signal.SIGTERM, lambda *_: setattr(self, "stop", True))
        sys.stdout.write(json.dumps({"claimed": True}) + "\n")  # its accounts are its own; now the imports
        sys.stdout.flush()
        report = _preload(self.session)
        self.loaded = set(report.pop("loaded_top_level"))
        sys.stdout.write(json.dumps({"ready": True, **report}) + "\n")
        sys.stdout.flush()
        null = os.open(os.devnull, os.O_RDWR)
        os.dup2(null, 0)
        os.dup2(null, 1)
        while not self.stop and os.getppid() == self.parent:
            self._reap_children()
            for key, _ in self.sel.select(timeout=0.5):
                if key.fileobj is self.listener:
                    try:
                        conn, _ = self.listener.accept()
                    except OSError:
                        continue
                    if not self._peer_ok(conn):
                        conn.close()
                        continue
                    self.conns.add(conn)
                    self.sel.register(conn, selectors.EVENT_READ)
                else:
                    self._handle(key.fileobj)
        for slot in self.slots:
            try:
                self.reap(slot)
            except Exception:  # noqa: BLE001
                pass
        self._reap_children(wait=10.0)
        try:
            os.unlink(path)
        except OSError:
            pass


def main(argv: list[str] | None = None) -> None:  # pragma: no cover - runs as its own process
    argv = sys.argv[1:] if argv is None else argv
    cwd = os.getcwd()
    sys.path[:] = [p for p in sys.path if p not in ("", cwd)]  # as ipykernel_launcher does
    text = Path(argv[0]).read_text() if not argv[0].startswith("{") else argv[0]
    Zygote(Session.from_json(text)).run()


if __name__ == "__main__":  # pragma: no cover
    main()
