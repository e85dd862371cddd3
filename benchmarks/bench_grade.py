"""`medai grade` against stock `nbgrader autograde` on the same batch, and both against raw nbclient.

One course directory with the course's assignment(s) is generated once; N submissions per assignment (a
third correct, a third with the typical wrong answers of tests/mistakes/<id>.yaml, a third blank) are copied
into two identical course directories. Then, on the same machine:

  stock   `nbgrader autograde ASSIGNMENT --force` (one process, one notebook after another; the deployment's
          own setting Execute.shutdown_kernel=immediate, which makes stock faster, see STACK-NOTES gotcha 4)
  medai   `medai grade ASSIGNMENT --force --no-feedback --workers W` (sandboxed when root)
  raw     every sanitized notebook executed once with plain nbclient (a fresh kernel each, nothing else)
  floor   the students' cells alone: the execution time of every code cell in raw's already started kernels
          (nbclient's own per-cell timing), divided by the CPU count: what no grader can beat on this machine
  own cells  the cells' execution time in medai's own kernels (nbclient's timing in its autograded notebooks),
          divided by the CPU count: what the students' code cost there, imports preloaded, two kernels sharing
          two cores; the rest of medai's wall time is start-up and bookkeeping
  critical path  the cells of the longest single notebook (printed when it exceeds the floor, e.g. a notebook
          whose cells run one after another into the cell timeout): a notebook's cells run in order, so no
          grader that keeps stock's cell timeout finishes sooner

and it prints both wall times, the throughput ratio, whether every grade cell scored the same in both
gradebooks, the per-notebook overhead of each grader over raw execution (wall time x workers / notebooks,
minus raw time / notebooks: what grading costs on top of running the code, per CPU slot), and how far each
grader is from the floor.

With `--course-dir DIR` it runs on any nbgrader course directory instead (a course it was not written for):
DIR's nbgrader_config.py, source/ (generated again into a fresh gradebook) and submitted/ are copied, and every
assignment with submissions is graded (or those named with --assignment); DIR itself is not changed.

    sudo /opt/medai/venv/bin/python benchmarks/bench_grade.py [--submissions 40] [--workers 2]
    sudo /opt/medai/venv/bin/python benchmarks/bench_grade.py --course-dir ~/other-course [--workers 2]
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
    (root / "source").mkdir(parents=True)
    (root / "nbgrader_config.py").write_text("c.CourseDirectory.course_id = 'bench'\n"
                                             "c.Execute.timeout = 120\nc.Execute.shutdown_kernel = 'immediate'\n")
    for aid in assignments:
        shutil.copytree(REPO / "assignments" / aid, root / "source" / aid)
    generate_all(root, assignments)


def generate_all(root: Path, assignments: list[str]) -> None:
    """nbgrader generate_assignment for each, into the course directory's own gradebook."""
    from medai.nbgrader_adapter.config import api as nbgrader_api, load_course_config

    config = load_course_config(root)
    config.CourseDirectory.root = str(root)
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


def copy_course(source: Path, root: Path, only: list[str] | None) -> tuple[list[str], dict]:
    """Another course directory, copied (config, source, submissions), generated again into a new gradebook."""
    if not (source / "source").is_dir() or not (source / "submitted").is_dir():
        raise SystemExit(f"{source}: an nbgrader course directory needs source/ and submitted/")
    root.mkdir(parents=True)
    config = source / "nbgrader_config.py"
    text = config.read_text(encoding="utf-8") if config.is_file() else "c.CourseDirectory.course_id = 'bench'\n"
    # the deployment's own setting (STACK-NOTES gotcha 4): makes stock faster, changes no score
    (root / "nbgrader_config.py").write_text(text + "\nc.Execute.shutdown_kernel = 'immediate'\n", encoding="utf-8")
    for name in ("source", "submitted"):
        shutil.copytree(source / name, root / name, symlinks=True)
    for extra in source.iterdir():  # files a course keeps beside them (helper modules, data)
        if extra.is_file() and extra.name not in ("nbgrader_config.py", "gradebook.db"):
            shutil.copy2(extra, root / extra.name)
    found = sorted({p.name for p in (root / "submitted").glob("*/*") if p.is_dir()})
    assignments = [a for a in found if not only or a in only]
    if not assignments:
        raise SystemExit(f"{source}: no submissions of {', '.join(only) if only else 'any assignment'}")
    generate_all(root, assignments)
    kinds = {aid: [p.parent.name for p in (root / "submitted").glob(f"*/{aid}")] for aid in assignments}
    return assignments, kinds


def course_id(root: Path) -> str:
    from medai.nbgrader_adapter.config import load_course_config

    return load_course_config(root).CourseDirectory.course_id


def timed(cmd: list[str], cwd: Path) -> float:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return seconds


def cell_seconds(nb) -> float:
    """The code cells' execution time, from nbclient's own timing (execute_input to execute_reply)."""
    import datetime as dt

    total = 0.0
    for cell in nb.cells:
        timing = cell.get("metadata", {}).get("execution", {})
        start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
        if cell.cell_type == "code" and start and end:
            total += (dt.datetime.fromisoformat(end.replace("Z", "+00:00"))
                      - dt.datetime.fromisoformat(start.replace("Z", "+00:00"))).total_seconds()
    return total


def graded_cell_seconds(root: Path) -> float:
    """The cells' execution time in the notebooks a grader left in autograded/ (nbclient's timing, kept there)."""
    return sum(cell_seconds(nbformat.read(path, as_version=4)) for path in sorted(root.glob("autograded/*/*/*.ipynb")))


def raw_nbclient(root: Path, assignments: list[str]) -> tuple[float, int, float, float]:
    """Execute each sanitized notebook (stock's autograded copy, outputs cleared) with nbclient alone: (wall
    seconds, notebooks, seconds of the cells alone, seconds of the cells of the longest notebook)."""
    from nbclient import NotebookClient

    from medai.nbgrader_adapter.config import load_course_config

    execute = load_course_config(root).Execute  # the course's cell timeout, interrupted there as nbgrader does
    timeout = execute.timeout if "timeout" in execute else 30
    total, count, cells, longest = 0.0, 0, 0.0, 0.0
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
                client = NotebookClient(nb, timeout=timeout, kernel_name="python3", shutdown_kernel="immediate",
                                        allow_errors=True, record_timing=True, interrupt_on_timeout=True,
                                        resources={"metadata": {"path": str(work)}})
                client.execute()
                total += time.perf_counter() - started
                seconds = cell_seconds(nb)
                cells, longest, count = cells + seconds, max(longest, seconds), count + 1
    return total, count, cells, longest


def scores(root: Path) -> dict:
    from medai.nbgrader_adapter.gradebook import gradebook

    out = {}
    with gradebook(f"sqlite:///{root / 'gradebook.db'}", course_id(root)) as gb:
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
    parser.add_argument("--standby", action="store_true",
                        help="medai grade --standby (spare slots with kernels started ahead: to measure what they bring)")
    parser.add_argument("--course-dir", type=Path, metavar="DIR",
                        help="grade the submissions of this nbgrader course directory instead (copied, not changed)")
    args = parser.parse_args()
    os.environ["PATH"] = f"{BIN}{os.pathsep}{os.environ['PATH']}"
    assignments = args.assignment or ["c02-diagnostic-metrics"]
    base = Path(tempfile.mkdtemp(prefix="medai-bench-", dir="/tmp"))
    base.chmod(0o755)
    try:
        template = base / "template"
        if args.course_dir:
            assignments, kinds = copy_course(args.course_dir.resolve(), template, args.assignment)
        else:
            generate(template, assignments)
            kinds = {aid: submissions(template, aid, args.submissions) for aid in assignments}
        stock, ours = base / "stock", base / "medai"
        shutil.copytree(template, stock)
        shutil.copytree(template, ours)
        n = sum(len(k) for k in kinds.values())
        mix = ({"from": str(args.course_dir)} if args.course_dir else
               {k: sum(v.count(k) for v in kinds.values()) for k in ("correct", "wrong", "blank")})
        print(f"batch: {n} submissions of {', '.join(assignments)} ({mix}); {os.cpu_count()} CPUs")

        t_stock = sum(timed([str(BIN / "nbgrader"), "autograde", aid, "--force"], stock) for aid in assignments)
        medai = [str(BIN / "medai"), "grade", "--course-dir", str(ours), "--force", "--no-feedback", "--quiet",
                 "--no-collect", "--workers", str(args.workers)] + (["--unsafe"] if args.unsafe else []) + (
                    ["--standby"] if args.standby else [])
        t_medai = sum(timed([*medai, aid], base) for aid in assignments)
        print(f"stock nbgrader autograde: {t_stock:7.1f} s  ({n / t_stock:.2f} submissions/s)")
        print(f"medai grade (workers={args.workers}): {t_medai:7.1f} s  ({n / t_medai:.2f} submissions/s)", flush=True)
        t_raw, notebooks, t_cells, t_longest = raw_nbclient(stock, assignments)
        cores = os.cpu_count() or 1
        floor = t_cells / cores

        same = scores(stock) == scores(ours)
        print(f"raw nbclient, serial:     {t_raw:7.1f} s  ({notebooks} notebooks, {t_raw / notebooks:.2f} s each)")
        print(f"throughput ratio medai/stock: {t_stock / t_medai:.2f}x   identical scores: {same} "
              f"({len(scores(stock))} grade cells)")
        print(f"overhead per notebook over raw nbclient: stock {(t_stock - t_raw) / notebooks:+.2f} s, "
              f"medai {(t_medai * args.workers - t_raw) / notebooks:+.2f} s per CPU slot "
              f"(negative: faster than raw, the zygote skips kernel start-up and imports)")
        print(f"floor (the cells alone in started kernels, {t_cells:.1f} s / {cores} cores): {floor:7.1f} s   "
              f"medai {t_medai / floor:.2f}x the floor, stock {t_stock / floor:.2f}x" if floor > 0 else
              "floor: no cell timing recorded")
        own = graded_cell_seconds(ours) / cores
        if own > 0:  # what the students' code itself cost in medai's own (preloaded, parallel) kernels
            print(f"medai's own cells (its preloaded kernels, nbclient's timing, {own * cores:.1f} s / {cores} cores): "
                  f"{own:7.1f} s   medai {t_medai / own:.2f}x them; a grader costing nothing but those cells "
                  f"would be {t_stock / own:.2f}x stock")
        if t_longest > floor > 0:  # one notebook's cells run in order: no scheduler finishes before they do
            print(f"critical path (the longest notebook's cells, {t_longest:.1f} s) exceeds the floor: "
                  f"medai {t_medai / t_longest:.2f}x it; no grader keeping stock's cell timeout can beat stock by "
                  f"more than {t_stock / t_longest:.2f}x on this batch")
        return 0 if same else 1
    finally:
        if args.keep:
            print(f"kept: {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
