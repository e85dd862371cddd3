"""Linux mount namespaces from Python (ctypes over libc): the pieces the grading sandbox (medai.grader.sandbox)
and users' servers (medai.hub.spawner) both use to give a process its own view of the file system:

- a private mount namespace (nothing mounted in it propagates back to the machine);
- a private /proc mounted ``hidepid=invisible``: other accounts' processes and command lines are invisible;
- fresh, size-limited tmpfs on the shared writable directories (/tmp, /var/tmp, /dev/shm), so one account
  cannot fill the disk through them, with chosen directories under them bound back.

All of it needs root (CAP_SYS_ADMIN) and runs in the process that is about to become the user's, before it
drops privileges. :func:`unavailable_reason` tries it in a throw-away child first.
"""
from __future__ import annotations

import ctypes
import errno
import os

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
SHARED_TMP_DIRS = ("/tmp", "/var/tmp", "/dev/shm")  # world-writable on most machines
# users' servers also get a private /run/lock (world-writable too); the grading sandbox keeps the machine's
# (covering it there made the honest submission of tests/test_grade_sandbox.py score 0)
USER_TMP_DIRS = SHARED_TMP_DIRS + ("/run/lock",)

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]


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


def private_namespace(extra_flags: int = 0) -> None:
    """Move the calling process into a new mount namespace (plus `extra_flags`, e.g. CLONE_NEWNET) whose
    mounts do not propagate to the machine's."""
    unshare(CLONE_NEWNS | extra_flags)
    mount(None, "/", None, MS_REC | MS_PRIVATE)


def private_tmpfs(paths: tuple[str, ...], size: int, *, keep: tuple[str, ...] = (), read_only: bool = True) -> None:
    """A fresh tmpfs of `size` bytes (mode 1777) on each existing directory of `paths`. Directories in `keep`
    that a tmpfs covered (e.g. a data root under /tmp) are bound back with whatever is mounted under them,
    read-only unless `read_only` is False."""
    fds = [(path, os.open(path, os.O_PATH | os.O_DIRECTORY)) for path in keep if os.path.isdir(path)]
    for path in paths:
        if os.path.isdir(path):
            mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size},mode=1777")
    for path, fd in fds:
        if not os.path.isdir(path):
            os.makedirs(path, mode=0o755, exist_ok=True)
            mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
            if read_only:
                mount(None, path, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
        os.close(fd)


def private_proc() -> None:
    """Mount a /proc of this namespace's own that shows a process only to its own account (and root)."""
    try:
        mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=invisible")
    except OSError:  # kernels before 5.8 know only the numeric form
        mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=2")


def unavailable_reason(extra_flags: int = 0) -> str | None:
    """None if a private namespace with its own /proc and tmpfs can be set up here; otherwise why not."""
    if os.geteuid() != 0:
        return "needs root"
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        try:
            private_namespace(extra_flags)
            mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size=1m")
            private_proc()
            os._exit(0)
        except OSError as err:
            os._exit(10 + (err.errno or 0) % 100)
        except BaseException:  # noqa: BLE001
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code == 0:
        return None
    reason = errno.errorcode.get(code - 10, str(code - 10)) if code >= 10 else str(code)
    return f"cannot create a mount namespace with its own /proc here ({reason}); a container may need CAP_SYS_ADMIN"
