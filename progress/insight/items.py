"""Item analysis of one assignment: which questions work, from nbgrader's student x grade-cell matrix.

Per grade cell (an "item"): difficulty (mean score / max), discrimination as the corrected item-total correlation
(the item against the total of the *other* items) and as the upper-lower index (the top and bottom 27 % of
students by total: difference of their mean item scores, over the item's maximum), and the score distribution;
per assignment: Cronbach's alpha, alpha = k/(k-1) * (1 - sum of item variances / variance of totals) (sample
variances), and the distribution of totals. Students whose submission still waits for a hand grade are left out
of the statistics that need whole rows (alpha, discrimination) and counted.

Flags, each with a plain-language reason (medai.progress.insight.words):
    everyone_fails           no more than EVERYONE_FAILS of the students earned any point: is the test right?
    no_one_fails             at least NO_ONE_FAILS of the students have full marks: it tells students apart by nothing
    negative_discrimination  strong students fail it more than weak ones (corrected r <= NEGATIVE_R)
    few_students             (assignment) fewer than MIN_STUDENTS students: the numbers are noise
"""
from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field

import numpy as np

MIN_STUDENTS = 10
EVERYONE_FAILS = 0.05
NO_ONE_FAILS = 0.95
NEGATIVE_R = -0.1
UPPER_LOWER = 0.27
ATTEMPTS = ("latest", "first")


@dataclass
class Item:
    notebook: str
    cell: str
    cell_type: str
    max_score: float
    n: int  # students with a score for it
    pending: int  # students whose score waits for a hand grade
    mean: float | None
    difficulty: float | None  # mean / max, 0..1 (1: everyone has full marks)
    discrimination: float | None  # corrected item-total correlation
    upper_lower: float | None  # upper-lower 27 % index, -1..1
    scored_any: float | None  # share of students with more than 0 points
    full_marks: float | None  # share of students with full marks
    distribution: dict[str, int] = field(default_factory=dict)  # score -> students
    flags: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.notebook}/{self.cell}"


@dataclass
class ItemAnalysis:
    assignment: str
    attempt: str  # "latest" (what the gradebook holds) or "first" (each student's first graded attempt)
    students: int
    complete: int  # students with every item scored (alpha, discrimination use these)
    max_score: float
    alpha: float | None
    mean_total: float | None
    totals: dict[str, float] = field(default_factory=dict)  # student -> total (complete students)
    items: list[Item] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    resubmitted: int = 0  # students whose first attempt differs from the latest ("first" only)

    def to_dict(self) -> dict:
        return asdict(self)


def _fmt(score: float) -> str:
    return f"{score:g}"


def cronbach_alpha(matrix: np.ndarray) -> float | None:
    """Cronbach's alpha of a students x items matrix (sample variances); None when it is undefined (fewer than
    two items or two students, or totals that do not vary)."""
    n, k = matrix.shape
    if k < 2 or n < 2:
        return None
    total_var = matrix.sum(axis=1).var(ddof=1)
    if total_var == 0:
        return None
    return float(k / (k - 1) * (1 - matrix.var(axis=0, ddof=1).sum() / total_var))


def _correlation(x: np.ndarray, y: np.ndarray) -> float | None:
    if len(x) < 3 or x.std() == 0 or y.std() == 0:
        return None
    return float(np.corrcoef(x, y)[0, 1])


def _upper_lower(item: np.ndarray, totals: np.ndarray, top: float) -> float | None:
    n = len(totals)
    g = max(1, int(round(UPPER_LOWER * n)))
    if n < 2 * g or top <= 0:
        return None
    order = np.argsort(totals, kind="stable")
    return float((item[order[-g:]].mean() - item[order[:g]].mean()) / top)


def analyse(assignment: str, grades, *, order: list[tuple[str, str]] | None = None,
            attempt: str = "latest") -> ItemAnalysis:
    """The item analysis of `grades` (medai.nbgrader_adapter.cells.CellGrade of one assignment); items in `order`
    ((notebook, cell) as in the notebooks), any others after them by name."""
    cells: dict[tuple[str, str], tuple[str, float]] = {}
    scores: dict[str, dict[tuple[str, str], float | None]] = {}
    for g in grades:
        key = (g.notebook, g.cell)
        cells[key] = (g.cell_type, g.max_score)
        scores.setdefault(g.student, {})[key] = g.score
    rank = {key: i for i, key in enumerate(order or [])}
    keys = sorted(cells, key=lambda k: (rank.get(k, len(rank)), k))
    students = sorted(scores)
    complete = [s for s in students if all(scores[s].get(k) is not None for k in keys)]
    matrix = np.array([[scores[s][k] for k in keys] for s in complete], dtype=float).reshape(len(complete), len(keys))
    totals = matrix.sum(axis=1)
    items = []
    for j, key in enumerate(keys):
        kind, top = cells[key]
        given = [scores[s][key] for s in students if scores[s].get(key) is not None]
        pending = sum(1 for s in students if scores[s].get(key) is None)
        n = len(given)
        mean = float(np.mean(given)) if n else None
        rest = totals - matrix[:, j]
        item = Item(
            notebook=key[0], cell=key[1], cell_type=kind, max_score=top, n=n, pending=pending, mean=mean,
            difficulty=(mean / top) if n and top > 0 else None,
            discrimination=_correlation(matrix[:, j], rest) if len(complete) else None,
            upper_lower=_upper_lower(matrix[:, j], totals, top) if len(complete) else None,
            scored_any=sum(v > 0 for v in given) / n if n else None,
            full_marks=sum(v >= top for v in given) / n if n and top > 0 else None,
            distribution={_fmt(v): c for v, c in sorted(Counter(given).items())})
        if item.scored_any is not None and item.scored_any <= EVERYONE_FAILS:
            item.flags.append("everyone_fails")
        elif item.full_marks is not None and item.full_marks >= NO_ONE_FAILS:
            item.flags.append("no_one_fails")
        if item.discrimination is not None and item.discrimination <= NEGATIVE_R:
            item.flags.append("negative_discrimination")
        items.append(item)
    analysis = ItemAnalysis(
        assignment=assignment, attempt=attempt, students=len(students), complete=len(complete),
        max_score=float(sum(cells[k][1] for k in keys)), alpha=cronbach_alpha(matrix),
        mean_total=float(totals.mean()) if len(complete) else None,
        totals={s: float(t) for s, t in zip(complete, totals)}, items=items)
    if len(students) < MIN_STUDENTS:
        analysis.flags.append("few_students")
    if len(complete) < len(students):
        analysis.flags.append("pending_hand_grades")
    return analysis


def notebook_order(locate, assignment: str, notebooks: list[str]) -> list[tuple[str, str]]:
    """(notebook, grade_id) of every grade and task cell, in the released notebooks' order."""
    import nbformat

    from medai.nbgrader_adapter.cells import cell_meta

    out = []
    for name in notebooks:
        path = locate("release", "", assignment, name)
        if not path.is_file():
            continue
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell_meta(cell)
            if meta and (meta.grade or meta.task):
                out.append((name, meta.grade_id))
    return out


def first_attempts(grades, attempts: dict[str, list[dict]]) -> tuple[list, int]:
    """`grades` (the gradebook's, the latest attempt) with the first attempt's scores of every student who
    resubmitted (medai.nbgrader_adapter.attempts); a cell graded by hand on the latest attempt only has no first
    score (None). Returns (grades, students who resubmitted)."""
    from dataclasses import replace

    out, again = [], set()
    for g in grades:
        tries = attempts.get(g.student) or []
        if len(tries) > 1:
            score = tries[0]["cells"].get(f"{g.notebook}/{g.cell}")
            out.append(replace(g, score=None if score is None else float(score), needs_manual_grade=score is None))
            again.add(g.student)
        else:
            out.append(g)
    return out, len(again)


def load_all_items(*, course_dir, db_url: str) -> dict[str, ItemAnalysis]:
    """The item analysis of every assignment in the gradebook (latest attempts), read in one query."""
    from medai.nbgrader_adapter.cells import assignment_names, cell_grades, notebook_locator, notebook_names
    from medai.progress.insight.gradebook import open_gradebook

    with open_gradebook(db_url) as gb:
        names = assignment_names(gb)
        notebooks = {a: notebook_names(gb, a) for a in names}
        grades: dict[str, list] = {a: [] for a in names}
        for g in cell_grades(gb):
            grades[g.assignment].append(g)
    locate = notebook_locator(course_dir)
    return {a: analyse(a, grades[a], order=notebook_order(locate, a, notebooks[a])) for a in names}


def load_items(*, course_dir, db_url: str, assignment: str, attempt: str = "latest") -> ItemAnalysis:
    """The item analysis of `assignment` from the gradebook at `db_url` (read only) and the released notebooks
    of the nbgrader course directory `course_dir`; `attempt` "first": every student's first graded attempt
    (grade on submit keeps each attempt, medai.nbgrader_adapter.attempts), "latest": what the gradebook holds."""
    from medai.nbgrader_adapter.attempts import read_attempts
    from medai.nbgrader_adapter.cells import cell_grades, notebook_locator, notebook_names
    from medai.progress.insight.gradebook import open_gradebook

    if attempt not in ATTEMPTS:
        raise ValueError(f"attempt {attempt!r}: one of {', '.join(ATTEMPTS)}")
    with open_gradebook(db_url, assignment) as gb:
        grades = cell_grades(gb, assignment)
        notebooks = notebook_names(gb, assignment)
    resubmitted = 0
    if attempt == "first":
        grades, resubmitted = first_attempts(grades, read_attempts(course_dir, assignment))
    analysis = analyse(assignment, grades, order=notebook_order(notebook_locator(course_dir), assignment, notebooks),
                       attempt=attempt)
    analysis.resubmitted = resubmitted
    return analysis
