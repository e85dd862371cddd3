"""A real hub: `medai roster import` + `medai up` on a free loopback port, configurable-http-proxy, users'
servers spawned as their own Unix accounts, nbgrader's exchange and formgrader service."""
from __future__ import annotations

import json
import os
import pwd
import subprocess
import time
from pathlib import Path

import pytest
import requests

from tests.deployment import PASSWORD, logged_in
from tests.hubclient import HubUser

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="spawning servers as users' own Unix accounts needs root"),
]

COURSE_ID = "medai101"
ASSIGNMENT = "c02-diagnostic-metrics"


def test_roster_import_fills_the_gradebook_before_the_hub_runs(hub):
    assert "gradebook: 3 students" in hub.roster_output and "not running" in hub.roster_output


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


def test_grade_on_submit_returns_feedback_to_the_student(hub):
    """The hub's grade-on-submit service collects the submission, grades it in the sandbox and returns the
    feedback by itself; the student fetches it; the instructor's `medai feedback` then returns it again."""
    student = logged_in(hub, "med1")
    student.spawn()
    feedback = hub.root / "home" / student.name / ASSIGNMENT / "feedback"
    deadline = time.monotonic() + 300
    while not list(feedback.rglob("*.html")):
        assert time.monotonic() < deadline, "no feedback from grade on submit:\n" + hub.log.read_text()[-3000:]
        time.sleep(3)
        r = student.server("POST", f"/user/{student.name}/assignments/fetch_feedback",
                           data={"course_id": COURSE_ID, "assignment_id": ASSIGNMENT})
        assert r.status_code == 200, r.text
    html = list(feedback.rglob("*.html"))
    assert html and "diagnostic-metrics" in html[0].name
    state = json.loads((hub.root / "course" / ".medai-grade" / ASSIGNMENT / f"{student.name}.json").read_text())
    assert state["status"] == "graded" and state["recorded"] and state["feedback"], state
    assert "feedback returned (1 student(s))" in hub.medai("feedback", ASSIGNMENT).stdout  # waits for the lock
    sandbox = [p.pw_name for p in pwd.getpwall() if p.pw_name.startswith(hub.sandbox_prefix + "-")]
    assert sandbox  # graded as the deployment's own sandbox accounts (removed by cleanup)


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
