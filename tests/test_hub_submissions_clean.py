"""A real hub (tests/deployment.py), for three things a person sees:

- a student whose Unix account already existed with its home elsewhere (an earlier deployment) gets their
  home, their server and their fetched work under this deployment's data root, and the progress report sees
  that work;
- what a student submits holds what they meant to submit: checkpoints and editor or desktop debris saved in
  the assignment folder reach neither the exchange nor, after `medai collect`, the course directory;
- the formgrader shows names as the roster writes them (the whole name, no "last, first" comma).
"""
from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.deployment import Deployment, logged_in

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="spawning servers as users' own Unix accounts needs root"),
]

COURSE_ID = "medai101"
ASSIGNMENT = "c02-diagnostic-metrics"
NOTEBOOK = "diagnostic-metrics.ipynb"
# saved in the assignment folder by the student's server (contents API) or by their editors and desktop
DEBRIS_API = ["__pycache__/helper.cpython-311.pyc", "~$notes.docx", "answers.py~"]
DEBRIS_EDITORS = [".DS_Store", ".~lock.data.csv#", f".{NOTEBOOK}.swp", ".virtual_documents/diagnostic-metrics.py",
                  "Thumbs.db"]
DEBRIS_NAMES = {".ipynb_checkpoints", "__pycache__", "~$notes.docx", "answers.py~", ".DS_Store",
                ".~lock.data.csv#", f".{NOTEBOOK}.swp", ".virtual_documents", "Thumbs.db"}


@pytest.fixture(scope="module")
def hub():
    """`medai roster import` + `medai up`, where med1's account existed before with its home elsewhere."""
    d = Deployment()
    elsewhere = Path(tempfile.mkdtemp(prefix="medai-earlier-", dir="/tmp"))
    try:
        name = d.ids["med1"]
        subprocess.run(["useradd", "--user-group", "--create-home", "--home-dir", str(elsewhere / name), name],
                       check=True, capture_output=True)
        d.earlier_home = elsewhere / name
        d.roster_output = d.medai("roster", "import", str(d.roster_csv())).stdout
        d.start()
        yield d
    finally:
        d.cleanup()
        shutil.rmtree(elsewhere, ignore_errors=True)


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def test_an_existing_account_gets_its_home_under_this_data_root(hub):
    name = hub.ids["med1"]
    assert pwd.getpwnam(name).pw_dir == str(hub.root / "home" / name)
    assert f"home moved into this data root (old files left where they were): {name} (was {hub.earlier_home})" \
        in hub.roster_output


def test_debris_is_neither_submitted_nor_collected(hub):
    student = logged_in(hub, "med1")
    student.spawn()
    base = f"/user/{student.name}"
    r = student.server("POST", f"{base}/assignments/fetch", data={"course_id": COURSE_ID, "assignment_id": ASSIGNMENT})
    assert r.status_code == 200 and r.json()["success"], r.text
    work = hub.root / "home" / student.name / ASSIGNMENT  # the server runs in this data root's home
    assert (work / NOTEBOOK).is_file() and not (hub.earlier_home / ASSIGNMENT).exists()

    out = hub.root / "progress.json"
    hub.medai("report", "progress", "--format", "json", "--student", student.name,
              "--as-of", "2026-09-10T12:00+09:00", "-o", str(out))  # released, not yet due
    report = json.loads(out.read_text())
    [mine] = [a for s in report["students"] for a in s["assignments"] if a["assignment"] == ASSIGNMENT]
    assert mine["state"] == "fetched"  # the report looks for fetched work where the server put it

    r = student.server("POST", f"{base}/api/contents/{ASSIGNMENT}/{NOTEBOOK}/checkpoints")
    assert r.status_code == 201, r.text
    assert (work / ".ipynb_checkpoints").is_dir()
    for path in ["notes.md", *DEBRIS_API]:
        folder = path.rpartition("/")[0]
        if folder:
            student.server("PUT", f"{base}/api/contents/{ASSIGNMENT}/{folder}", json={"type": "directory"})
        r = student.server("PUT", f"{base}/api/contents/{ASSIGNMENT}/{path}",
                           json={"type": "file", "format": "text", "content": "x"})
        assert r.status_code in (200, 201), (path, r.text)
    for path in DEBRIS_EDITORS:  # hidden files: the contents API refuses them, editors and desktops do not
        subprocess.run(["runuser", "-u", student.name, "--", "sh", "-c",
                        f'mkdir -p "$(dirname "$1")" && echo x > "$1"', "sh", str(work / path)], check=True)

    r = student.server("POST", f"{base}/assignments/submit", data={"course_id": COURSE_ID, "assignment_id": ASSIGNMENT})
    assert r.status_code == 200 and r.json()["success"], r.text
    inbound = hub.root / "exchange" / COURSE_ID / "inbound"
    [submission] = [p for p in inbound.iterdir() if p.name.startswith(student.name + "+")]
    sent = _files(submission)
    assert {NOTEBOOK, "notes.md", "timestamp.txt"} <= sent
    assert not {Path(p).parts[0] for p in sent} & DEBRIS_NAMES, sent

    hub.medai("collect", ASSIGNMENT)
    collected = _files(hub.root / "course" / "submitted" / student.name / ASSIGNMENT)
    assert {NOTEBOOK, "notes.md", "timestamp.txt"} <= collected
    assert not {Path(p).parts[0] for p in collected} & DEBRIS_NAMES, collected


def test_the_formgrader_shows_names_as_the_roster_writes_them(hub):
    prof = logged_in(hub, "prof")
    service = f"/services/formgrader-{COURSE_ID}/formgrader"
    students = prof.server("GET", f"{service}/api/students")
    assert students.status_code == 200, students.text
    names = {s["id"]: (s["first_name"], s["last_name"]) for s in students.json()}
    assert names[hub.ids["med1"]] == ("", "김민준") and names[hub.ids["eng1"]] == ("", "최하은")
    for script in ("manage_students.js", "manage_submissions.js", "gradebook_notebook_submissions.js"):
        r = prof.server("GET", f"{service}/static/js/{script}")
        assert r.status_code == 200 and "(first_name ? last_name" in r.text, script
    assert prof.server("GET", f"{service}/static/js/utils.js").status_code == 200  # nbgrader's own, untouched
