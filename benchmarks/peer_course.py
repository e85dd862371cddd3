"""A course directory medai was not written for, for `bench_grade.py --course-dir`: nbgrader's documented ps1
(tests/peer/nbgrader-ps1, unchanged but for the kernel name) with N submissions: a third the solution, a third
blank, a third with only problem 1's `squares` answered; optionally some stuck in a cell until nbgrader's cell
timeout (30 s by default), computing (`while True: pass`) or waiting (`time.sleep`).

    python benchmarks/peer_course.py DIR [--submissions 20] [--busy-loops 1] [--idle-loops 1]
    sudo python benchmarks/bench_grade.py --course-dir DIR
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
PS1 = REPO / "tests" / "peer" / "nbgrader-ps1"
NOTEBOOKS = ("problem1.ipynb", "problem2.ipynb")
STUCK = {"busy": "def squares(n):\n    while True:\n        pass", "idle": "import time\ntime.sleep(3600)"}


def _answer(nb, grade_id: str, source: str) -> None:
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            cell.source = source


def build(root: Path, *, submissions: int = 20, busy_loops: int = 0, idle_loops: int = 0) -> Path:
    from medai.nbgrader_adapter.config import api as nbgrader_api, load_course_config

    (root / "source" / "ps1").mkdir(parents=True)
    (root / "nbgrader_config.py").write_text("c.CourseDirectory.course_id = 'peer'\n")
    for name in NOTEBOOKS:
        nb = nbformat.read(PS1 / name, as_version=nbformat.NO_CONVERT)
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, root / "source" / "ps1" / name)
    shutil.copy(PS1 / "jupyter.png", root / "source" / "ps1" / "jupyter.png")
    with tempfile.TemporaryDirectory() as tmp:  # the release, generated once to make blank submissions from
        work = Path(tmp) / "course"
        shutil.copytree(root, work)
        config = load_course_config(work)
        config.CourseDirectory.root = str(work)
        result = nbgrader_api(config).generate_assignment("ps1", force=True, create=True)
        if not result["success"]:
            raise SystemExit(result.get("log", "") + (result.get("error") or ""))
        release = {name: nbformat.read(work / "release" / "ps1" / name, as_version=4) for name in NOTEBOOKS}
    source = {name: nbformat.read(root / "source" / "ps1" / name, as_version=4) for name in NOTEBOOKS}
    solved = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in source["problem1.ipynb"].cells}
    stuck = ["busy"] * busy_loops + ["idle"] * idle_loops
    for i in range(submissions):
        kind = ("correct", "blank", "half")[i % 3]
        nbs = {n: nbformat.from_dict(source[n] if kind == "correct" else release[n]) for n in NOTEBOOKS}
        if kind == "half":
            _answer(nbs["problem1.ipynb"], "squares", solved["squares"])
        if i < len(stuck):
            _answer(nbs["problem1.ipynb"], "squares", STUCK[stuck[i]])
        folder = root / "submitted" / f"p{i:03d}" / "ps1"
        folder.mkdir(parents=True)
        for name, nb in nbs.items():
            nbformat.write(nb, folder / name)
        (folder / "timestamp.txt").write_text("2026-09-20 10:00:00.000000 UTC")
    return root


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", type=Path, help="where to write the course directory (must not exist)")
    parser.add_argument("--submissions", type=int, default=20)
    parser.add_argument("--busy-loops", type=int, default=0, help="submissions computing into the cell timeout")
    parser.add_argument("--idle-loops", type=int, default=0, help="submissions waiting into the cell timeout")
    args = parser.parse_args()
    if args.dir.exists():
        parser.error(f"{args.dir} exists")
    build(args.dir, submissions=args.submissions, busy_loops=args.busy_loops, idle_loops=args.idle_loops)
    print(f"{args.dir}: ps1 with {args.submissions} submissions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
