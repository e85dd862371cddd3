"""Self-checks (`q1.check()`): plain-language verdicts on public checks, never a crash, never the answer."""
from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

from medai.selfcheck import ERROR, NOT_YET, PASS, Question, expect
from tests.conftest import REPO

C02 = REPO / "assignments" / "c02-diagnostic-metrics"
SOLUTION_CELL = re.compile(r"### BEGIN SOLUTION.*?### END SOLUTION\n?", re.S)


def test_question_reports_missing_names_wrong_answers_and_crashes(english):
    def checks(ns):
        f = ns.function("double")
        expect(f(2) == 4, f"double(2) should be 4, got {f(2)}")

    q = Question("Q", checks)
    assert q.run({}).status == NOT_YET and "not defined yet" in q.run({}).message
    assert q.run({"double": 3}).status == NOT_YET
    assert q.run({"double": lambda x: x + 1}).message == "double(2) should be 4, got 3"
    crashed = q.run({"double": lambda x: 1 / 0})
    assert crashed.status == ERROR and "ZeroDivisionError" in crashed.message
    assert q.run({"double": lambda x: 2 * x}).status == PASS


@pytest.fixture
def english(monkeypatch):
    """These tests read the English messages (the msgids); Korean: tests/test_selfcheck_languages.py."""
    monkeypatch.setenv("MEDAI_LANG", "en")


@pytest.fixture(autouse=True)
def venv_first_on_path(monkeypatch):
    """The kernelspec runs `python` by name: this environment's, not whatever else is on PATH."""
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}:{os.environ['PATH']}")


def execute(tmp_path: Path, nb: nbformat.NotebookNode) -> dict[str, str]:
    """Run a variant of the notebook beside checks.py; return each self-check cell's printed output."""
    from nbclient import NotebookClient

    work = tmp_path / "work"
    shutil.copytree(C02, work)
    NotebookClient(nb, timeout=120, allow_errors=True, resources={"metadata": {"path": str(work)}}).execute()
    return {c.id: "".join(o.get("text", "") for o in c.outputs) for c in nb.cells if c.id.startswith("selfcheck-q")}


@pytest.mark.slow
def test_solution_passes_every_self_check(tmp_path):
    out = execute(tmp_path, nbformat.read(C02 / "diagnostic-metrics.ipynb", 4))
    assert set(out) == {"selfcheck-q1", "selfcheck-q2", "selfcheck-q3", "selfcheck-q4"}
    assert all(text.startswith("✓") for text in out.values()), out


@pytest.mark.slow
def test_blank_notebook_gets_plain_messages_and_runs_to_the_end(tmp_path, english):
    nb = nbformat.read(C02 / "diagnostic-metrics.ipynb", 4)
    for cell in nb.cells:  # what students get: the solution replaced by nbgrader's placeholder
        cell.source = SOLUTION_CELL.sub("raise NotImplementedError()\n", cell.source)
    out = execute(tmp_path, nb)
    assert out["selfcheck-q1"].startswith("! Q1") and "NotImplementedError" in out["selfcheck-q1"]
    assert out["selfcheck-q4"].startswith("✗ Q4") and "`auc` is not defined yet" in out["selfcheck-q4"]


@pytest.mark.slow
def test_typical_mistake_is_named_without_revealing_hidden_tests(tmp_path, english):
    nb = nbformat.read(C02 / "diagnostic-metrics.ipynb", 4)
    cell = next(c for c in nb.cells if c.id == "diagnostic_metrics")
    cell.source = cell.source.replace('return counts["tp"] / (counts["tp"] + counts["fp"])',
                                      'return counts["tp"] / (counts["tp"] + counts["fn"])')
    out = execute(tmp_path, nb)
    assert out["selfcheck-q2"].startswith("✗ Q2"), out["selfcheck-q2"]
    assert "ppv" in out["selfcheck-q2"] and "among those who test POSITIVE" in out["selfcheck-q2"]
    assert out["selfcheck-q1"].startswith("✓") and out["selfcheck-q3"].startswith("✓")
    checks = (C02 / "checks.py").read_text()
    assert "HIDDEN" not in checks and "load_breast_cancer" not in checks
