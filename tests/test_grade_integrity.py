"""Hidden tests that a submission switches off from inside its own notebook (issue 12, finding 5).

One assignment whose answer cell is where each "student" attacks the grade cells that follow it: input
transformers (cleanup, post), an AST transformer that deletes asserts, a custom exception handler, replaced
`sys.excepthook`/`sys.displayhook`, a replaced `run_cell` (on the shell, on the class), an event callback,
a trace function that jumps over asserts, replaced builtins, `math.isclose`, NumPy's and pandas' comparison
functions, a replaced `sys.modules` entry, a wrapper around ipykernel's dispatch that poisons again after the
grader's reset, a deleted guard handler, and values whose `__eq__` (or a float subclass's `__eq__`,
`__abs__`, `__sub__`) always agree. None of them solves anything. Graded for real: real nbgrader, real
kernels from the zygote, in the sandbox when root, through `medai grade`'s own code path. Every attack must
score 0 in every grade cell it reached and be reported as tampered, naming the cell; an honest correct
submission gets full marks, an honest partly wrong one exactly its partial score, and the course's reference
solutions of c02 and e01 get full marks with nothing reported.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import nbformat
import pytest

from medai.grader.cell_proof import instrument, verdict
from medai.grader.context import GradeOptions
from medai.grader.pipeline import grade
from medai.grader.results import Status
from medai.grader.target import load_target
from tests.grade_support import C02, make_course, submit
from tests.conftest import REPO

pytestmark = [pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")]

E01 = REPO / "assignments" / "e01-neural-networks"
META = {"schema_version": 3, "locked": True, "solution": False}

SETUP = "import math, sys, builtins\nimport numpy as np\nimport pandas as pd\nfrom medai.grader.checks import exact"
SOLVED = '''def mean_of(xs):
    return float(sum(xs) / len(xs))

def table(n):
    return pd.DataFrame({"a": np.arange(n), "b": np.arange(n) * 0.5})

def count_positive(xs):
    return int(sum(1 for x in xs if x > 0))'''
UNSOLVED = '''def mean_of(xs):
    return -1.0

def table(n):
    return pd.DataFrame({"a": [0]})

def count_positive(xs):
    return -1'''
PARTLY = SOLVED.replace("return int(sum(1 for x in xs if x > 0))", "return len(xs)")  # count wrong: 3 of 5
TESTS = {
    "test_mean": (2, '''_m = mean_of([1, 2, 3, 6])
assert isinstance(_m, float) and type(exact(_m, float)) is float
assert math.isclose(_m, 3.0) and abs(_m - 3.0) < 1e-9 and _m == 3.0
assert np.isclose(mean_of([0.5]), 0.5) and np.allclose([mean_of([1.0, 2.0])], [1.5])
np.testing.assert_allclose(exact(mean_of([2.0, 4.0]), float), 3.0)'''),
    "test_table": (2, '''_t = exact(table(3), pd.DataFrame)
assert len(_t) == 3 and list(_t.columns) == ["a", "b"]
pd.testing.assert_frame_equal(_t, pd.DataFrame({"a": np.arange(3), "b": np.arange(3) * 0.5}))
assert _t.equals(pd.DataFrame({"a": np.arange(3), "b": np.arange(3) * 0.5}))'''),
    "test_count": (1, '''assert exact(count_positive([1, -2, 3, 0]), int) == 2
assert count_positive([]) == 0'''),
}
POINTS = sum(points for points, _ in TESTS.values())
IP = "_ip = get_ipython()\n"
ATTACKS = {
    "cleanup_transformer": IP + "_ip.input_transformers_cleanup.append(lambda lines: ['pass\\n'])",
    "post_transformer": IP + "_ip.input_transformers_post.append(\n"
                             "    lambda lines: [l for l in lines if 'assert' not in l and 'testing' not in l])",
    "ast_transformer": IP + '''import ast
class _NoAsserts(ast.NodeTransformer):
    def visit_Assert(self, node):
        return ast.Pass()
    def visit_Expr(self, node):
        return ast.Pass() if "assert" in ast.unparse(node) else node
_ip.ast_transformers.append(_NoAsserts())''',
    "custom_exc": IP + "_ip.set_custom_exc((Exception,), lambda shell, etype, value, tb, tb_offset=None: None)",
    "sys_hooks": "sys.excepthook = lambda *a: None\nsys.displayhook = lambda value: None\n"
                 "sys.stderr = open('/dev/null', 'w')",
    "run_cell_instance": IP + '''_orig = _ip.run_cell
_ip.run_cell = lambda raw_cell, *a, **k: _orig("pass", *a, **k)''',
    "run_cell_class": '''from IPython.core.interactiveshell import InteractiveShell
_orig = InteractiveShell.run_ast_nodes
async def _skip(self, nodelist, *a, **k):
    return await _orig(self, [n for n in nodelist if type(n).__name__ != "Assert"], *a, **k)
InteractiveShell.run_ast_nodes = _skip
InteractiveShell.transform_cell = lambda self, cell: "pass\\n"''',
    "event_callback": IP + '''def _poison(info):
    _ip.input_transformers_cleanup.append(lambda lines: ["pass\\n"])
_ip.events.register("pre_run_cell", _poison)''',
    "settrace": '''import linecache
def _jump(frame, event, arg):
    if "/ipykernel_" not in frame.f_code.co_filename:
        return None  # only notebook cells: the kernel itself keeps working
    if event == "line":
        line = linecache.getline(frame.f_code.co_filename, frame.f_lineno)
        if "assert" in line or "testing" in line:
            try:
                frame.f_lineno = frame.f_lineno + 1
            except ValueError:
                pass
    return _jump
sys.settrace(_jump)''',
    "builtins": '''def _lie(real, fake):  # lie to notebook cells only: the kernel itself keeps working
    def stand_in(*a, **k):
        caller = sys._getframe(1).f_code.co_filename
        return fake(*a, **k) if "/ipykernel_" in caller else real(*a, **k)
    return stand_in
builtins.isinstance = _lie(isinstance, lambda *a: True)
builtins.abs = _lie(abs, lambda x: 0)
builtins.len = _lie(len, lambda x: 3)
builtins.type = _lie(type, lambda *a: float if len(a) == 1 else type(*a))''',
    "math_isclose": "math.isclose = lambda *a, **k: True",
    "shadow_builtins": "isinstance = lambda *a: True\nabs = lambda x: 0\nlen = lambda x: 3\ntype = lambda x: float",
    "numpy_pandas": '''np.isclose = lambda *a, **k: True
np.allclose = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
import numpy.testing._private.utils as _u
_u.assert_array_compare = lambda *a, **k: None
pd.testing.assert_frame_equal = lambda *a, **k: None
pd.DataFrame.equals = lambda self, other: True''',
    "checks_helper": '''import medai.grader.checks as _c
_c.exact = exact = lambda value, *types: value''',
    "rebound_names": '''import types as _types
math = _types.SimpleNamespace(isclose=lambda *a, **k: True)
np = _types.SimpleNamespace(isclose=lambda *a, **k: True, allclose=lambda *a, **k: True, arange=range,
                            testing=_types.SimpleNamespace(assert_allclose=lambda *a, **k: None))
exact = lambda value, *types: value''',
    "sys_modules": '''import types as _types
_fake = _types.ModuleType("math")
_fake.isclose = lambda *a, **k: True
sys.modules["math"] = _fake''',
    "redispatch": '''from ipykernel.kernelbase import Kernel
_orig_dispatch = Kernel.dispatch_shell
async def _dispatch(self, *a, **k):
    await _orig_dispatch(self, *a, **k)
    get_ipython().input_transformers_post.append(lambda lines: [l for l in lines if "assert" not in l])
Kernel.dispatch_shell = _dispatch''',
    "guard_removed": IP + "_ip.kernel.shell_handlers.pop('medai_guard_request', None)",
    "always_equal": '''class _Always:
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    __hash__ = object.__hash__
mean_of = lambda xs: _Always()
table = lambda n: _Always()
count_positive = lambda xs: _Always()''',
    "float_subclass": '''class _F(float):
    def __eq__(self, other): return True
    def __abs__(self): return 0.0
    def __sub__(self, other): return _F(0.0)
    def __rsub__(self, other): return _F(0.0)
    __hash__ = float.__hash__
class _I(int):
    def __eq__(self, other): return True
    __hash__ = int.__hash__
mean_of = lambda xs: _F(-1.0)
count_positive = lambda xs: _I(-1)''',
}


def integrity_notebook(answer: str = "### BEGIN SOLUTION\n" + SOLVED + "\n### END SOLUTION") -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    cells = [nbformat.v4.new_code_cell(SETUP, metadata={"nbgrader": {**META, "grade": False, "grade_id": "setup"}}),
             nbformat.v4.new_code_cell(answer, metadata={"nbgrader": {
                 "schema_version": 3, "grade": False, "grade_id": "answer", "locked": False, "solution": True}})]
    for grade_id, (points, code) in TESTS.items():
        cells.append(nbformat.v4.new_code_cell(code, metadata={"nbgrader": {**META, "grade": True,
                                                                            "grade_id": grade_id, "points": points}}))
    nb.cells = cells
    return nb


def submission(answer: str) -> nbformat.NotebookNode:
    nb = integrity_notebook()
    nb.cells[1].source = answer
    return nb




def options(accounts, **kw) -> GradeOptions:
    if accounts is None:
        return GradeOptions(workers=2, unsafe=True, progress=False, feedback=False, **kw)
    return GradeOptions(workers=2, progress=False, sandbox_prefix=accounts.prefix, feedback=False, **kw)


@pytest.fixture(scope="module")
def attacked(accounts):
    base = Path(tempfile.mkdtemp(prefix="medai-integrity-", dir="/tmp"))
    try:
        course = make_course(base / "course", {"integrity": {"integrity.ipynb": integrity_notebook()}},
                             extra_config="c.Execute.timeout = 30\n")
        submit(course, "integrity", "honest", {"integrity.ipynb": submission(SOLVED)})
        submit(course, "integrity", "partly", {"integrity.ipynb": submission(PARTLY)})
        submit(course, "integrity", "unsolved", {"integrity.ipynb": submission(UNSOLVED)})
        for name, payload in ATTACKS.items():
            submit(course, "integrity", name, {"integrity.ipynb": submission(UNSOLVED + "\n\n" + payload)})
        summary = grade(target=load_target(course_dir=course, assignment="integrity", course=None),
                        options=options(accounts))
        yield summary, {r.student: r for r in summary.results}
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.slow
def test_honest_submissions_get_their_normal_scores_and_nothing_is_reported(attacked):
    _, results = attacked
    honest, partly, unsolved = results["honest"], results["partly"], results["unsolved"]
    for r in (honest, partly, unsolved):
        assert r.status == Status.GRADED and not r.tampered, (r.student, r.reason, r.tampered)
    assert honest.score == POINTS, honest.cell_scores()
    assert partly.cell_scores() == {("integrity", "test_mean"): 2.0, ("integrity", "test_table"): 2.0,
                                    ("integrity", "test_count"): 0.0}
    assert unsolved.score == 0


@pytest.mark.slow
@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_the_attack_scores_zero_and_is_reported_naming_the_cell(attacked, attack):
    summary, results = attacked
    result = results[attack]
    assert result.status == Status.GRADED, result.reason
    assert result.cell_scores() and set(result.cell_scores().values()) == {0.0}, result.cell_scores()
    assert result.tampered, f"{attack} was not reported"
    assert any(t.startswith("integrity.ipynb: grade cell test_") for t in result.tampered), result.tampered
    line = next(line for line in summary.lines() if line.startswith(f"  ! {attack}: tampered: "))
    assert "grade cell test_" in line


@pytest.mark.slow
def test_the_summary_counts_every_attack_as_tampered(attacked):
    summary, _ = attacked
    assert len(summary.tampered) == len(ATTACKS)
    assert f"tampered {len(ATTACKS)}," in summary.lines()[1]
    assert summary.exit_code == 1


# -- the course's own reference solutions, through the same path: full marks, nothing reported --------------


@pytest.fixture(scope="module")
def ecg_data():
    """The one dataset e01 reads, built into a directory the sandbox accounts can read."""
    from medai.datasets.build import build_datasets

    base = Path(tempfile.mkdtemp(prefix="medai-integrity-data-", dir="/tmp"))
    base.chmod(0o755)
    try:
        report = build_datasets(out_dir=base / "data", truth_dir=base / "truth", names=["ecg-rhythms"])
        for dirpath, _, _ in os.walk(base):
            os.chmod(dirpath, 0o755)
        yield Path(report.data_dir)
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.slow
@pytest.mark.parametrize("folder", [C02, E01], ids=["c02", "e01"])
def test_reference_solutions_get_full_marks_and_are_not_reported(folder, accounts, ecg_data, monkeypatch):
    monkeypatch.setenv("MEDAI_DATA", str(ecg_data))
    base = Path(tempfile.mkdtemp(prefix="medai-integrity-ref-", dir="/tmp"))
    try:
        files = {p.name: (nbformat.read(p, as_version=4) if p.suffix == ".ipynb" else p)
                 for p in folder.iterdir() if p.is_file()}
        course = make_course(base / "course", {"ref": files}, course_id="medai101",
                             extra_config="c.Execute.timeout = 300\n")
        submit(course, "ref", "solution", {name: course / "source" / "ref" / name for name in files})
        summary = grade(target=load_target(course_dir=course, assignment="ref", course=None),
                        options=options(accounts))
        (result,) = summary.results
        assert result.status == Status.GRADED, result.reason
        assert not result.tampered, result.tampered
        autograded = [c for nb in result.notebooks for c in nb.cells if not c.needs_manual_grade]
        assert autograded and all(c.score == c.max_score for c in autograded), result.cell_scores()
    finally:
        shutil.rmtree(base, ignore_errors=True)


# -- the proof itself, without a kernel ---------------------------------------------------------------------


def test_the_proof_keeps_a_last_expression_displayed():
    code = instrument("x = 1\n%time y = 2\nx + y  # partial credit")
    assert code.rstrip().endswith('.prove(x + y)  # partial credit')
    assert "get_ipython().run_line_magic" in code
    assert instrument("assert True\n").rstrip().endswith(".prove()")
    assert instrument("a = 1;\nb = 2;").rstrip().endswith(".prove()")


def _cell(*outputs):
    return nbformat.v4.new_code_cell("assert True", outputs=list(outputs),
                                     metadata={"nbgrader": {**META, "grade": True, "grade_id": "t", "points": 1}})


def test_a_cell_without_its_proof_is_tampered_and_the_proof_never_stays_in_the_outputs():
    from medai.grader.kernel_guard import PROOF_MIME, token

    ok = {"status": "ok", "restored": []}
    proof = nbformat.v4.new_output("display_data", data={PROOF_MIME: {"proof": token("k")}})
    text = nbformat.v4.new_output("stream", name="stdout", text="hi\n")
    cell = _cell(text, proof)
    assert verdict(cell, "k", ok, {"problems": []}) is None and cell.outputs == [text]
    cell = _cell(text)  # ran without error and without proof
    assert "did not run to its end" in verdict(cell, "k", ok, {"problems": []})
    assert cell.outputs[0].output_type == "error" and cell.outputs[0].ename == "GradeCellTampered"
    honest_failure = _cell(nbformat.v4.new_output("error", ename="AssertionError", evalue="", traceback=[]))
    assert verdict(honest_failure, "k", ok, {"problems": []}) is None
    forged = _cell(nbformat.v4.new_output("display_data", data={PROOF_MIME: {"proof": token("guess")}}))
    assert "forged" in verdict(forged, "k", ok, {"problems": []})
    assert "math.isclose" in verdict(_cell(proof), "k", {"status": "ok", "restored": ["math.isclose"]}, {})
    raised = _cell(nbformat.v4.new_output("error", ename="GradeCellTampered", evalue="fake", traceback=[]))
    assert verdict(raised, "k", ok, {}) is None and raised.outputs[0].ename != "GradeCellTampered"
