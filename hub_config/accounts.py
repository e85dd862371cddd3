"""Unix accounts: one per roster person (system mode), plus the grader account that owns the course.

Home directories live under <root>/home/<id>, mode 0700, so no student can read another's files. An account
that already exists with its home elsewhere (an earlier deployment, another MEDAI_ROOT) gets its home moved to
this data root (`usermod --home`; the files under the old home stay where they are, with that deployment);
while the account runs a process the move cannot be made, and `medai up` stops with a message saying so.
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


FIRST_PERSON_UID = 1000  # below: the machine's own system accounts (root, daemon, www-data...), never a person's


def refuse_system_account(entry: pwd.struct_passwd) -> None:
    """A roster person must not be one of the machine's own accounts: UserError naming it."""
    if entry.pw_uid < FIRST_PERSON_UID:
        raise UserError(f"{entry.pw_name} is an existing system account of this machine (uid {entry.pw_uid}), "
                        "not a person: give this roster person another id")


class HomeElsewhere(UserError):
    """An existing account's home is outside this data root and cannot be moved into it now."""


def processes_of(uid: int) -> list[int]:
    pids = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat(follow_symlinks=False).st_uid == uid:
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


def rehome(entry: pwd.struct_passwd, home: Path, *, busy_ok: bool = False) -> bool:
    """Point an existing account's home at `home` (in this data root) if it is elsewhere; True if it moved.
    Files under the old home are left where they are. While the account runs a process its home cannot
    change: HomeElsewhere, or with `busy_ok` it is left as it is (False)."""
    if Path(entry.pw_dir) == home:
        return False
    running = processes_of(entry.pw_uid)
    if running and busy_ok:
        return False
    if running:
        raise HomeElsewhere(
            f"The account {entry.pw_name} already exists with its home at {entry.pw_dir}, outside this "
            f"deployment's homes ({home.parent}), and it is running {len(running)} process(es) (for example "
            f"PID {running[0]}), so its home cannot be moved to {home}. Stop its processes (or the other "
            "deployment's hub) and run this command again.")
    _run(["usermod", "--home", str(home), entry.pw_name])
    return True


def ensure_account(name: str, *, home: Path, system: bool = False, groups: tuple[str, ...] = (),
                   moved: list[str] | None = None, busy_ok: bool = False) -> pwd.struct_passwd:
    """Create the account if missing (own group, home 0700, bash); add it to `groups`. An existing account
    whose home is elsewhere gets `home` (`rehome`; "name (was old home)" is appended to `moved`). Idempotent."""
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        home.parent.mkdir(parents=True, exist_ok=True)
        cmd = ["useradd", "--user-group", "--shell", "/bin/bash", "--home-dir", str(home)]
        cmd += ["--system", "--no-create-home"] if system else ["--create-home"]
        _run(cmd + [name])
        entry = pwd.getpwnam(name)
    if not system:
        refuse_system_account(entry)  # ensure_people refuses it first; never rehome one
    old_home = entry.pw_dir
    if rehome(entry, home, busy_ok=busy_ok):
        entry = pwd.getpwnam(name)
        if moved is not None:
            moved.append(f"{name} (was {old_home})")
    home.mkdir(parents=True, exist_ok=True)
    os.chown(home, entry.pw_uid, entry.pw_gid)
    home.chmod(0o700)
    for group in groups:
        if name not in grp.getgrnam(group).gr_mem:
            _run(["usermod", "--append", "--groups", group, name])
    return entry


def ensure_grader(*, home: Path, name: str) -> pwd.struct_passwd:
    """The account that owns the course directory and runs the formgrader; member of the graders group.
    One such account serves every deployment on the machine: while another deployment's formgrader runs as it,
    its home stays where it is (its services work in the course directory, not in its home)."""
    ensure_group(GRADERS_GROUP)
    return ensure_account(name, home=home, system=True, groups=(GRADERS_GROUP,), busy_ok=True)


def group_id(name: str) -> int:
    return grp.getgrnam(name).gr_gid
