"""The instructor's insight at scale: 200 students x 11 assignments (issue 17's targets, measured and printed).

    /opt/medai/venv/bin/python benchmarks/bench_insight.py [--students 200] [--assignments 11] [--keep DIR]

Builds an nbgrader course directory: a gradebook (6 grade cells per assignment; bulk inserts through nbgrader's
own ORM classes, so the schema is nbgrader's), the released notebooks, and for the first assignment 200 submitted
notebooks with six answers each (code written from several solution shapes with students' own names, comments
and extra lines, a written answer, five planted copies). Then times, as `medai report items|similarity` run them:
item analysis of every assignment (target <= 2 s for all of them) and similarity of one assignment (<= 30 s).
"""
from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

TARGETS = {"items": 2.0, "similarity": 30.0}
# (grade_id of the answer, its test) per question; "written" is a graded markdown answer
QUESTIONS = [("q1", "t1"), ("q2", "t2"), ("q3", "t3"), ("q4", "t4"), ("q5", "t5")]
SHAPES = [
    "def {f}({a}, {b}):\n    {r} = 0\n    for {x}, {y} in zip({a}, {b}):\n        if {x} == 1 and {y} == 1:\n"
    "            {r} += 1\n    return {r}",
    "import numpy as np\n\ndef {f}({a}, {b}):\n    {x} = np.asarray({a}) == 1\n    {y} = np.asarray({b}) == 1\n"
    "    return int(({x} & {y}).sum())",
    "def {f}({a}, {b}):\n    return sum(1 for {x}, {y} in zip({a}, {b}) if {x} and {y})",
    "def {f}({a}, {b}):\n    {r} = [{x} for {x} in range(len({a})) if {a}[{x}] == 1 and {b}[{x}] == 1]\n"
    "    return len({r})",
    "from collections import Counter\n\ndef {f}({a}, {b}):\n    {r} = Counter(zip({a}, {b}))\n    return {r}[(1, 1)]",
]
EXTRAS = ["    # {c}", "    assert len({a}) == len({b}), 'lengths differ'", "    {y} = None  # {c}",
          "    if not {a}:\n        return 0", "    print(len({a}), len({b}))", "    n_{c1} = len({a})",
          "    {b} = list({b})", "    {a} = [int(v) for v in {a}]", "    if len({a}) != len({b}):\n        raise ValueError('{c}')",
          "    _{c1} = sorted(set({a}))", "    while False:\n        pass", "    log_{c1} = []"]
WORDS = "alpha beta gamma delta count total value item left right truth guess label pred obs est".split()


def uid() -> str:
    return uuid.uuid4().hex


def released_notebook() -> nbformat.NotebookNode:
    cells = []
    for q, t in QUESTIONS:
        cells.append(new_code_cell("# YOUR CODE HERE\nraise NotImplementedError()", metadata={"nbgrader": {
            "grade_id": q, "grade": False, "solution": True, "locked": False, "schema_version": 3}}))
        cells.append(new_code_cell(f"assert {q}_answer is not None", metadata={"nbgrader": {
            "grade_id": t, "grade": True, "solution": False, "locked": True, "points": 2, "schema_version": 3}}))
    cells.append(new_markdown_cell("YOUR ANSWER HERE", metadata={"nbgrader": {
        "grade_id": "written", "grade": True, "solution": True, "locked": False, "points": 2, "schema_version": 3}}))
    return new_notebook(cells=cells)


def answer(rng: random.Random, question: int) -> str:
    names = rng.sample(WORDS, 6)
    shape = SHAPES[(question + rng.randrange(len(SHAPES))) % len(SHAPES)]
    code = shape.format(f=f"{names[0]}_{question}", a=names[1], b=names[2], x=names[3], y=names[4], r=names[5])
    lines = code.split("\n")
    body = next(i for i, line in enumerate(lines) if line.startswith("def ")) + 1
    for extra in rng.sample(EXTRAS, rng.randint(2, 4)):  # each student's own lines, where they put them
        text = extra.format(a=names[1], b=names[2], y=names[4], c=" ".join(rng.sample(WORDS, 3)),
                            c1=rng.choice(WORDS))
        lines.insert(rng.randint(body, max(body, len(lines) - 1)), text)
    return "\n".join(lines) + f"\n\nq{question}_answer = {names[0]}_{question}([1, 0, 1], [1, 1, 1])"


def written(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(15, 40))) + "."


def build(root: Path, n_students: int, n_assignments: int) -> list[str]:
    from nbgrader.api import Assignment, Grade, GradeCell, Notebook, Student, SubmittedAssignment, SubmittedNotebook
    from sqlalchemy import insert

    from medai.nbgrader_adapter.gradebook import gradebook

    rng = random.Random(17)
    root.mkdir(parents=True)
    (root / "nbgrader_config.py").write_text("c.CourseDirectory.course_id = 'bench'\n")
    students = [f"st{i:03d}" for i in range(n_students)]
    assignments = [f"a{i:02d}" for i in range(1, n_assignments + 1)]
    released = released_notebook()
    cell_names = [t for _, t in QUESTIONS] + ["written"]
    with gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        db = gb.db
        db.execute(insert(Student), [{"id": s, "first_name": s, "last_name": "", "email": None} for s in students])
        ids = {a: (uid(), uid()) for a in assignments}
        db.execute(insert(Assignment), [{"id": aid, "name": a, "course_id": "bench"} for a, (aid, _) in ids.items()])
        db.execute(insert(Notebook), [{"id": nid, "name": "nb", "assignment_id": aid} for aid, nid in ids.values()])
        cells = {a: [(uid(), name) for name in cell_names] for a in assignments}
        db.execute(insert(GradeCell), [{"id": cid, "name": name, "notebook_id": ids[a][1], "max_score": 2.0,
                                        "cell_type": "markdown" if name == "written" else "code"}
                                       for a in assignments for cid, name in cells[a]])
        subs, snbs, grades = [], [], []
        ability = {s: rng.uniform(0.2, 1.0) for s in students}
        for a in assignments:
            for s in students:
                sub, snb = uid(), uid()
                subs.append({"id": sub, "assignment_id": ids[a][0], "student_id": s})
                snbs.append({"id": snb, "notebook_id": ids[a][1], "assignment_id": sub})
                for j, (cid, name) in enumerate(cells[a]):
                    score = 2.0 if rng.random() < ability[s] - 0.1 * j else 0.0
                    grades.append({"id": uid(), "cell_id": cid, "notebook_id": snb, "needs_manual_grade": False,
                                   "auto_score": None if name == "written" else score,
                                   "manual_score": score if name == "written" else None})
        db.execute(insert(SubmittedAssignment), subs)
        db.execute(insert(SubmittedNotebook), snbs)
        db.execute(insert(Grade), grades)
        db.commit()
    for a in assignments:
        (root / "release" / a).mkdir(parents=True)
        nbformat.write(released, root / "release" / a / "nb.ipynb")
    copies = {b: a for a, b in planted(n_students)}  # five planted copies
    answers = {}
    for s in students:
        source = copies.get(s)
        answers[s] = answers[source] if source else [answer(rng, q) for q in range(len(QUESTIONS))] + [written(rng)]
        nb = nbformat.from_dict(released)
        mine = iter(answers[s])
        for cell in nb.cells:
            if cell.metadata["nbgrader"]["solution"]:
                cell.source = next(mine)
        folder = root / "submitted" / s / assignments[0]
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / "nb.ipynb")
    return assignments


def planted(n_students: int) -> set[tuple[str, str]]:
    return {(f"st{i:03d}", f"st{i + 1:03d}") for i in range(0, min(10, n_students - 1), 2)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--assignments", type=int, default=11)
    parser.add_argument("--keep", metavar="DIR", help="build the course there and keep it")
    args = parser.parse_args()
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="medai-bench-insight-"))
    try:
        t = time.perf_counter()
        assignments = build(base / "course", args.students, args.assignments)
        print(f"built {args.students} students x {len(assignments)} assignments in {time.perf_counter() - t:.1f} s")
        from medai.progress.insight.items import load_all_items, load_items
        from medai.progress.insight.similarity import load_similarity

        where = {"course_dir": base / "course", "db_url": f"sqlite:///{base / 'course' / 'gradebook.db'}"}
        t = time.perf_counter()
        analyses = load_all_items(**where)
        items = time.perf_counter() - t
        alphas = ", ".join(f"{x.alpha:.2f}" for x in list(analyses.values())[:3])
        print(f"item analysis, all {len(analyses)} assignments (the instructor's page): {items:.2f} s "
              f"(alpha {alphas}, ...)  target <= {TARGETS['items']} s")
        t = time.perf_counter()
        for a in assignments:
            assert load_items(**where, assignment=a).alpha == analyses[a].alpha
        each = time.perf_counter() - t
        print(f"item analysis, one assignment at a time (`medai report items`, gradebook opened each time): "
              f"{each:.2f} s for {len(assignments)} ({each / len(assignments) * 1000:.0f} ms each)")
        t = time.perf_counter()
        report = load_similarity(**where, assignment=assignments[0])
        similarity = time.perf_counter() - t
        pairs = sum(q["answers"] * (q["answers"] - 1) // 2 for q in report.questions)
        over = sum(q["pairs"] for q in report.questions)
        top = [(p.left.student, p.right.student, p.score) for p in report.pairs[:5]]
        print(f"similarity of {assignments[0]} (`medai report similarity`, the page): {similarity:.2f} s "
              f"({len(report.questions)} questions, {pairs} pairs compared, {over} at or over the threshold, "
              f"{len(report.pairs)} listed; top: {top})  target <= {TARGETS['similarity']} s")
        copied = planted(args.students)
        flags = ["copy" if (p.left.student, p.right.student) in copied else "other" for p in report.pairs]
        first_other = flags.index("other") + 1 if "other" in flags else None
        print(f"  planted copies: {len(copied)} pairs x {len(report.questions)} answers; in the listed "
              f"{len(flags)}: {flags.count('copy')} copies; first pair not planted at rank {first_other}"
              + (f" (score {report.pairs[first_other - 1].score}, {report.pairs[first_other - 1].question})"
                 if first_other else ""))
        t = time.perf_counter()
        every = load_similarity(**where, assignment=assignments[0], top=None)
        print(f"similarity of {assignments[0]}, every pair over the threshold compared exactly (--top 0): "
              f"{time.perf_counter() - t:.2f} s ({len(every.pairs)} listed)")
        ok = items <= TARGETS["items"] and similarity <= TARGETS["similarity"]
        print("PASS" if ok else "OVER TARGET")
        return 0 if ok else 1
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
