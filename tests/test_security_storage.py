"""Security findings 8 and 9 (issue 12), attacked for real.

8: one student must not fill the disk for everyone: homes and the exchange are size-limited filesystems of their
own (loop-mounted ext4 images), every file a server writes is capped (RLIMIT_FSIZE), /tmp and friends are private
and small, inbound keeps the newest N submissions per student and assignment, and a student whose home is full is
told so in words.
9: /proc inside a student's server shows only that student's processes (a private /proc, hidepid=invisible).

The live tests fill a home through the student's own server (Jupyter's contents API, and a kernel the server
started as the student's Unix account), then check that the hub still logs another student in and writes its
database.
"""
from __future__ import annotations

import base64
import json
import os
import pwd
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest
import websocket
from traitlets.config import Config

from medai.grader.inbound_prune import GRACE_SECONDS, parse_entry, prune_inbound
from medai.hub.apply import STORAGE_SERVICE, apply_all
from medai.hub.settings import HubSettings
from medai.hub.storage import limit_directory, mount_source, parse_size, unmount_under, usage
from tests.conftest import COURSE_YAML
from tests.deployment import Deployment, logged_in, running
from tests.hubclient import HubUser

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="mounting filesystems and Unix accounts need root")
MiB = 1 << 20
STAMP = "2026-03-0{} 10:00:00.000000 UTC"

# -- inbound pruning (no hub) ----------------------------------------------------------------------------


def _submission(inbound: Path, student: str, day: int, assignment: str = "c02", rnd: str = "r") -> Path:
    path = inbound / f"{student}+{assignment}+{STAMP.format(day)}+{rnd}{day}"
    path.mkdir()
    (path / "nb.ipynb").write_text("{}")
    old = time.time() - 10 * GRACE_SECONDS
    os.utime(path, (old, old))
    return path


def test_inbound_names_parse_as_nbgrader_writes_them():
    assert parse_entry(f"kim+c02-metrics+{STAMP.format(1)}+Ab_-9x") [:2] == ("kim", "c02-metrics")
    assert parse_entry(f"kim+c02+{STAMP.format(1)}")[0] == "kim"  # without nbgrader's random suffix
    assert parse_entry("kim+c02+not a time+xyz") is None and parse_entry("notes.txt") is None


def test_prune_keeps_the_newest_per_student_and_assignment_and_never_leaves_inbound(tmp_path):
    inbound = tmp_path / "inbound"
    inbound.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious.txt").write_text("not inbound's")
    kim = [_submission(inbound, "kim", day) for day in range(2, 7)]
    lee = [_submission(inbound, "lee", day) for day in (1, 2)]
    other = _submission(inbound, "kim", 1, assignment="c03")
    (kim[0] / "link-out").symlink_to(outside)  # a link inside an old submission: removed as a link
    link = inbound / f"kim+c02+{STAMP.format(1)}+link"  # an old "submission" that is a link out of inbound
    link.symlink_to(outside)
    old = time.time() - 10 * GRACE_SECONDS
    for path in (kim[0], link):
        os.utime(path, (old, old), follow_symlinks=False)
    planted = _submission(inbound, "nobody", 9)  # named for another account, owned by this one: not theirs
    junk = inbound / "notes.txt"
    junk.write_text("not a submission")

    removed = prune_inbound(inbound, keep=2)

    assert set(removed) == {kim[0], kim[1], kim[2], link}
    assert all(p.exists() for p in (kim[3], kim[4], *lee, other, planted, junk))
    assert (outside / "precious.txt").read_text() == "not inbound's"  # nothing followed through a link
    fresh = _submission(inbound, "kim", 8)
    os.utime(kim[4])  # just written (still being copied, say): the grace period keeps it
    assert prune_inbound(inbound, keep=1) == sorted([kim[3], lee[0]])
    assert prune_inbound(inbound, keep=1, now=time.time() + 2 * GRACE_SECONDS) == [kim[4]]
    assert fresh.exists()
    with pytest.raises(ValueError):
        prune_inbound(inbound, keep=0)


# -- settings and configuration (no hub) -------------------------------------------------------------------


def test_storage_settings_reach_the_spawner_and_the_storage_guard(course, roster, layout):
    s = HubSettings(layout=layout, course_file=COURSE_YAML, venv_bin=layout.root / "bin", file_limit="20M",
                    tmp_limit="16M", submissions_keep=3, storage_every=30)
    c = Config()
    apply_all(c, s, course, roster, cli_token="t" * 64)
    assert c.LimitedLocalProcessSpawner.file_size_limit == 20 * MiB
    assert c.LimitedLocalProcessSpawner.tmp_size == 16 * MiB
    assert c.LimitedLocalProcessSpawner.keep_paths == [str(layout.root)]
    assert "--ServerApp.contents_manager_class=medai.hub.full_home.StorageLimitContentsManager" in c.Spawner.args
    guard = {x["name"]: x for x in c.JupyterHub.services}[STORAGE_SERVICE]
    assert guard["command"][1:3] == ["storage", "--prune"] and "--keep=3" in guard["command"]
    assert "user" not in guard  # root: inbound holds folders any student made
    assert parse_size("2G") == 2 << 30 and parse_size("0") == 0
    with pytest.raises(ValueError, match="MEDAI_HOME_LIMIT"):
        HubSettings(layout=layout, course_file=COURSE_YAML, home_limit="lots")


@needs_root
def test_a_limited_directory_stops_writes_at_its_size_keeps_its_files_and_unmounts():
    tmp_path = Path(tempfile.mkdtemp(prefix="medai-storage-", dir="/tmp"))  # reachable by `nobody`
    tmp_path.chmod(0o755)
    home = tmp_path / "home" / "u"
    home.mkdir(parents=True)
    (home / "notes.txt").write_text("written before limits were turned on")
    image = tmp_path / "storage" / "u.img"
    nobody = pwd.getpwnam("nobody")
    try:
        assert limit_directory(home, image=image, size=16 * MiB, uid=nobody.pw_uid, gid=nobody.pw_gid) is None
        assert limit_directory(home, image=image, size=16 * MiB, uid=nobody.pw_uid, gid=nobody.pw_gid) is None
        assert mount_source(home).startswith("/dev/loop")
        assert (home / "notes.txt").read_text() == "written before limits were turned on"
        assert home.stat().st_uid == nobody.pw_uid and oct(home.stat().st_mode & 0o777) == "0o700"
        assert image.stat().st_blocks * 512 < 4 * MiB  # sparse: a new one costs next to nothing
        dd = subprocess.run(["runuser", "-u", "nobody", "--", "dd", "if=/dev/zero", f"of={home}/fill", "bs=1M",
                             "count=64"], capture_output=True, text=True)
        assert dd.returncode != 0 and "No space left on device" in dd.stderr
        assert (home / "fill").stat().st_size <= 16 * MiB
    finally:
        unmount_under(tmp_path)
        assert mount_source(home) is None
        assert str(image) not in subprocess.run(["losetup", "-a"], capture_output=True, text=True).stdout
        shutil.rmtree(tmp_path)


# -- the live attacks -------------------------------------------------------------------------------------

LIMITS = {"MEDAI_HOME_LIMIT": "48M", "MEDAI_FILE_LIMIT": "20M", "MEDAI_EXCHANGE_LIMIT": "64M",
          "MEDAI_TMP_LIMIT": "16M", "MEDAI_SUBMISSIONS_KEEP": "2", "MEDAI_STORAGE_EVERY": "5",
          "MEDAI_GRADE_ON_SUBMIT": "0"}
COURSE_ID = "medai101"
ASSIGNMENT = "c02-diagnostic-metrics"


@pytest.fixture(scope="module")
def hub():
    if os.geteuid() != 0:
        pytest.skip("spawning servers as users' own Unix accounts needs root")
    with running(LIMITS) as d:
        yield d
    assert not [m for m in Path("/proc/self/mountinfo").read_text().splitlines() if str(d.root) in m]


def put_chunk(user: HubUser, name: str, chunk: int, data: bytes):
    return user.server("PUT", f"/user/{user.name}/api/contents/{name}", json={
        "type": "file", "format": "base64", "chunk": chunk, "content": base64.b64encode(data).decode()})


def run_in_kernel(user: HubUser, code: str, timeout: float = 90) -> str:
    """Run `code` in a new kernel of the user's own server (over its websocket, as JupyterLab does); returns
    what it printed."""
    r = user.server("POST", f"/user/{user.name}/api/kernels", json={"name": "python3"})
    assert r.status_code == 201, r.text
    kernel = r.json()["id"]
    url = f"{user.base.replace('http', 'ws', 1)}/user/{user.name}/api/kernels/{kernel}/channels"
    ws = websocket.create_connection(url, timeout=timeout,
                                     cookie="; ".join(f"{c.name}={c.value}" for c in user.s.cookies))
    msg_id = uuid.uuid4().hex
    ws.send(json.dumps({
        "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": user.name,
                   "session": uuid.uuid4().hex, "version": "5.3"},
        "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
        "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {},
                    "allow_stdin": False, "stop_on_error": True}}))
    out, deadline = [], time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            msg = json.loads(ws.recv())
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = msg["msg_type"]
            if kind == "stream":
                out.append(msg["content"]["text"])
            elif kind == "error":
                raise AssertionError("\n".join(msg["content"]["traceback"]))
            elif kind == "status" and msg["content"]["execution_state"] == "idle":
                return "".join(out)
        raise TimeoutError(f"kernel of {user.name} did not finish")
    finally:
        ws.close()
        user.server("DELETE", f"/user/{user.name}/api/kernels/{kernel}")


def server_pid(hub: Deployment, key: str) -> int:
    uid = pwd.getpwnam(hub.ids[key]).pw_uid
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if proc.stat().st_uid == uid and b"jupyterhub-singleuser" in (proc / "cmdline").read_bytes():
                    return int(proc.name)
            except OSError:
                continue
    raise AssertionError(f"no server running for {key}")


@pytest.mark.slow
def test_a_student_filling_their_home_stops_at_its_limit_is_told_why_and_the_hub_keeps_working(hub):
    student = logged_in(hub, "med1")
    student.spawn()
    home = hub.root / "home" / student.name
    assert usage(home).limited and os.stat(home).st_dev != os.stat(hub.root / "hub").st_dev
    refused, written = None, 0
    for i in range(12):  # 16 MB per file (two 8 MB chunks; each file under the 20 MB cap): 192 MB if unlimited
        for chunk in (1, -1):
            r = put_chunk(student, f"data{i}.bin", chunk, os.urandom(8 * MiB))
            if r.status_code not in (200, 201):
                refused = r
                break
            written += 8 * MiB
        if refused is not None:
            break
    assert refused is not None, f"wrote {written} bytes into a 48 MB home"
    assert refused.status_code == 507, refused.text
    message = refused.json()["message"]
    # in the student's language: Korean (the roster gives none; medai.hub.user_language)
    assert message.startswith("홈 폴더가 가득 찼습니다: ") and " 사용 중" in message and "MB" in message
    assert written <= 48 * MiB and usage(home).used <= 48 * MiB
    report = hub.medai("storage").stdout
    mine = next(line for line in report.splitlines() if line.startswith(student.name))
    assert mine.endswith(("FULL", "near the limit")), report  # the hub's storage guard logs the same lines

    db = hub.root / "hub" / "jupyterhub.sqlite"
    before = db.stat().st_mtime_ns
    other = logged_in(hub, "med2")  # the hub still logs people in, starts servers and writes its database
    other.spawn()
    assert db.stat().st_mtime_ns > before

    assert student.server("DELETE", f"/user/{student.name}/api/contents/data0.bin").status_code == 204
    assert put_chunk(student, "after-cleanup.txt", 1, b"saved again").status_code in (200, 201)


@pytest.mark.slow
def test_a_single_file_over_the_cap_is_refused_with_a_message(hub):
    student = logged_in(hub, "eng1")
    student.spawn()
    statuses = [put_chunk(student, "huge.bin", chunk, os.urandom(8 * MiB)) for chunk in (1, 2, 3)]
    assert [r.status_code for r in statuses[:2]] == [201, 200], statuses[-1].text  # created, then appended
    assert statuses[2].status_code == 507 and "파일이 너무 큽니다" in statuses[2].json()["message"]
    assert (hub.root / "home" / student.name / "huge.bin").stat().st_size <= 20 * MiB


@pytest.mark.slow
def test_proc_in_a_students_server_shows_only_their_own_processes(hub):
    med1, med2 = logged_in(hub, "med1"), logged_in(hub, "med2")
    med1.spawn()
    med2.spawn()
    others = {server_pid(hub, "med1"), hub.proc.pid}
    assert all(Path(f"/proc/{pid}").exists() for pid in others)  # visible from the machine itself
    seen = json.loads(run_in_kernel(med2, (
        "import json, os\n"
        "pids = [int(p) for p in os.listdir('/proc') if p.isdigit()]\n"
        "def cmdline(p):\n"
        "    try:\n"
        "        return open(f'/proc/{p}/cmdline', 'rb').read().replace(b'\\0', b' ').decode(errors='replace')\n"
        "    except OSError:\n"
        "        return ''\n"
        "print(json.dumps({'uids': sorted({os.stat(f'/proc/{p}').st_uid for p in pids}), 'pids': pids,\n"
        "                  'cmdlines': [cmdline(p) for p in pids]}))\n")))
    assert seen["uids"] == [pwd.getpwnam(med2.name).pw_uid]
    assert not others & set(seen["pids"])
    assert not any("jupyterhub " in c or med1.name in c for c in seen["cmdlines"])
    assert any("jupyterhub-singleuser" in c for c in seen["cmdlines"])  # its own server is there


@pytest.mark.slow
def test_tmp_in_a_students_server_is_private_and_small(hub):
    student = logged_in(hub, "med2")
    student.spawn()
    out = run_in_kernel(student, (
        "import errno\n"
        "for d in ('/tmp', '/var/tmp', '/dev/shm'):\n"
        "    try:\n"
        "        with open(f'{d}/medai-fill', 'wb') as f:\n"
        "            for _ in range(64):\n"
        "                f.write(b'x' * (1 << 20)); f.flush()\n"
        "        print(d, 'wrote 64 MB')\n"
        "    except OSError as e:\n"
        "        print(d, errno.errorcode[e.errno])\n"))
    assert out.split() == ["/tmp", "ENOSPC", "/var/tmp", "ENOSPC", "/dev/shm", "ENOSPC"], out
    assert not any(Path(d, "medai-fill").exists() for d in ("/tmp", "/var/tmp", "/dev/shm"))  # not the machine's


@pytest.mark.slow
def test_flooding_the_exchange_cannot_reach_the_disk_of_the_hub_and_the_gradebook(hub):
    student = logged_in(hub, "med2")
    student.spawn()
    inbound = hub.root / "exchange" / COURSE_ID / "inbound"
    assert os.stat(inbound).st_dev not in {os.stat(hub.root / d).st_dev for d in ("hub", "course")}
    try:
        out = run_in_kernel(student, (
            "import errno\n"
            "total = 0\n"
            "try:\n"
            "    for i in range(20):\n"
            f"        with open(f'{inbound}/flood-{{i}}', 'wb') as f:\n"
            "            for _ in range(15):\n"
            "                f.write(b'x' * (1 << 20)); f.flush(); total += 1 << 20\n"
            "except OSError as e:\n"
            "    print(errno.errorcode[e.errno], total)\n"))
        code, total = out.split()
        assert code == "ENOSPC" and int(total) <= 64 * MiB, out
        assert logged_in(hub, "eng1").logged_in  # the hub still answers and logs people in
    finally:
        for junk in inbound.glob("flood-*"):
            junk.unlink()


@pytest.mark.slow
def test_old_submissions_are_pruned_to_the_newest_per_student(hub):
    student = logged_in(hub, "eng1")
    student.spawn()
    form = {"course_id": COURSE_ID, "assignment_id": ASSIGNMENT}
    assert student.server("POST", f"/user/{student.name}/assignments/fetch", data=form).json()["success"]
    for _ in range(4):
        r = student.server("POST", f"/user/{student.name}/assignments/submit", data=form)
        assert r.status_code == 200 and r.json()["success"], r.text
        time.sleep(1.1)  # nbgrader's timestamps: one submission per second is plenty
    inbound = hub.root / "exchange" / COURSE_ID / "inbound"
    mine = sorted(p.name for p in inbound.iterdir() if p.name.startswith(student.name + "+"))
    assert len(mine) == 4
    prune_inbound(inbound, keep=2, now=time.time() + 2 * GRACE_SECONDS)  # what the storage guard does later
    left = sorted(p.name for p in inbound.iterdir() if p.name.startswith(student.name + "+"))
    assert left == mine[-2:]
    assert "medai storage: " in hub.log.read_text()  # the storage-guard service is running
