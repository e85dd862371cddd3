"""`medai grade` against stock `nbgrader autograde` on the same batch, and both against raw nbclient.

One course directory with the course's assignment(s) is generated once; N submissions per assignment (a
third correct, a third with the typical wrong answers of tests/mistakes/<id>.yaml, a third blank) are copied
into two identical course directories. Then, on the same machine:

  stock   `nbgrader autograde ASSIGNMENT --force` (one process, one notebook after another; the deployment's
          own setting Execute.shutdown_kernel=immediate, which makes stock faster, see STACK-NOTES gotcha 4)
  medai   `medai grade ASSIGNMENT --force --no-feedback --workers W` (sandboxed when root)
  raw     every sanitized notebook executed once with plain nbclient (a fresh kernel each, nothing else):
          the floor that any grader must pay for running the students' code

and it prints both wall times, the throughput ratio, whether every grade cell scored the same in both
gradebooks, and the per-notebook overhead of each grader over raw execution (wall time x workers / notebooks,
minus raw time / notebooks: what grading costs on top of running the code, per CPU slot).

    sudo /opt/medai/venv/bin/python benchmarks/bench_grade.py [--submissions 40] [--workers 2]
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import yaml

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def generate(root: Path, assignments: list[str]) -> None:
    from traitlets.config import Config

    from medai.nbgrader_adapter.config import api as nbgrader_api

    (root / "source").mkdir(parents=True)
    (root / "nbgrader_config.py").write_text("c.CourseDirectory.course_id = 'bench'\n"
                                             "c.Execute.timeout = 120\nc.Execute.shutdown_kernel = 'immediate'\n")
    for aid in assignments:
        shutil.copytree(REPO / "assignments" / aid, root / "source" / aid)
    config = Config()
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.course_id = "bench"
    api = nbgrader_api(config)
    for aid in assignments:
        result = api.generate_assignment(aid, force=True, create=True)
        if not result["success"]:
            raise SystemExit(result.get("log", "") + (result.get("error") or ""))


def submissions(root: Path, aid: str, count: int) -> list[str]:
    spec = yaml.safe_load((REPO / "tests" / "mistakes" / f"{aid}.yaml").read_text(encoding="utf-8"))
    name = f"{spec['notebook']}.ipynb"
    source = nbformat.read(root / "source" / aid / name, as_version=4)
    blank = nbformat.read(root / "release" / aid / name, as_version=4)
    rng = random.Random(2026)
    kinds = []
    for i in range(count):
        kind = ("correct", "wrong", "blank")[i % 3]
        nb = nbformat.from_dict(blank if kind == "blank" else source)
        if kind == "wrong":
            mistake = rng.choice(spec["mistakes"])
            (cell,) = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == mistake["cell"]]
            cell.source = cell.source.replace(mistake["replace"], mistake["with"])
        folder = root / "submitted" / f"s{i:03d}" / aid
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / name)
        (folder / "timestamp.txt").write_text("2026-09-20 10:00:00.000000 UTC")
        kinds.append(kind)
    return kinds


def timed(cmd: list[str], cwd: Path) -> float:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return seconds


def raw_nbclient(root: Path, assignments: list[str]) -> tuple[float, int]:
    """Execute each sanitized notebook (stock's autograded copy, outputs cleared) with nbclient alone."""
    from nbclient import NotebookClient

    total, count = 0.0, 0
    for folder in sorted((root / "autograded").glob("*/*")):
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp) / folder.name
            shutil.copytree(folder, work)
            for path in sorted(work.glob("*.ipynb")):
                nb = nbformat.read(path, as_version=4)
                for cell in nb.cells:
                    if cell.cell_type == "code":
                        cell.outputs, cell.execution_count = [], None
                started = time.perf_counter()
                NotebookClient(nb, timeout=120, kernel_name="python3", shutdown_kernel="immediate",
                               allow_errors=True, resources={"metadata": {"path": str(work)}}).execute()
                total += time.perf_counter() - started
                count += 1
    return total, count


def scores(root: Path) -> dict:
    from medai.nbgrader_adapter.gradebook import gradebook

    out = {}
    with gradebook(f"sqlite:///{root / 'gradebook.db'}", "bench") as gb:
        for assignment in gb.assignments:
            for nb in assignment.notebooks:
                for snb in nb.submissions:
                    for g in snb.grades:
                        out[(assignment.name, snb.student.id, nb.name, g.name)] = (g.score, g.needs_manual_grade)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", action="append", help="assignment id(s) (default c02-diagnostic-metrics)")
    parser.add_argument("--submissions", type=int, default=40, help="submissions per assignment (default 40)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--unsafe", action="store_true", help="medai grade --unsafe (no root here)")
    parser.add_argument("--keep", action="store_true", help="keep the course directories")
    args = parser.parse_args()
    os.environ["PATH"] = f"{BIN}{os.pathsep}{os.environ['PATH']}"
    assignments = args.assignment or ["c02-diagnostic-metrics"]
    base = Path(tempfile.mkdtemp(prefix="medai-bench-", dir="/tmp"))
    base.chmod(0o755)
    try:
        template = base / "template"
        generate(template, assignments)
        kinds = {aid: submissions(template, aid, args.submissions) for aid in assignments}
        stock, ours = base / "stock", base / "medai"
        shutil.copytree(template, stock)
        shutil.copytree(template, ours)
        n = sum(len(k) for k in kinds.values())
        mix = {k: sum(v.count(k) for v in kinds.values()) for k in ("correct", "wrong", "blank")}
        print(f"batch: {n} submissions of {', '.join(assignments)} ({mix}); {os.cpu_count()} CPUs")

        t_stock = sum(timed([str(BIN / "nbgrader"), "autograde", aid, "--force"], stock) for aid in assignments)
        medai = [str(BIN / "medai"), "grade", "--course-dir", str(ours), "--force", "--no-feedback", "--quiet",
                 "--no-collect", "--workers", str(args.workers)] + (["--unsafe"] if args.unsafe else [])
        t_medai = sum(timed([*medai, aid], base) for aid in assignments)
        t_raw, notebooks = raw_nbclient(stock, assignments)

        same = scores(stock) == scores(ours)
        print(f"stock nbgrader autograde: {t_stock:7.1f} s  ({n / t_stock:.2f} submissions/s)")
        print(f"medai grade (workers={args.workers}): {t_medai:7.1f} s  ({n / t_medai:.2f} submissions/s)")
        print(f"raw nbclient, serial:     {t_raw:7.1f} s  ({notebooks} notebooks, {t_raw / notebooks:.2f} s each)")
        print(f"throughput ratio medai/stock: {t_stock / t_medai:.2f}x   identical scores: {same} "
              f"({len(scores(stock))} grade cells)")
        print(f"overhead per notebook over raw nbclient: stock {(t_stock - t_raw) / notebooks:+.2f} s, "
              f"medai {(t_medai * args.workers - t_raw) / notebooks:+.2f} s per CPU slot "
              f"(negative: faster than raw, the zygote skips kernel start-up and imports)")
        return 0 if same else 1
    finally:
        if args.keep:
            print(f"kept: {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
