"""Which submissions look alike, question by question: a list to look at, never an accusation.

A question is the solution cells of one grade cell (the answer cells before a test cell, or a graded answer
cell itself), matched across students by nbgrader's grade_id, so cell order does not matter. Code is compared
with copydetect's tokenise-and-winnow fingerprints (Pygments tokens; identifiers, function and class names and
strings replaced by one letter each, number literals by 0; comments and whitespace dropped), written answers as
text (lower case, whitespace collapsed). Fingerprints of the released starter code are removed, and so are those that most of the
class shares (what everyone writes says nothing of two students). Each pair's score is the mean of the two
shares of their fingerprinted text found in the other; the matching parts come back as spans of each raw answer
for a side-by-side view.

An answer that is short once normalised (SHORT_CHARS: a one-line function, a sentence) or has few fingerprints
left (SHORT_FINGERPRINTS) is "short": agreement is expected there, its pairs are
marked so and ranked after every other pair, or (by default) only counted per question, so trivial questions do not
flood the list.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

CODE_K, CODE_WINDOW = 12, 4  # k-gram length over the filtered code, winnowing window
TEXT_K, TEXT_WINDOW = 20, 5
SHORT_FINGERPRINTS = 6
SHORT_CHARS = {"code": 60, "text": 100}  # filtered code (identifiers one letter, no spaces) / normalised text
COMMON_SHARE = 0.5  # fingerprints in more than this share of the answers (and at least COMMON_MIN) are dropped
COMMON_MIN = 4
MIN_SCORE = 0.3  # pairs below this are not listed
DEFAULT_TOP = 50


@dataclass
class Question:
    notebook: str
    grade_id: str  # the grade cell the answer is for
    cells: list[str]  # the answer cells' grade_ids
    kind: str  # "code" or "text"
    starter: str = ""

    @property
    def key(self) -> str:
        return f"{self.notebook}/{self.grade_id}"


@dataclass
class Side:
    student: str
    text: str
    spans: list[tuple[int, int]]  # [start, end) of the matching parts in `text`
    share: float  # share of this answer found in the other


@dataclass
class Pair:
    question: str
    kind: str
    score: float
    short: bool
    left: Side
    right: Side


@dataclass
class SimilarityReport:
    assignment: str
    questions: list[dict] = field(default_factory=list)  # key, kind, answers compared, short answers, pairs compared
    pairs: list[Pair] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def questions_of(notebook_name: str, notebook) -> list[Question]:
    """The questions of a released notebook, in order."""
    from medai.nbgrader_adapter.cells import cell_meta

    out: list[Question] = []
    pending: list[tuple[str, str, str]] = []  # (grade_id, cell type, starter)

    def close(grade_id: str) -> None:
        kinds = {kind for _, kind, _ in pending}
        out.append(Question(notebook=notebook_name, grade_id=grade_id, cells=[g for g, _, _ in pending],
                            kind="text" if kinds == {"markdown"} else "code",
                            starter="\n".join(s for _, _, s in pending)))
        pending.clear()

    for cell in notebook.cells:
        meta = cell_meta(cell)
        if meta is None:
            continue
        if meta.solution and meta.grade:  # a graded answer: a question of its own
            if pending:
                close(pending[-1][0])
            pending.append((meta.grade_id, meta.cell_type, cell.source))
            close(meta.grade_id)
        elif meta.solution:
            pending.append((meta.grade_id, meta.cell_type, cell.source))
        elif meta.grade and pending:  # the test of the answers before it
            close(meta.grade_id)
    if pending:
        close(pending[-1][0])
    return out


def normalise_text(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower()).strip()


@dataclass
class Fingerprint:
    """What copydetect's compare_files reads of a CodeFingerprint: the filtered text and the offsets back to the
    raw one, the winnowed hashes and where they are, the k-gram length and the tokens they cover."""

    raw_code: str
    filtered_code: str
    offsets: object  # numpy array of [filtered index, characters removed before it]
    k: int
    hashes: set = field(default_factory=set)
    hash_idx: dict = field(default_factory=dict)
    token_coverage: float = 0.0


@lru_cache(maxsize=1)
def _python_lexer():
    from pygments.lexers import PythonLexer

    return PythonLexer()


def filter_python(code: str):
    """copydetect's filter_code for Python, with number literals read alike: identifiers -> V, function names -> F,
    class names -> O, strings -> S, numbers -> 0, comments and whitespace dropped; offsets as copydetect keeps
    them. Lexed once with positions (Pygments' unprocessed tokens), so the offsets point into `code` itself."""
    import numpy as np
    from pygments import token

    variables = {token.Name, token.Name.Variable, token.Name.Attribute}
    out: list[str] = []
    length, offset, offsets = 0, 0, [[0, 0]]
    for _, kind, value in _python_lexer().get_tokens_unprocessed(code):
        if kind in token.Text or kind in token.Comment and kind not in (token.Comment.Preproc, token.Comment.Hashbang):
            offsets.append([length - 1, offset])
            offset += len(value)
            continue
        if kind in variables:
            letter = "V"
        elif kind in token.Name.Function:
            letter = "F"
        elif kind in token.Name.Class:
            letter = "O"
        elif kind in (token.Comment.Preproc, token.Comment.Hashbang):
            letter = "P"
        elif kind in token.Literal.String and value not in ("'", '"'):
            letter = "S"
        elif kind in token.Literal.Number:
            letter = "0"
        else:
            out.append(value)
            length += len(value)
            continue
        out.append(letter)
        length += 1
        offsets.append([length - 1, offset])
        offset += len(value) - 1
    return "".join(out), np.array(offsets)


def _fingerprint(text: str, kind: str) -> Fingerprint:
    """An answer's fingerprint, as copydetect's CodeFingerprint makes it (its k-gram hashing, winnowing and
    coverage), from Python filtered by filter_python or from text as it is."""
    import numpy as np
    from copydetect.utils import get_document_fingerprints, get_token_coverage

    if kind == "code":
        filtered, offsets = filter_python(text)
        k, window = CODE_K, CODE_WINDOW
    else:
        filtered, offsets, k, window = text, np.array([]), TEXT_K, TEXT_WINDOW
    hashes, idx = get_document_fingerprints(filtered, k, window)
    return Fingerprint(raw_code=text, filtered_code=filtered, offsets=offsets, k=k, hashes=hashes, hash_idx=idx,
                       token_coverage=get_token_coverage(idx, k, len(filtered)))


def _drop(fp, hashes: set) -> None:
    """Remove `hashes` from a fingerprint (starter code, what the class shares), as copydetect's boilerplate."""
    from copydetect.utils import get_token_coverage

    if not hashes & fp.hashes:
        return
    fp.hashes = fp.hashes - hashes
    fp.hash_idx = {h: i for h, i in fp.hash_idx.items() if h not in hashes}
    fp.token_coverage = get_token_coverage(fp.hash_idx, fp.k, len(fp.filtered_code))


def _spans(slices) -> list[tuple[int, int]]:
    if len(slices) == 0 or len(slices[0]) == 0:
        return []
    return [(int(a), int(b)) for a, b in zip(slices[0], slices[1])]


def compare_question(question: Question, answers: dict[str, str], *, min_score: float = MIN_SCORE,
                     limit: int | None = None, include_short: bool = True) -> tuple[dict, list[Pair]]:
    """Every pair of `answers` (student -> raw answer) to one question; (summary, pairs at or over `min_score`).

    Every pair is first measured by its shared fingerprints (a set intersection); copydetect's exact comparison
    (score and matching spans) runs only for the `limit` pairs that share the most (all when None), short
    answers' pairs only with `include_short`. The summary counts every pair whose shared fingerprints reach
    `min_score` of the smaller answer's."""
    from copydetect.detector import compare_files

    starter = _fingerprint(question.starter, question.kind).hashes if question.starter.strip() else set()
    fps, blank = {}, 0
    for student, text in sorted(answers.items()):
        raw = text if question.kind == "code" else normalise_text(text)
        try:
            fp = _fingerprint(raw, question.kind)
        except Exception:  # noqa: BLE001 - an answer Pygments cannot read is compared as text
            fp = _fingerprint(normalise_text(raw), "text")
        _drop(fp, starter)
        if fp.hashes:
            fps[student] = fp
        else:
            blank += 1
    counts = Counter(h for fp in fps.values() for h in fp.hashes)
    common_limit = max(COMMON_MIN, COMMON_SHARE * len(fps))
    common = {h for h, c in counts.items() if c > common_limit}
    for fp in fps.values():
        _drop(fp, common)
    students = sorted(s for s, fp in fps.items() if fp.hashes)
    short = {s for s in students if len(fps[s].hashes) < SHORT_FINGERPRINTS
             or len(fps[s].filtered_code.strip()) < SHORT_CHARS[question.kind]}
    candidates = []  # (is short, -estimate, a, b)
    for i, a in enumerate(students):
        ha = fps[a].hashes
        for b in students[i + 1:]:
            hb = fps[b].hashes
            shared = len(ha & hb)
            if not shared or shared / min(len(ha), len(hb)) < min_score:
                continue  # cannot reach min_score
            candidates.append((a in short or b in short, -(shared / len(ha) + shared / len(hb)) / 2, a, b))
    candidates.sort()
    chosen = [c for c in candidates if include_short or not c[0]]
    pairs = []
    for is_short, _, a, b in chosen if limit is None else chosen[:limit]:
        _, (sa, sb), (la, lb) = compare_files(fps[a], fps[b])
        score = float((sa + sb) / 2)
        if score >= min_score:
            pairs.append(Pair(question=question.key, kind=question.kind, score=round(score, 4), short=is_short,
                              left=Side(a, fps[a].raw_code, _spans(la), round(float(sa), 4)),
                              right=Side(b, fps[b].raw_code, _spans(lb), round(float(sb), 4))))
    # answers: students who wrote more than the starter code; compared: of them, those with something of their
    # own once what most of the class writes is set aside
    summary = {"question": question.key, "kind": question.kind, "answers": len(fps), "blank": blank,
               "compared": len(students), "short": len(short), "pairs": len(candidates),
               "short_pairs": sum(c[0] for c in candidates)}
    return summary, pairs


def ranked(pairs: list[Pair], top: int | None = DEFAULT_TOP) -> list[Pair]:
    """Short answers' pairs after all others, then the highest score first."""
    out = sorted(pairs, key=lambda p: (p.short, -p.score, p.question, p.left.student, p.right.student))
    return out if top is None else out[:top]


def answers_of(notebook, question: Question) -> str:
    """A student's answer to `question` in their notebook: the answer cells' sources, by grade_id."""
    from medai.nbgrader_adapter.cells import cell_meta

    wanted = set(question.cells)
    found = {}
    for cell in notebook.cells:
        meta = cell_meta(cell)
        if meta and meta.grade_id in wanted:
            found[meta.grade_id] = cell.source
    return "\n".join(found[g] for g in question.cells if g in found)


def load_similarity(*, course_dir, db_url: str, assignment: str, top: int | None = DEFAULT_TOP,
                    min_score: float = MIN_SCORE, include_short: bool = False) -> SimilarityReport:
    """The ranked pairs of `assignment`: every graded student's submitted notebooks in `course_dir`, question by
    question, against the released notebooks. Pairs of short answers are only counted (each question's
    "short_pairs"), unless `include_short`: then they are listed after all the others."""
    import nbformat

    from medai.nbgrader_adapter.cells import gradebook_students, notebook_locator, notebook_names
    from medai.progress.insight.gradebook import open_gradebook

    with open_gradebook(db_url, assignment) as gb:
        students = gradebook_students(gb, assignment)
        notebooks = notebook_names(gb, assignment)
    locate = notebook_locator(Path(course_dir))
    report = SimilarityReport(assignment=assignment)
    pairs: list[Pair] = []
    for name in notebooks:
        released = locate("release", "", assignment, name)
        if not released.is_file():
            continue
        questions = questions_of(name, nbformat.read(released, as_version=4))
        submitted = {}
        for student in students:
            path = locate("submitted", student, assignment, name)
            if path.is_file():
                try:
                    submitted[student] = nbformat.read(path, as_version=4)
                except Exception:  # noqa: BLE001 - a broken submission has nothing to compare
                    continue
        for q in questions:
            summary, found = compare_question(q, {s: answers_of(nb, q) for s, nb in submitted.items()},
                                              min_score=min_score, limit=top, include_short=include_short)
            report.questions.append(summary)
            pairs.extend(found)
    report.pairs = ranked(pairs, top)
    return report
