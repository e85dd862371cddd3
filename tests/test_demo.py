"""`medai up --demo`: the demo cohort, its password from MEDAI_DEMO_PASSWORD, printed logins."""
from __future__ import annotations

import os
import pwd
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from medai.hub.storage import unmount_under

from tests.conftest import COURSE_YAML, DEMO_ROSTER
from tests.hubclient import HubUser, processes_for_root
from tests.deployment import MEDAI, free_base_port

pytestmark = [pytest.mark.slow, pytest.mark.skipif(os.geteuid() != 0, reason="needs root (Unix accounts)")]


def _exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def test_demo_up_prints_logins_and_uses_the_demo_password():
    demo_ids = [line.split(",")[0] for line in DEMO_ROSTER.read_text(encoding="utf-8").splitlines()[1:]]
    preexisting = {name for name in demo_ids if _exists(name)}
    root = Path(tempfile.mkdtemp(prefix="medai-demo-", dir="/tmp"))
    root.chmod(0o755)
    port = free_base_port()
    env = {**os.environ, "MEDAI_ROOT": str(root), "MEDAI_DEMO_PASSWORD": "demo-pass-2026"}
    log = root / "up.log"
    proc = subprocess.Popen([MEDAI, "up", "--demo", "--port", str(port), "--course", str(COURSE_YAML)],
                            env=env, stdout=open(log, "wb"), stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while b"Ctrl-C stops the hub" not in log.read_bytes():
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text(errors="replace")[-3000:]
            time.sleep(0.5)
        text = log.read_text(encoding="utf-8", errors="replace")
        assert "med01        김민준 (student, medicine track)  password: demo-pass-2026" in text
        assert "staff01" in text and "prof01" in text and "eng01" in text
        # the contest is prepared in the background: the hub did not wait for it (medai.grader.contest.background)
        assert "contest mi-1y: being prepared in the background" in text
        base = f"http://127.0.0.1:{port}"
        assert HubUser(base, "eng01").login("demo-pass-2026").status_code == 302
        assert HubUser(base, "eng01").login("medai-demo").status_code == 403
        assert HubUser(base, "nobody").login("demo-pass-2026").status_code == 403
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        for pid in processes_for_root(root):  # whatever outlived the hub: ours, by PID
            os.kill(pid, signal.SIGKILL)
        unmount_under(root)  # the size-limited homes and exchange `medai up` mounted (medai.hub.storage)
        for name in set(demo_ids) - preexisting:
            subprocess.run(["userdel", name], capture_output=True)
        subprocess.run(["rm", "-rf", str(root)])
    assert proc.returncode == 0
