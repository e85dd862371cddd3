"""One typed spec for everything a grading worker runs jobs by (medai.grader.sandbox.ExecSpec): it round-trips
through JSON (never a pickle) on its own and inside the zygote's session; executors are made by
medai.grader.executors.make_executor and do nothing until `start()`: no process forked, no socket opened."""
from __future__ import annotations

import json
import multiprocessing
import multiprocessing.process
import os
import socket

import pytest

from medai.grader.context import GradeOptions
from medai.grader.executors import DaskExecutor, LocalExecutor, make_executor
from medai.grader.kernels import Zygote, kernel_env, zygote_for
from medai.grader.sandbox import ExecSpec, Limits
from medai.grader.zygote import Session


def _spec(**kw) -> ExecSpec:
    given = dict(enabled=True, client_uid=1234, client_gid=2345, threads=3, prefix="medai-sbx-spec",
                 accounts=("medai-sbx-spec-0", "medai-sbx-spec-1"), hide=("/srv/course", "/root"),
                 readable=("/srv/data",), preload=("numpy", "pandas.core"),
                 limits=Limits(memory_bytes=3 << 30, cpu_seconds=77, processes=9, file_bytes=1 << 20,
                               open_files=33, tmp_bytes=5 << 20, wall_seconds=12.5))
    given.update(kw)
    return ExecSpec(**given)


def test_spec_round_trips_through_json():
    spec = _spec()
    text = spec.to_json()
    data = json.loads(text)  # plain JSON: a worker in another image reads it without our classes
    assert data["limits"]["wall_seconds"] == 12.5 and data["preload"] == ["numpy", "pandas.core"]
    back = ExecSpec.from_json(text)
    assert back == spec
    assert isinstance(back.hide, tuple) and isinstance(back.limits, Limits)
    assert back.to_json() == text
    unsafe = _spec(enabled=False, accounts=(), hide=(), readable=(), preload=())
    assert ExecSpec.from_json(unsafe.to_json()) == unsafe


def test_spec_rejects_unknown_fields():
    data = json.loads(_spec().to_json())
    data["sandbox_enabled"] = True
    with pytest.raises(TypeError):
        ExecSpec.from_dict(data)


def test_spec_defaults_come_from_policy_and_settings():
    from medai.course.model import GradingPolicy
    from medai.settings import default, parse_size

    spec = ExecSpec(enabled=True, client_uid=1, client_gid=1, threads=1)
    assert spec.prefix == default("sandbox_prefix")
    assert spec.limits.memory_bytes == parse_size(GradingPolicy().memory)
    assert spec.limits.wall_seconds == float(GradingPolicy().timeout_seconds)


def test_zygote_session_round_trips_through_json(tmp_path):
    spec = _spec()
    session = Session(spec=spec, slots=spec.accounts, socket=str(tmp_path / "zygote.sock"),
                      session_dir=str(tmp_path), lock_dir="/run/medai-grade", env=kernel_env(str(tmp_path)))
    text = session.to_json()
    assert json.loads(text)["spec"] == json.loads(spec.to_json())
    assert Session.from_json(text) == session


class _NoIO:
    """Records any process start or socket creation while active."""

    def __init__(self, monkeypatch):
        self.calls: list[str] = []
        real_socket = socket.socket

        def no_socket(*args, **kwargs):
            self.calls.append("socket")
            return real_socket(*args, **kwargs)

        def no_fork(*args, **kwargs):
            self.calls.append("fork")
            raise AssertionError("forked")

        monkeypatch.setattr(socket, "socket", no_socket)
        monkeypatch.setattr(os, "fork", no_fork)
        monkeypatch.setattr(multiprocessing.process.BaseProcess, "start", no_fork)


def _fake_zygote(tmp_path) -> Zygote:
    slots = {"slot-0": str(tmp_path / "slot-0"), "slot-1": str(tmp_path / "slot-1")}
    return Zygote(socket=str(tmp_path / "nobody-listens.sock"), slot_dirs=slots, session_dir=str(tmp_path))


def test_constructing_a_local_executor_does_no_io(tmp_path, monkeypatch):
    guard = _NoIO(monkeypatch)
    before = multiprocessing.active_children()
    executor = make_executor(GradeOptions(executor="local"), _spec(), zygote=_fake_zygote(tmp_path))
    assert isinstance(executor, LocalExecutor)
    assert executor.capacity == 2 and executor.busy == 0
    assert guard.calls == [] and multiprocessing.active_children() == before
    executor.close()  # closing one never started is harmless
    assert guard.calls == []


def test_constructing_a_dask_executor_opens_no_connection(monkeypatch):
    import distributed

    opened = []
    monkeypatch.setattr(distributed, "Client", lambda *a, **kw: opened.append(a) or pytest.fail("connected"))
    guard = _NoIO(monkeypatch)
    spec = _spec()
    executor = make_executor(GradeOptions(executor="dask", scheduler="tcp://127.0.0.1:9"), spec)
    assert isinstance(executor, DaskExecutor)
    assert executor.busy == 0 and opened == [] and guard.calls == []
    assert ExecSpec.from_json(executor.spec_json) == spec  # what every task carries
    executor.close()
    assert opened == []


def test_dask_executor_connects_on_start(monkeypatch):
    import distributed

    class FakeClient:
        def __init__(self, address, **kw):
            self.address, self.closed = address, False

        def close(self):
            self.closed = True

    monkeypatch.setattr(distributed, "Client", FakeClient)
    executor = make_executor(GradeOptions(executor="dask", scheduler="tcp://127.0.0.1:9"), _spec())
    assert executor.client is None
    client = executor.start().client
    assert client.address == "tcp://127.0.0.1:9"
    executor.close()
    assert client.closed and executor.client is None


def test_local_executor_needs_the_runs_zygote():
    with pytest.raises(ValueError):
        make_executor(GradeOptions(executor="local"), _spec())


def test_local_executor_forks_its_workers_on_start_and_stops_them_on_close():
    """An unsandboxed zygote (no root needed) from the spec; the workers appear with start() and go with close()."""
    spec = ExecSpec(enabled=False, client_uid=os.getuid(), client_gid=os.getgid(), threads=1)
    zygote = zygote_for(spec, count=2)
    try:
        assert zygote.slots == ["slot-0", "slot-1"]
        before = set(multiprocessing.active_children())
        executor = make_executor(GradeOptions(workers=2), spec, zygote=zygote)
        assert set(multiprocessing.active_children()) == before
        executor.start()
        try:
            workers = [w.proc for w in executor.workers]
            assert len(workers) == 2 and all(p.is_alive() for p in workers)
            assert executor.control.request({"op": "ping"})["ok"]
        finally:
            executor.close()
        assert not any(p.is_alive() for p in workers)
    finally:
        zygote.stop()


def test_only_a_kernel_that_died_before_answering_is_started_again():
    from medai.grader.execute import KERNEL_START_ATTEMPTS, died_at_start

    assert KERNEL_START_ATTEMPTS == 2
    assert died_at_start(RuntimeError("Kernel died before replying to kernel_info"))
    assert not died_at_start(RuntimeError("Kernel died"))  # a kernel that died running a cell is the submission's
    assert not died_at_start(TimeoutError("Kernel didn't respond in 60 seconds"))


def test_the_zygote_preloads_what_the_assignment_and_its_helper_modules_import(tmp_path):
    """Any course: a notebook's imports and those of the helper module it ships (not the helper itself, nor
    what is not installed, nor a relative import)."""
    import nbformat

    from medai.grader.preload import assignment_imports

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("%matplotlib inline\nimport json\nfrom helpers import plot_it"),
                nbformat.v4.new_markdown_cell("import sqlite3"), nbformat.v4.new_code_cell("import no_such_module_x")]
    nbformat.write(nb, tmp_path / "lab.ipynb")
    (tmp_path / "helpers.py").write_text("import csv\nfrom . import sibling\nimport xml.dom\nimport json\n")
    (tmp_path / ".ipynb_checkpoints").mkdir()
    (tmp_path / ".ipynb_checkpoints" / "old.py").write_text("import wave\n")
    assert assignment_imports(tmp_path) == ["json", "csv", "xml.dom"]
