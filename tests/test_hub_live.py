"""A real hub: `medai roster import` + `medai up` on a free loopback port, configurable-http-proxy, users'
servers spawned as their own Unix accounts, nbgrader's exchange and formgrader service."""
from __future__ import annotations

import json
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
from pathlib import Path

import pytest
import requests

from tests.conftest import COURSE_YAML
from tests.hubclient import HubUser, processes_for_root

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="spawning servers as users' own Unix accounts needs root"),
]

MEDAI = str(Path(sys.executable).with_name("medai"))
COURSE_ID = "medai101"
ASSIGNMENT = "c02-diagnostic-metrics"
PASSWORD = "correct horse battery"


def free_base_port() -> int:
    """A port p with p, p+1, p+2, p+10 and p+11 free (hub, hub API, proxy API, formgrader, progress page)."""
    for _ in range(200):
        base = 20000 + secrets.randbelow(30000)
        ok = True
        for port in (base, base + 1, base + 2, base + 10, base + 11):
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    ok = False
                    break
        if ok:
            return base
    raise RuntimeError("no free ports")


class Deployment:
    """One data root, its roster of throw-away accounts, and the `medai up` process serving it."""

    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="medai-hub-", dir="/tmp"))
        self.root.chmod(0o755)  # users' servers must traverse it to reach their homes
        tag = secrets.token_hex(2)
        self.ids = {k: f"t{tag}{k}" for k in ("med1", "med2", "eng1", "prof", "staff")}
        self.port = free_base_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "MEDAI_ROOT": str(self.root), "MEDAI_COURSE": str(COURSE_YAML),
                    "MEDAI_RELEASE_EVERY": "3600"}
        self.proc: subprocess.Popen | None = None
        self.log = self.root / "up.log"

    def roster_csv(self, *, without: tuple[str, ...] = ()) -> Path:
        i = self.ids
        rows = [
            (i["med1"], "김민준", "student", "medicine", "2026"),
            (i["med2"], "이서연", "student", "medicine", "2026"),
            (i["eng1"], "최하은", "student", "engineering", "2026"),
            (i["prof"], "윤지원", "instructor", "", ""),
            (i["staff"], "한수민", "staff", "", ""),
        ]
        path = self.root / f"roster-{len(without)}.csv"
        lines = ["id,name,email,role,track,cohort"] + [
            f"{uid},{name},{uid}@medai.example.ac.kr,{role},{track},{cohort}"
            for uid, name, role, track, cohort in rows if uid not in without]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    def medai(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run([MEDAI, *args], env=self.env, capture_output=True, text=True, timeout=300)
        if check and proc.returncode != 0:
            raise AssertionError(f"medai {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
        return proc

    def start(self) -> None:
        out = open(self.log, "a")
        seen = self.log.stat().st_size  # bytes: compare bytes
        self.proc = subprocess.Popen([MEDAI, "up", "--port", str(self.port)], env=self.env,
                                     stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"medai up exited:\n{self.log.read_text()}"
            if b"Ctrl-C stops the hub" in self.log.read_bytes()[seen:]:
                return
            time.sleep(0.5)
        raise TimeoutError(f"hub did not come up:\n{self.log.read_text()}")

    def pids(self) -> set[int]:
        """Processes this deployment started: the hub, the proxy, services and users' servers."""
        uids = set()
        for name in self.ids.values():
            try:
                uids.add(pwd.getpwnam(name).pw_uid)
            except KeyError:
                pass
        return processes_for_root(self.root, uids)

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
        self.stop()
        for pid in self.pids():  # anything of ours that outlived the hub: end it, by PID
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for uid in self.ids.values():
            subprocess.run(["userdel", uid], capture_output=True)
            for group in Path("/sys/fs/cgroup").glob(f"*/**/medai/{uid}"):
                try:
                    group.rmdir()
                except OSError:
                    pass
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="module")
def hub():
    d = Deployment()
    try:
        out = d.medai("roster", "import", str(d.roster_csv())).stdout
        assert "gradebook: 3 students" in out and "not running" in out
        d.start()
        yield d
    finally:
        d.cleanup()


def logged_in(hub: Deployment, key: str) -> HubUser:
    user = HubUser(hub.url, hub.ids[key])
    r = user.login(PASSWORD)
    assert r.status_code == 302, (r.status_code, r.text[:500])
    assert user.logged_in
    return user


def test_released_assignment_is_in_the_exchange_for_students(hub):
    outbound = hub.root / "exchange" / COURSE_ID / "outbound" / ASSIGNMENT
    released = (outbound / "diagnostic-metrics.ipynb").read_text()
    assert "BEGIN SOLUTION" not in released and "BEGIN HIDDEN TESTS" not in released
    inbound = hub.root / "exchange" / COURSE_ID / "inbound"
    assert oct(inbound.stat().st_mode & 0o7777) == "0o2733"
    assert oct((hub.root / "course").stat().st_mode & 0o777) == "0o700"


def test_medicine_student_lists_and_fetches_the_released_assignment(hub):
    student = logged_in(hub, "med1")
    student.spawn()
    lab = student.server("GET", f"/user/{student.name}/lab")
    assert lab.status_code == 200
    page = json.loads(lab.text.split('id="jupyter-config-data"', 1)[1].split(">", 1)[1].split("</script>")[0])
    disabled = page["disabledExtensions"]
    assert "@jupyter/nbgrader:formgrader" in disabled and "@jupyter/nbgrader:create-assignment" in disabled
    assert "@jupyter/nbgrader:assignment-list" not in disabled

    listing = student.server("GET", f"/user/{student.name}/assignments", params={"course_id": COURSE_ID})
    assert listing.status_code == 200, listing.text
    released = [a["assignment_id"] for a in listing.json()["value"] if a["status"] == "released"]
    assert ASSIGNMENT in released

    fetched = student.server("POST", f"/user/{student.name}/assignments/fetch",
                             data={"course_id": COURSE_ID, "assignment_id": ASSIGNMENT})
    assert fetched.status_code == 200 and fetched.json()["success"], fetched.text
    home = hub.root / "home" / student.name
    notebook = home / ASSIGNMENT / "diagnostic-metrics.ipynb"
    assert notebook.exists()
    owner = pwd.getpwuid(notebook.stat().st_uid).pw_name
    assert owner == student.name  # the server ran as the student's own Unix account
    assert oct(home.stat().st_mode & 0o777) == "0o700"


def test_student_submission_is_private(hub):
    student = logged_in(hub, "med1")
    student.spawn()
    r = student.server("POST", f"/user/{student.name}/assignments/submit",
                       data={"course_id": COURSE_ID, "assignment_id": ASSIGNMENT})
    assert r.status_code == 200 and r.json()["success"], r.text
    inbound = hub.root / "exchange" / COURSE_ID / "inbound"
    mine = [p for p in inbound.iterdir() if p.name.startswith(student.name + "+")]
    assert len(mine) == 1
    assert mine[0].stat().st_mode & 0o007 == 0  # nothing for other accounts (stock nbgrader: 0777)
    assert all(d.stat().st_mode & 0o007 == 0 for d in mine[0].rglob("*") if d.is_dir())
    for path in (mine[0], mine[0] / "timestamp.txt", mine[0] / "diagnostic-metrics.ipynb"):
        peek = subprocess.run(["runuser", "-u", hub.ids["med2"], "--", "cat" if path.is_file() else "ls", path],
                              capture_output=True, text=True)
        assert peek.returncode != 0 and "Permission denied" in peek.stderr, (path, peek.stdout[:200])
    collected = hub.medai("collect", ASSIGNMENT).stdout
    assert "1 submission(s)" in collected


def test_graded_feedback_goes_back_to_the_student(hub):
    student = logged_in(hub, "med1")
    student.spawn()
    assert "no feedback (nothing graded yet)" in hub.medai("feedback", ASSIGNMENT).stdout
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
           "JUPYTER_CONFIG_PATH": str(hub.root / "etc" / "grader"), "HOME": str(hub.root / "course")}
    graded = subprocess.run(["runuser", "-u", "medai-grader", "--", "env", *[f"{k}={v}" for k, v in env.items()],
                             "nbgrader", "autograde", ASSIGNMENT],
                            cwd=hub.root / "course", capture_output=True, text=True, timeout=300)
    assert graded.returncode == 0, graded.stderr[-2000:]
    assert "feedback returned (1 student(s))" in hub.medai("feedback", ASSIGNMENT).stdout
    assert "feedback returned (1 student(s))" in hub.medai("feedback", ASSIGNMENT).stdout  # idempotent
    r = student.server("POST", f"/user/{student.name}/assignments/fetch_feedback",
                       data={"course_id": COURSE_ID, "assignment_id": ASSIGNMENT})
    assert r.status_code == 200 and r.json()["success"], r.text
    html = list((hub.root / "home" / student.name / ASSIGNMENT / "feedback").rglob("*.html"))
    assert html and "diagnostic-metrics" in html[0].name


def test_users_servers_run_inside_their_memory_and_cpu_limits(hub):
    student = logged_in(hub, "med1")
    student.spawn()
    uid = pwd.getpwnam(student.name).pw_uid
    pids = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and p.stat().st_uid == uid]
    assert pids
    limits = set()
    for pid in pids:
        for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            if controllers == "memory":
                limits.add(Path(f"/sys/fs/cgroup/memory{path}/memory.limit_in_bytes").read_text().strip())
            elif controllers == "":
                if Path(f"/sys/fs/cgroup{path}/memory.max").exists():
                    limits.add(Path(f"/sys/fs/cgroup{path}/memory.max").read_text().strip())
    assert limits == {str(4 * 1024 ** 3)}


def test_instructor_reaches_a_formgrader_that_renders(hub):
    prof = logged_in(hub, "prof")
    page = prof.server("GET", f"/services/formgrader-{COURSE_ID}/")
    assert page.status_code == 200, page.url
    assert "/formgrader" in page.url, page.url
    assert "Manage Assignments" in page.text
    assignments = prof.server("GET", f"/services/formgrader-{COURSE_ID}/formgrader/api/assignments")
    assert assignments.status_code == 200
    assert ASSIGNMENT in [a["name"] for a in assignments.json()]


def test_student_gets_403_on_formgrader_and_on_another_students_server(hub):
    other = logged_in(hub, "med2")
    other.spawn()
    student = logged_in(hub, "med1")
    r = student.server("GET", f"/services/formgrader-{COURSE_ID}/formgrader")
    assert r.status_code == 403
    r = student.server("GET", f"/user/{other.name}/api/contents")
    assert r.status_code == 403


def test_staff_reach_no_students_server_and_get_no_server(hub):
    student = logged_in(hub, "eng1")
    student.spawn()
    staff = logged_in(hub, "staff")
    assert staff.server("GET", f"/user/{student.name}/api/contents").status_code == 403
    r = staff.s.post(f"{hub.url}/hub/api/users/{staff.name}/server",
                     headers={"X-XSRFToken": staff.xsrf()}, timeout=60)
    assert r.status_code == 403


def test_a_user_not_on_the_roster_cannot_log_in(hub):
    intruder = HubUser(hub.url, "intruder")
    r = intruder.login(PASSWORD)
    assert r.status_code == 403
    assert not intruder.logged_in


def test_restart_keeps_users_their_files_and_the_gradebook(hub):
    notebook = hub.root / "home" / hub.ids["med1"] / ASSIGNMENT / "diagnostic-metrics.ipynb"
    assert notebook.exists()
    hub.stop()
    time.sleep(1)
    assert not hub.pids(), "medai up left processes behind"
    with pytest.raises(requests.ConnectionError):
        requests.get(hub.url, timeout=5)
    hub.start()
    student = logged_in(hub, "med1")  # the first-use password chosen before the restart still works
    assert student.login("a different password").status_code == 403
    assert notebook.exists()
    listing = student.spawn() and student.server("GET", f"/user/{student.name}/assignments",
                                                 params={"course_id": COURSE_ID})
    statuses = {a["status"] for a in listing.json()["value"]}
    assert "fetched" in statuses or "submitted" in statuses
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{hub.root / 'course' / 'gradebook.db'}") as gb:
        assert sorted(s.id for s in gb.students) == sorted(hub.ids[k] for k in ("med1", "med2", "eng1"))
        assert gb.find_submission(ASSIGNMENT, hub.ids["med1"]).score == 0  # graded before the restart


def test_roster_import_while_running_updates_hub_users_and_groups(hub):
    removed = hub.ids["med2"]
    out = hub.medai("roster", "import", str(hub.roster_csv(without=(removed,)))).stdout
    assert f"hub users removed (files and grades kept): {removed}" in out
    token = (hub.root / "hub" / "cli-token").read_text().strip()
    groups = requests.get(f"{hub.url}/hub/api/groups/medicine", headers={"Authorization": f"token {token}"},
                          timeout=10).json()
    assert groups["users"] == [hub.ids["med1"]]
    assert HubUser(hub.url, removed).login(PASSWORD).status_code == 403
    again = hub.medai("roster", "import", str(hub.roster_csv(without=(removed,)))).stdout
    assert "hub users added" not in again and "removed" not in again  # idempotent
