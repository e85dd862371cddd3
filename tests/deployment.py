"""A real deployment for the live tests: a data root under /tmp, a roster of throw-away Unix accounts, and
`medai up` serving it on a free loopback port (the hub, configurable-http-proxy, the formgrader and the other
services). Everything it starts is stopped by PID and every account it creates is removed in `cleanup`."""
from __future__ import annotations

import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from tests.conftest import COURSE_YAML
from tests.hubclient import HubUser, processes_for_root

MEDAI = str(Path(sys.executable).with_name("medai"))
PASSWORD = "correct horse battery"


PORT_BLOCK = 20  # a deployment's ports: base .. base+13 (hub, hub API, proxy API, formgrader +10, progress +11, contest +13)
PORT_BLOCKS = range(20000 // PORT_BLOCK, 32000 // PORT_BLOCK)  # below Linux's ephemeral range (32768-60999)


def free_base_port() -> int:
    """The base of a free block of PORT_BLOCK ports for one `medai up`.

    Blocks are aligned and sit below the ephemeral range, where users' servers, kernels and `bind(0)` land; each
    pytest-xdist worker draws from its own residue class, so two workers never pick overlapping blocks (a
    clean-clone run's formgrader exited at start-up with the old draw from 20000-50000, most likely a port taken
    between this check and its bind).
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    index = int(worker) if worker.isdigit() else 0
    mine = [b for b in PORT_BLOCKS if b % count == index % count]
    for _ in range(200):
        base = PORT_BLOCK * mine[secrets.randbelow(len(mine))]
        try:
            for port in range(base, base + PORT_BLOCK):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError("no free ports")


class Deployment:
    """One data root, its roster of throw-away accounts, and the `medai up` process serving it.

    `env` adds to (or overrides) the environment of `medai up` and of every `medai` command run through
    `self.medai`. Grading sandbox accounts get a prefix of their own (MEDAI_SANDBOX_PREFIX), so that
    `cleanup` removes exactly the ones this deployment made."""

    def __init__(self, env: dict[str, str] | None = None, *, students: int = 0, langs: dict[str, str] | None = None):
        self.root = Path(tempfile.mkdtemp(prefix="medai-hub-", dir="/tmp"))
        self.root.chmod(0o755)  # users' servers must traverse it to reach their homes
        tag = secrets.token_hex(2)
        self.ids = {k: f"t{tag}{k}" for k in ("med1", "med2", "eng1", "prof", "staff")}
        # `students` more, for the deadline rush: keys s00, s01, ...; tracks alternate medicine, engineering
        self.extra = [f"s{i:02d}" for i in range(students)]
        self.ids.update({k: f"t{tag}{k}" for k in self.extra})
        self.sandbox_prefix = f"medai-sbx{tag}"
        self.port = free_base_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "MEDAI_ROOT": str(self.root), "MEDAI_COURSE": str(COURSE_YAML),
                    "MEDAI_RELEASE_EVERY": "3600", "MEDAI_SANDBOX_PREFIX": self.sandbox_prefix, **(env or {})}
        self.proc: subprocess.Popen | None = None
        self.log = self.root / "up.log"
        self.langs = langs or {}  # key -> the roster's lang for them (the column is left out when empty)

    def roster_csv(self, *, without: tuple[str, ...] = ()) -> Path:
        i = self.ids
        rows = [
            (i["med1"], "김민준", "student", "medicine", "2026"),
            (i["med2"], "이서연", "student", "medicine", "2026"),
            (i["eng1"], "최하은", "student", "engineering", "2026"),
            (i["prof"], "윤지원", "instructor", "", ""),
            (i["staff"], "한수민", "staff", "", ""),
        ]
        rows += [(i[k], f"학생 {k}", "student", ("medicine", "engineering")[n % 2], "2026")
                 for n, k in enumerate(self.extra)]
        path = self.root / f"roster-{len(without)}.csv"
        lang = {i[k]: v for k, v in self.langs.items()}
        extra = (lambda uid: f",{lang.get(uid, '')}") if lang else (lambda uid: "")
        lines = ["id,name,email,role,track,cohort" + (",lang" if lang else "")] + [
            f"{uid},{name},{uid}@medai.example.ac.kr,{role},{track},{cohort}{extra(uid)}"
            for uid, name, role, track, cohort in rows if uid not in without]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    def medai(self, *args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess:
        proc = subprocess.run([MEDAI, *args], env=self.env, capture_output=True, text=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(f"medai {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
        return proc

    def start(self, timeout: float = 120) -> None:
        out = open(self.log, "a")
        seen = self.log.stat().st_size  # bytes: compare bytes
        self.proc = subprocess.Popen([MEDAI, "up", "--port", str(self.port)], env=self.env,
                                     stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"medai up exited:\n{self.log.read_text()}"
            if b"Ctrl-C stops the hub" in self.log.read_bytes()[seen:]:
                return
            time.sleep(0.5)
        raise TimeoutError(f"hub did not come up:\n{self.log.read_text()}")

    def _uids(self) -> set[int]:
        uids = set()
        for name in self.ids.values():
            try:
                uids.add(pwd.getpwnam(name).pw_uid)
            except KeyError:
                pass
        return uids

    def pids(self) -> set[int]:
        """Processes this deployment started: the hub, the proxy, services and users' servers."""
        return processes_for_root(self.root, self._uids())

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None

    def cleanup(self) -> None:
        from medai.grader.sandbox import remove_accounts
        from medai.hub.storage import unmount_under

        self.stop()
        for pid in self.pids():  # anything of ours that outlived the hub: end it, by PID
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        unmount_under(self.root)  # the size-limited homes and exchange (their loop devices go with them)
        for uid in self.ids.values():
            subprocess.run(["userdel", uid], capture_output=True)
            for group in Path("/sys/fs/cgroup").glob(f"*/**/medai/{uid}"):
                try:
                    group.rmdir()
                except OSError:
                    pass
        # only accounts under this deployment's own prefix (remove_accounts checks they are sandbox accounts)
        remove_accounts(tuple(p.pw_name for p in pwd.getpwall() if p.pw_name.startswith(self.sandbox_prefix + "-")))
        shutil.rmtree(self.root, ignore_errors=True)


def logged_in(hub: Deployment, key: str) -> HubUser:
    user = HubUser(hub.url, hub.ids[key])
    r = user.login(PASSWORD)
    assert r.status_code == 302, (r.status_code, r.text[:500])
    assert user.logged_in
    return user


@contextmanager
def running(env: dict[str, str] | None = None, **kw) -> Iterator[Deployment]:
    """A Deployment with its roster imported and `medai up` serving it; everything cleaned up on exit."""
    d = Deployment(env, **kw)
    try:
        d.roster_output = d.medai("roster", "import", str(d.roster_csv())).stdout  # before the hub runs
        d.start()
        yield d
    finally:
        d.cleanup()
