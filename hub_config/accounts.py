"""Unix accounts: one per roster person (system mode), plus the grader account that owns the course.

Home directories live under <root>/home/<id>, mode 0700, so no student can read another's files.
"""
from __future__ import annotations

import grp
import os
import pwd
import subprocess
from pathlib import Path

from medai.errors import UserError

GRADERS_GROUP = "medai-graders"


def is_root() -> bool:
    return os.geteuid() == 0


def _run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise UserError(f"{' '.join(cmd)} failed: {proc.stderr.strip() or proc.stdout.strip()}")


def ensure_group(name: str) -> int:
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        _run(["groupadd", "--system", name])
        return grp.getgrnam(name).gr_gid


def ensure_account(name: str, *, home: Path, system: bool = False, groups: tuple[str, ...] = ()) -> pwd.struct_passwd:
    """Create the account if missing (own group, home 0700, bash); add it to `groups`. Idempotent."""
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        home.parent.mkdir(parents=True, exist_ok=True)
        cmd = ["useradd", "--user-group", "--shell", "/bin/bash", "--home-dir", str(home)]
        cmd += ["--system", "--no-create-home"] if system else ["--create-home"]
        _run(cmd + [name])
        entry = pwd.getpwnam(name)
    home.mkdir(parents=True, exist_ok=True)
    os.chown(home, entry.pw_uid, entry.pw_gid)
    home.chmod(0o700)
    for group in groups:
        if name not in grp.getgrnam(group).gr_mem:
            _run(["usermod", "--append", "--groups", group, name])
    return entry


def ensure_grader(*, home: Path, name: str) -> pwd.struct_passwd:
    """The account that owns the course directory and runs the formgrader; member of the graders group."""
    ensure_group(GRADERS_GROUP)
    return ensure_account(name, home=home, system=True, groups=(GRADERS_GROUP,))


def group_id(name: str) -> int:
    return grp.getgrnam(name).gr_gid
