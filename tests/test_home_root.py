"""Every user's files live under the deployment's data root: an account that already exists with its home
elsewhere gets this root's home (`medai up`, `medai roster import`), or, while it runs a process, everything
stops with a message naming the account, its home and this one. Each server's HOME and root folder are the
data root's home whatever the passwd entry says. Real Unix accounts (root only), removed at the end."""
from __future__ import annotations

import os
import pwd
import secrets
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest
from traitlets.config import Config

from medai.course import Person, Roster
from medai.course.layout import Layout
from medai.hub import accounts
from medai.hub.runtime import ensure_people

root_only = pytest.mark.skipif(os.geteuid() != 0, reason="creates real Unix accounts (root only)")


@pytest.fixture
def elsewhere():
    """A folder outside the data root, where an earlier deployment kept homes; accounts made there are removed."""
    made: list[str] = []
    base = Path(tempfile.mkdtemp(prefix="medai-elsewhere-", dir="/tmp"))

    def account(tag: str) -> str:
        name = f"th{secrets.token_hex(3)}{tag}"
        subprocess.run(["useradd", "--user-group", "--create-home", "--home-dir", str(base / name), name],
                       check=True, capture_output=True)
        made.append(name)
        (base / name / "old-work.ipynb").write_text("{}")
        return name

    yield account
    for name in made:
        subprocess.run(["userdel", name], capture_output=True)
    shutil.rmtree(base, ignore_errors=True)


def _roster(*ids: str) -> Roster:
    people = [Person(id=i, name="김민준", email=f"{i}@x.example.ac.kr", role="student", track="medicine",
                     cohort="2026") for i in ids]
    return Roster(people=people, student_tracks=["medicine", "engineering"])


def _layout(tmp_path: Path) -> Layout:
    layout = Layout(root=tmp_path / "root")
    layout.home_dir.mkdir(parents=True)
    return layout


@root_only
def test_an_existing_account_gets_its_home_under_this_data_root(elsewhere, tmp_path):
    name = elsewhere("a")
    old = Path(pwd.getpwnam(name).pw_dir)
    layout = _layout(tmp_path)
    moved: list[str] = []
    assert ensure_people(roster=_roster(name), layout=layout, system=True, moved=moved) == []
    entry = pwd.getpwnam(name)
    assert entry.pw_dir == str(layout.home_dir / name)
    assert (layout.home_dir / name).stat().st_uid == entry.pw_uid
    assert oct((layout.home_dir / name).stat().st_mode & 0o777) == "0o700"
    assert moved == [f"{name} (was {old})"]
    assert (old / "old-work.ipynb").exists()  # the other deployment's files stay with it
    again: list[str] = []
    ensure_people(roster=_roster(name), layout=layout, system=True, moved=again)
    assert again == []  # idempotent


@root_only
def test_a_busy_account_with_its_home_elsewhere_stops_everything_with_a_message(elsewhere, tmp_path):
    busy, idle = elsewhere("b"), elsewhere("c")
    homes = {n: pwd.getpwnam(n).pw_dir for n in (busy, idle)}
    layout = _layout(tmp_path)
    proc = subprocess.Popen(["sleep", "120"], user=busy, cwd="/")
    try:
        with pytest.raises(accounts.HomeElsewhere) as err:
            ensure_people(roster=_roster(idle, busy), layout=layout, system=True)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    message = str(err.value)
    assert busy in message and homes[busy] in message and str(layout.home_dir / busy) in message
    assert f"PID {proc.pid}" in message and message.endswith(".")
    assert {n: pwd.getpwnam(n).pw_dir for n in (busy, idle)} == homes  # nothing changed, not even the idle one


def test_each_server_starts_in_the_data_root_s_home_whatever_passwd_says(course, roster, tmp_path):
    from types import SimpleNamespace

    from medai.hub.apply import apply_all
    from medai.hub.spawner import LimitedLocalProcessSpawner
    from tests.test_hub_apply import settings

    layout = Layout(root=tmp_path / "root")
    c = Config()
    apply_all(c, settings(layout), course, roster, cli_token="t" * 64)
    assert c.LimitedLocalProcessSpawner.home_root == str(layout.home_dir)
    me = pwd.getpwuid(os.getuid()).pw_name  # an account whose passwd home is not under this data root
    spawner = LimitedLocalProcessSpawner(config=c, user=SimpleNamespace(name=me, escaped_name=me, url="/user/x/"))
    assert spawner.user_env({})["HOME"] == str(layout.home_dir / me)
    assert spawner.format_string(spawner.notebook_dir) == str(layout.home_dir / me)


@root_only
def test_a_roster_id_that_is_a_system_account_is_refused_and_nothing_changes(tmp_path):
    from medai.errors import UserError

    before = pwd.getpwnam("daemon")
    with pytest.raises(UserError, match="daemon is an existing system account"):
        ensure_people(roster=_roster("daemon"), layout=_layout(tmp_path), system=True)
    assert pwd.getpwnam("daemon").pw_dir == before.pw_dir
