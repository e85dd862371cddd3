"""Run a piece of work as the account that owns a directory (root -> the course's grader account).

nbgrader refuses to release into exchange folders it does not own, and files the gradebook writes must stay
the grader's. When medai's commands run as root, the work on the course directory runs in a forked child that
has dropped to the owner's uid, gid and groups; otherwise it runs in-process.
"""
from __future__ import annotations

import multiprocessing
import os
import pwd
from pathlib import Path
from typing import Callable, TypeVar

T = TypeVar("T")


def _drop_to(uid: int, workdir: Path) -> None:
    entry = pwd.getpwuid(uid)
    os.initgroups(entry.pw_name, entry.pw_gid)
    os.setgid(entry.pw_gid)
    os.setuid(uid)
    os.environ.update(HOME=entry.pw_dir, USER=entry.pw_name, LOGNAME=entry.pw_name)
    os.chdir(workdir)  # the caller's directory may not be reachable by the owner


def _call(uid: int, workdir: Path, fn, args, kwargs, conn) -> None:
    try:
        _drop_to(uid, workdir)
        conn.send((True, fn(*args, **kwargs)))
    except BaseException as err:  # noqa: BLE001 - sent back and re-raised in the parent
        try:
            conn.send((False, err))
        except Exception:  # unpicklable exception
            conn.send((False, RuntimeError(f"{type(err).__name__}: {err}")))
    finally:
        conn.close()


def in_own_context(fn: Callable[..., T], *args, **kwargs) -> T:
    """fn(*args, **kwargs) in an empty contextvars context: what a forked process runs, so that it makes its own
    asyncio loop. Otherwise jupyter_core's run_sync (nbclient, jupyter_client) reuses the loop the parent's
    context holds, whose epoll descriptor the fork shares with the parent; a forked grading worker starting a
    kernel that way spun at 100 % CPU in zmq's event handling and never returned."""
    import contextvars

    return contextvars.Context().run(fn, *args, **kwargs)


def run_as_owner_of(path: str | Path, fn: Callable[..., T], *args, **kwargs) -> T:
    """Call fn(*args, **kwargs) as the owner of `path` (only switches when running as root and the owner
    is another account). Exceptions raised by fn are re-raised here."""
    path = Path(path)
    owner = path.stat().st_uid
    if os.geteuid() != 0 or owner == 0:
        return fn(*args, **kwargs)
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=in_own_context,
                       args=(_call, owner, path if path.is_dir() else path.parent, fn, args, kwargs, child))
    proc.start()
    child.close()
    try:
        ok, value = parent.recv()
    except EOFError:
        proc.join()
        raise RuntimeError(f"work as uid {owner} died with exit code {proc.exitcode}") from None
    proc.join()
    if not ok:
        raise value
    return value
