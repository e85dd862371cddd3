"""A grading worker is a fork of the grading run: it must not reuse the run's asyncio loop (jupyter_core's run_sync
keeps one per context), whose epoll descriptor the fork shares with the parent. Reusing it, a worker starting a
kernel spun at 100 % CPU in zmq's event handling and never returned (a grade on submit hung in CI)."""
from __future__ import annotations

import multiprocessing

from jupyter_core.utils import ensure_event_loop

from medai.grader import executors


def test_a_forked_grading_worker_makes_its_own_event_loop(monkeypatch):
    parent = ensure_event_loop()  # the run has used run_sync before it forks its workers
    ctx = multiprocessing.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    monkeypatch.setattr(executors, "_serve", lambda *args: send.send(ensure_event_loop() is parent))
    worker = ctx.Process(target=executors._worker_main, args=(None, "", "", "", False))
    worker.start()
    worker.join(60)
    assert worker.exitcode == 0
    assert recv.poll(10) and recv.recv() is False, "the forked worker reused its parent's event loop"


def test_work_done_as_the_course_owner_makes_its_own_event_loop():
    """medai.privileges.run_as_owner_of forks too (the grading run as the course directory's owner)."""
    import os
    import shutil
    import tempfile
    from pathlib import Path

    import pytest

    from medai.privileges import run_as_owner_of

    if os.geteuid() != 0:
        pytest.skip("run_as_owner_of forks only when run as root")
    parent = ensure_event_loop()
    owned = Path(tempfile.mkdtemp(prefix="medai-fork-loop-", dir="/tmp"))  # reachable by another account
    try:
        os.chown(owned, 65534, 65534)  # nobody: the call runs in a fork as that account
        assert run_as_owner_of(owned, lambda: ensure_event_loop() is parent) is False
    finally:
        shutil.rmtree(owned)
