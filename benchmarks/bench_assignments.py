"""Runtime of every assignment's reference solution (course.yaml), executed with nbclient as a student's
kernel would run it, against its limit (60 s on this 2-core CPU machine; 120 s for torch/MONAI ones).

    /opt/medai/venv/bin/python benchmarks/bench_assignments.py [--course course/course.yaml]
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import yaml
from nbclient import NotebookClient

from medai.course import load_course

REPO = Path(__file__).resolve().parent.parent
LIMIT = {"cpu": 60, "gpu-class": 120}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--course", default=str(REPO / "course" / "course.yaml"))
    args = parser.parse_args()
    os.environ["PATH"] = f"{Path(sys.executable).parent}:{os.environ['PATH']}"
    course = load_course(args.course)
    print(f"{'assignment':<34} {'notebook':<28} {'seconds':>8} {'limit':>6}  verdict")
    worst = 0
    for item in course.assignments:
        spec = yaml.safe_load((REPO / "tests" / "mistakes" / f"{item.id}.yaml").read_text(encoding="utf-8"))
        limit = LIMIT[spec.get("runtime", "cpu")]
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp) / item.id
            shutil.copytree(course.resolved_assignments_dir / item.id, work)
            nb = nbformat.read(work / f"{spec['notebook']}.ipynb", as_version=4)
            started = time.perf_counter()
            NotebookClient(nb, timeout=course.course.cell_timeout_seconds, kernel_name="python3",
                           resources={"metadata": {"path": str(work)}}).execute()
            seconds = time.perf_counter() - started
        verdict = "ok" if seconds <= limit else "TOO SLOW"
        worst = max(worst, seconds / limit)
        print(f"{item.id:<34} {spec['notebook']:<28} {seconds:8.1f} {limit:6d}  {verdict}")
    print(f"worst: {worst:.0%} of its limit")
    return 0 if worst <= 1 else 1


if __name__ == "__main__":
    sys.exit(main())
