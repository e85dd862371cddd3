"""Preparing contests without holding anyone up: `medai up --demo` starts `medai contest prepare` for every
contest not prepared yet as a process of its own (the 60,000-person cohort of `mi-1y` takes about a minute and
a half) and the hub starts at once; meanwhile a submission is refused with "being prepared", not "not prepared".

Every prepare marks itself: `<course dir>/contests/<id>/preparing` holds the pid of the prepare running now
(written by whoever starts it, then by the prepare itself, removed when it ends, whatever the outcome). A mark
whose process is gone (killed, machine restarted) counts as none. Its output goes to `prepare.log` beside it.
"""
from __future__ import annotations

import os
import subprocess
from contextlib import contextmanager
from pathlib import Path

from medai.course.model import Course
from medai.grader.contest.paths import ContestPaths

MARK = "preparing"
LOG = "prepare.log"


def _mark(paths: ContestPaths) -> Path:
    return paths.private / MARK


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def preparing(paths: ContestPaths) -> bool:
    """Whether a prepare of this contest is running now."""
    try:
        pid = int(_mark(paths).read_text().strip())
    except (OSError, ValueError):
        return False
    return _alive(pid)


def prepared(paths: ContestPaths) -> bool:
    return paths.hidden_labels.is_file()


def _private(paths: ContestPaths) -> None:
    """The contest's private folder as prepare makes it (0700, the course directory's owner)."""
    paths.private.mkdir(parents=True, exist_ok=True)
    paths.private.chmod(0o700)
    if os.geteuid() == 0:
        st = paths.course_dir.stat()
        os.chown(paths.private, st.st_uid, st.st_gid)


def _write_mark(paths: ContestPaths, pid: int) -> None:
    tmp = _mark(paths).with_name(MARK + ".tmp")
    tmp.write_text(f"{pid}\n")
    os.replace(tmp, _mark(paths))


@contextmanager
def marked(paths: ContestPaths):
    """Around one prepare: the mark holds this process's pid, and goes when it ends (if still ours)."""
    _private(paths)
    _write_mark(paths, os.getpid())
    try:
        yield
    finally:
        try:
            if int(_mark(paths).read_text().strip()) == os.getpid():
                _mark(paths).unlink()
        except (OSError, ValueError):
            pass


def start_preparing(*, course: Course, settings, env: dict[str, str] | None = None) -> list[str]:
    """Start `medai contest prepare` in the background for each contest neither prepared nor being prepared;
    returns what was started (lines for `medai up`). Never waits for them."""
    lines = []
    for contest in course.contests:
        paths = ContestPaths.of(settings.layout, contest.id, data_dir=settings.data_path)
        if prepared(paths) or preparing(paths):
            continue
        _private(paths)
        log = paths.private / LOG
        cmd = [str(settings.venv_bin / "medai"), "contest", "prepare", contest.id,
               f"--course={settings.course_file}", f"--course-dir={settings.layout.course_dir}"]
        child_env = {**os.environ, **settings.to_env(secrets=False), **(env or {})}
        with open(log, "ab") as out:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                    env=child_env, start_new_session=True)  # outlives a Ctrl-C of `medai up`
        _write_mark(paths, proc.pid)  # at once: a submission from now on reads "being prepared"
        lines.append(f"contest {contest.id}: being prepared in the background (pid {proc.pid}, log {log})")
    return lines
