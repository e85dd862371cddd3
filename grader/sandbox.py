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

import ctypes
import errno
import grp
import os
import pwd
import resource
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from medai.errors import UserError

CLONE_NEWNS = 0x00020000
CLONE_NEWNET = 0x40000000
MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_NOEXEC = 0x8
MS_REMOUNT = 0x20
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 1 << 18
PR_SET_NO_NEW_PRIVS = 38
ACCOUNT_PREFIX = "medai-sandbox"
ACCOUNT_COMMENT = "medai grading sandbox"
GiB = 1 << 30
MiB = 1 << 20

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]


@dataclass(frozen=True)
class Limits:
    """Per-submission limits. Memory is address space (RLIMIT_AS) of each process."""

    memory_bytes: int = 4 * GiB
    cpu_seconds: int = 900
    processes: int = 128
    file_bytes: int = 512 * MiB
    open_files: int = 512
    tmp_bytes: int = 1 * GiB
    wall_seconds: float = 1800.0

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
class SandboxSpec:
    """What the sandbox hides and keeps readable; `enabled` False is --unsafe (no isolation, limits only)."""

    enabled: bool
    accounts: tuple[str, ...] = ()
    hide: tuple[str, ...] = ()
    readable: tuple[str, ...] = ()
    limits: Limits = field(default_factory=Limits)


class SandboxError(UserError, RuntimeError):
    """The sandbox could not be set up."""


def _check(ret: int, what: str) -> None:
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def unshare(flags: int) -> None:
    _check(_libc.unshare(flags), "unshare")


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    enc = lambda s: s.encode() if s is not None else None  # noqa: E731
    _check(_libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)), f"mount {target}")


def no_new_privs() -> None:
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(NO_NEW_PRIVS)")


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


# -- probing -------------------------------------------------------------------------------------------


def unavailable_reason() -> str | None:
    """None if the sandbox can be built here; otherwise why not (in words a user can act on)."""
    if os.geteuid() != 0:
        return ("the sandbox needs root (to run each submission as its own sandbox account in fresh "
                "network and mount namespaces); run medai grade as root, or pass --unsafe to run student "
                "code as yourself without isolation")
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        try:
            unshare(CLONE_NEWNS | CLONE_NEWNET)
            mount(None, "/", None, MS_REC | MS_PRIVATE)
            mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size=1m")
            os._exit(0)
        except OSError as err:
            os._exit(10 + (err.errno or 0) % 100)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        reason = errno.errorcode.get(code - 10, str(code - 10)) if code >= 10 else str(code)
        return (f"cannot create network and mount namespaces here ({reason}); a container may need "
                "CAP_SYS_ADMIN; pass --unsafe to grade without isolation")
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


def _private_tmpfs(path: str, size: int) -> None:
    if os.path.isdir(path):
        mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size},mode=1777")


def enter(spec: SandboxSpec, account: str) -> tuple[int, int]:
    """Isolate the calling process (root) and switch to `account`. Children inherit all of it.

    Order: namespaces; keep readable paths by fd; fresh tmpfs on /tmp, /var/tmp, /dev/shm; readable paths
    bound back (read-only) where a tmpfs covered them; hide the private paths; own /proc; drop to the account;
    no_new_privs. Returns the account's (uid, gid)."""
    uid, gid = ids(account)
    if uid == 0:
        raise SandboxError("sandbox account is root")
    unshare(CLONE_NEWNS | CLONE_NEWNET)
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    keep = []
    for path in spec.readable:
        if os.path.isdir(path):
            keep.append((path, os.open(path, os.O_PATH | os.O_DIRECTORY)))
    size = spec.limits.tmp_bytes
    for tmp in ("/tmp", "/var/tmp", "/dev/shm"):
        _private_tmpfs(tmp, size)
    for path, fd in keep:
        if not os.path.isdir(path):  # it was under a fresh tmpfs: bind it back, read-only
            os.makedirs(path, exist_ok=True)
            mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
            mount(None, path, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
        os.close(fd)
    for path in spec.hide:
        _hide(path)
    try:
        mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=invisible")
    except OSError:
        mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=2")
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
