"""Why students fail: per autograded cell, the exceptions its tests raised across students, grouped and counted.

Read from the autograded notebooks nbgrader keeps (`autograded/<student>/<assignment>/<notebook>.ipynb`): the error
output of each autograded grade cell (the test that ran) gives the exception type and message. Messages that
differ only in numbers ("expected 0.5, got 0.43" / "got 0.41") form one group, shown with its most common text.

    12 students: AssertionError: the four cells must add up to all women
     5 students: NameError: name 'ppv' is not defined
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

EXAMPLES = 3  # example submissions shown per group
MESSAGE_CHARS = 300
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class FailureGroup:
    exception: str  # e.g. AssertionError
    message: str  # the most common message of the group, as written
    students: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.students)

    def examples(self, n: int = EXAMPLES) -> list[str]:
        return self.students[:n]


@dataclass
class CellFailures:
    notebook: str
    cell: str
    students: int  # students whose autograded notebook has this cell
    failed: int  # of them, students whose test raised
    groups: list[FailureGroup] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.notebook}/{self.cell}"


@dataclass
class FailureReport:
    assignment: str
    cells: list[CellFailures] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # graded students without an autograded notebook here

    def to_dict(self) -> dict:
        out = asdict(self)
        for cell, raw in zip(self.cells, out["cells"]):
            for group, g in zip(cell.groups, raw["groups"]):
                g["count"] = group.count
        return out


def error_of(cell) -> tuple[str, str] | None:
    """(exception type, message) of a cell's first error output; None when it raised nothing."""
    for out in cell.get("outputs") or ():
        if out.get("output_type") == "error":
            message = _ANSI.sub("", str(out.get("evalue") or "")).strip()
            return str(out.get("ename") or "Error"), message[:MESSAGE_CHARS]
    return None


def group_key(exception: str, message: str) -> tuple[str, str]:
    return exception, _NUMBER.sub("#", message.lower()).strip()


def cell_errors(notebook) -> dict[str, tuple[str, str] | None]:
    """grade_id -> error (or None) of every autograded cell of an executed notebook: the grade cells with code
    (nbgrader's tests, and code answers that are graded themselves)."""
    from medai.nbgrader_adapter.cells import cell_meta

    out = {}
    for cell in notebook.cells:
        meta = cell_meta(cell)
        if meta and meta.grade and meta.cell_type == "code":
            out[meta.grade_id] = error_of(cell)
    return out


def failures_from(assignment: str, executed: dict[tuple[str, str], object],
                  order: list[tuple[str, str]] | None = None) -> FailureReport:
    """The failure groups of `executed`: (student, notebook) -> executed notebook (nbformat)."""
    per_cell: dict[tuple[str, str], dict[tuple[str, str], list[tuple[str, str]]]] = defaultdict(dict)
    seen: Counter = Counter()
    for (student, name), nb in sorted(executed.items()):
        for cell, err in cell_errors(nb).items():
            seen[(name, cell)] += 1
            if err is not None:
                per_cell[(name, cell)].setdefault(group_key(*err), []).append((student, err[1]))
    rank = {key: i for i, key in enumerate(order or [])}
    report = FailureReport(assignment=assignment)
    for key in sorted(seen, key=lambda k: (rank.get(k, len(rank)), k)):
        groups = []
        for (exception, _), members in per_cell.get(key, {}).items():
            message = Counter(m for _, m in members).most_common(1)[0][0]
            groups.append(FailureGroup(exception=exception, message=message,
                                       students=sorted({s for s, _ in members})))
        groups.sort(key=lambda g: (-g.count, g.exception, g.message))
        report.cells.append(CellFailures(notebook=key[0], cell=key[1], students=seen[key],
                                         failed=sum(g.count for g in groups), groups=groups))
    return report


def load_failures(*, course_dir, db_url: str, assignment: str) -> FailureReport:
    """The failure groups of `assignment`: every graded student's autograded notebooks in `course_dir`."""
    import nbformat

    from medai.nbgrader_adapter.cells import gradebook_students, notebook_locator, notebook_names
    from medai.progress.insight.gradebook import open_gradebook
    from medai.progress.insight.items import notebook_order

    with open_gradebook(db_url, assignment) as gb:
        students = gradebook_students(gb, assignment)
        notebooks = notebook_names(gb, assignment)
    locate = notebook_locator(Path(course_dir))
    executed, missing = {}, []
    for student in students:
        found = False
        for name in notebooks:
            path = locate("autograded", student, assignment, name)
            if path.is_file():
                executed[(student, name)] = nbformat.read(path, as_version=4)
                found = True
        if not found:
            missing.append(student)
    report = failures_from(assignment, executed, notebook_order(locate, assignment, notebooks))
    report.missing = missing
    return report
