"""Documented entry points work from the environment's own python, without the caller setting PATH (nbgrader runs
`alembic` by name when it creates a gradebook; medai.nbgrader_adapter puts the environment's bin/ first)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import COURSE_YAML, REPO

BARE = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8"}


def run(*args: str, program: str = sys.executable, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([program, *args], env=BARE, cwd=REPO, capture_output=True, text=True, timeout=timeout)


def test_the_cli_runs_with_a_bare_path():
    proc = run("course", "validate", str(COURSE_YAML), program=str(Path(sys.executable).with_name("medai")))
    assert proc.returncode == 0 and "medai101" in proc.stdout, proc.stderr


@pytest.mark.slow
def test_the_progress_benchmark_creates_its_gradebook_with_a_bare_path(tmp_path):
    proc = run("benchmarks/bench_progress.py", "--students", "20", "--keep", str(tmp_path / "kept"))
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "progress" in proc.stdout and "ok" in proc.stdout
