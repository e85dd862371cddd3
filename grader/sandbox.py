"""The sandbox student code runs in, built from Linux primitives (no extra daemon or setuid helper).

Each grading slot has its own system account (``medai-sandbox-0``, ``-1``, ...): never a student, never the
grader. A submission's processes run as its slot's account in their own mount and network namespaces:

- no network: a fresh network namespace has only a loopback interface, and it is down;
- a private, size-limited tmpfs on /tmp (the working directory lives there), /var/tmp and /dev/shm;
- the course directory, the gradebook, the exchange, users' homes and /root are covered by empty read-only
  mounts, on top of their own file modes; datasets stay readable;
- /proc shows only the slot's own processes (hidepid);
- no_new_privs (setuid programs cannot raise privileges), and rlimits on address space, CPU time,
  processes, file size and open files;
- a wall-clock limit enforced from outside: every process of the slot's account is killed (kill(-1) as that
  account), which also catches daemons a submission leaves behind.

Setting this up needs root. Without root, :func:`unavailable_reason` says why and `medai grade` refuses
unless told `--unsafe`.
"""
from __future__ import annotations

import grp
import json
import os
import pwd
import resource
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path

from medai.course.model import GradingPolicy
from medai.errors import UserError
from medai.mountns import (  # noqa: F401 - re-exported: the primitives live in medai.mountns
    CLONE_NEWNET, CLONE_NEWNS, MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY, SHARED_TMP_DIRS, mount,
    no_new_privs, private_namespace, private_proc, private_tmpfs, unshare,
)
from medai.mountns import unavailable_reason as namespace_unavailable_reason
from medai.settings import default, parse_size

ACCOUNT_PREFIX = default("sandbox_prefix")  # MEDAI_SANDBOX_PREFIX's default (medai.settings)
ACCOUNT_COMMENT = "medai grading sandbox"
GiB = 1 << 30
MiB = 1 << 20
POLICY = GradingPolicy()  # course.yaml's grading defaults: a Limits() without a course grades by them



@dataclass(frozen=True)
class Limits:
    """Per-submission limits. Memory is address space (RLIMIT_AS) of each process."""

    memory_bytes: int = parse_size(POLICY.memory)
    cpu_seconds: int = 900
    processes: int = 128
    file_bytes: int = 512 * MiB
    open_files: int = 512
    tmp_bytes: int = 1 * GiB
    wall_seconds: float = float(POLICY.timeout_seconds)

    def rlimits(self, *, own_account: bool) -> dict[int, int]:
        limits = {
            resource.RLIMIT_AS: self.memory_bytes,
            resource.RLIMIT_CPU: self.cpu_seconds,
            resource.RLIMIT_FSIZE: self.file_bytes,
            resource.RLIMIT_NOFILE: self.open_files,
            resource.RLIMIT_CORE: 0,
        }
        if own_account:  # RLIMIT_NPROC counts every process of the account: only meaningful on its own uid
            limits[resource.RLIMIT_NPROC] = self.processes
        return limits


@dataclass(frozen=True)
class ExecSpec:
    """Everything a grading worker needs to run jobs, built once per run (medai.grader.pipeline.exec_spec) and
    handed, as JSON, to the local executor's zygote and to every Dask worker.

    `enabled` False is --unsafe (no isolation, limits only). `accounts` are the sandbox accounts a zygote holds
    (empty until one claims free ones, `<prefix>-0`, `-1`, ...); `hide` and `readable` are the paths the
    sandbox covers and keeps; `preload` the modules the zygote imports once; `threads` BLAS/OpenMP threads per
    kernel; `client_uid`/`client_gid` the account that drives the kernels (the course directory's owner; on a
    Dask worker, the worker's own)."""

    enabled: bool
    client_uid: int
    client_gid: int
    threads: int
    prefix: str = ACCOUNT_PREFIX
    accounts: tuple[str, ...] = ()
    hide: tuple[str, ...] = ()
    readable: tuple[str, ...] = ()
    preload: tuple[str, ...] = ()
    limits: Limits = field(default_factory=Limits)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "ExecSpec":
        tuples = {name: tuple(data.get(name, ())) for name in ("accounts", "hide", "readable", "preload")}
        return cls(**{**data, **tuples, "limits": Limits(**data.get("limits", {}))})

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "ExecSpec":
        return cls.from_dict(json.loads(text))


class SandboxError(UserError, RuntimeError):
    """The sandbox could not be set up."""


# -- accounts ----------------------------------------------------------------------------------------


def account_names(count: int, prefix: str = ACCOUNT_PREFIX, start: int = 0) -> tuple[str, ...]:
    return tuple(f"{prefix}-{i}" for i in range(start, start + count))


def ensure_accounts(count: int, prefix: str = ACCOUNT_PREFIX, start: int = 0) -> tuple[str, ...]:
    """Create the slot accounts if missing: system accounts, own group, no home, no login shell."""
    names = account_names(count, prefix, start)
    for name in names:
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            proc = subprocess.run(
                ["useradd", "--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent",
                 "--shell", "/usr/sbin/nologin", "--comment", ACCOUNT_COMMENT, name],
                capture_output=True, text=True)
            if proc.returncode != 0:
                raise SandboxError(f"useradd {name} failed: {proc.stderr.strip()}")
            continue
        if entry.pw_gecos != ACCOUNT_COMMENT or entry.pw_uid == 0:
            raise SandboxError(f"account {name!r} exists but is not a medai sandbox account; refusing to run "
                               "student code as it")
    return names


def remove_accounts(names: tuple[str, ...]) -> None:
    """Delete sandbox accounts (tests). Only accounts carrying the sandbox comment are touched."""
    for name in names:
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        if entry.pw_gecos == ACCOUNT_COMMENT:
            kill_account(entry.pw_uid)
            Path(f"/run/medai-grade/{name}.lock").unlink(missing_ok=True)
            subprocess.run(["userdel", name], capture_output=True)
            try:
                grp.getgrnam(name)
                subprocess.run(["groupdel", name], capture_output=True)
            except KeyError:
                pass


def ids(name: str) -> tuple[int, int]:
    entry = pwd.getpwnam(name)
    return entry.pw_uid, entry.pw_gid


def kill_account(uid: int, *, attempts: int = 50) -> None:
    """SIGKILL every process running as `uid` (a forked helper takes that uid and calls kill(-1), which on
    Linux reaches all of the account's processes but the caller). Repeats until none is left."""
    if uid == 0:
        raise ValueError("refusing to kill every process of root")
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        code = 0
        try:
            os.setgroups([])
            os.setresuid(uid, uid, uid)  # the group is irrelevant to the permission to signal
            for _ in range(attempts):
                try:
                    os.kill(-1, 9)
                except ProcessLookupError:
                    break
        except BaseException:  # noqa: BLE001
            code = 1
        os._exit(code)
    os.waitpid(pid, 0)



def account_pids(uid: int) -> list[int]:
    """The processes whose real uid is `uid`, zombies included (they count against RLIMIT_NPROC until reaped)."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(os.path.join(entry.path, "status")) as fh:
                for line in fh:
                    if line.startswith("Uid:"):
                        if int(line.split()[1]) == uid:
                            found.append(int(entry.name))
                        break
        except (OSError, ValueError):
            continue
    return found


# -- probing -------------------------------------------------------------------------------------------


def unavailable_reason() -> str | None:
    """None if the sandbox can be built here; otherwise why not (in words a user can act on)."""
    if os.geteuid() != 0:
        return ("the sandbox needs root (to run each submission as its own sandbox account in fresh "
                "network and mount namespaces); run medai grade as root, or pass --unsafe to run student "
                "code as yourself without isolation")
    reason = namespace_unavailable_reason(CLONE_NEWNET)
    if reason:
        return f"{reason} (with a network namespace); pass --unsafe to grade without isolation"
    return None


# -- entering the sandbox (in the job process, as root, before any student code) -----------------------


def _hide(path: str) -> None:
    p = Path(path)
    try:
        st = p.lstat()
    except FileNotFoundError:
        return
    if p.is_symlink():
        return
    if p.is_dir():
        mount("tmpfs", str(p), "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=000")
    elif st.st_size >= 0:
        mount("/dev/null", str(p), None, MS_BIND)


def enter(spec: ExecSpec, account: str) -> tuple[int, int]:
    """Isolate the calling process (root) and switch to `account`. Children inherit all of it.

    Order: namespaces; keep readable paths by fd; fresh tmpfs on /tmp, /var/tmp, /dev/shm; readable paths
    bound back (read-only) where a tmpfs covered them; hide the private paths; own /proc; drop to the account;
    no_new_privs. Returns the account's (uid, gid)."""
    uid, gid = ids(account)
    if uid == 0:
        raise SandboxError("sandbox account is root")
    private_namespace(CLONE_NEWNET)
    private_tmpfs(SHARED_TMP_DIRS, spec.limits.tmp_bytes, keep=spec.readable)
    for path in spec.hide:
        _hide(path)
    private_proc()
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    no_new_privs()
    return uid, gid


def apply_limits(limits: Limits, *, own_account: bool) -> None:
    for which, value in limits.rlimits(own_account=own_account).items():
        soft, hard = resource.getrlimit(which)
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(which, (value, value))
