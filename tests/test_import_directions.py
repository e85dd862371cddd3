"""Who may import whom (README "How it is put together"): every import of medai's own code, also inside
functions, walked from the source; a forbidden direction fails with the file and line."""
from __future__ import annotations

import ast
import tomllib

from tests.conftest import REPO

# the one error root: a leaf module every layer's errors derive from
ERRORS = {"medai.errors"}
# small top-level helpers the grader, progress and hub layers may use; they import no subpackage themselves
# (medai.i18n: the message catalogues, Korean first; medai.lti_store: the LMS launches' endpoints, written by
# the hub's authenticator and read by medai.lms)
HELPERS = ERRORS | {"medai.privileges", "medai.mountns", "medai.i18n", "medai.lti_store"}
ADAPTER = {"medai.nbgrader_adapter"}  # everything that knows nbgrader's internals (grader and progress)
# every MEDAI_* setting and its default (one pydantic model); it builds a medai.course.layout.Layout, so
# medai.course itself may not use it
SETTINGS = {"medai.settings"}
ALLOWED = {
    "medai.course": ERRORS,
    # medai.i18n: what a student meets from a loader in a notebook, in their language (medai.datasets.errors.said)
    "medai.datasets": {"medai.course", "medai.i18n"} | ERRORS | SETTINGS,
    "medai.grader": {"medai.course", "medai.datasets"} | HELPERS | ADAPTER | SETTINGS,
    "medai.progress": {"medai.course"} | HELPERS | ADAPTER | SETTINGS,
    "medai.hub": {"medai.course"} | HELPERS | ADAPTER | SETTINGS,
    # the LMS client (LTI 1.3 AGS and NRPS calls, the tool's key): scores come from the progress model, members
    # become a roster for medai.course's import; a package of its own because it is neither a report (it holds
    # a private key and calls out) nor the hub's (the launch is, in medai.hub.lti); only the CLI imports it
    "medai.lms": {"medai.course", "medai.progress"} | HELPERS | SETTINGS,
}


def _packages() -> dict[str, str]:
    mapped = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-dir"]
    return {name: folder for name, folder in mapped.items() if name in ALLOWED}


def _imports(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "medai":
                for alias in node.names:
                    yield node.lineno, f"medai.{alias.name}"
            else:
                yield node.lineno, node.module


def _layer(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "medai" or len(parts) < 2:
        return None
    return ".".join(parts[:2])


def test_imports_follow_the_design():
    packages = _packages()
    assert {"medai.course", "medai.datasets", "medai.grader", "medai.progress", "medai.hub", "medai.lms"} <= set(packages), packages
    wrong = []
    for package, folder in packages.items():
        for path in sorted((REPO / folder).rglob("*.py")):
            for line, module in _imports(path):
                layer = _layer(module)
                if layer is None or layer == package:
                    continue
                if layer not in ALLOWED[package]:
                    wrong.append(f"{path.relative_to(REPO)}:{line}: {package} imports {module}")
    assert wrong == [], "\n".join(wrong)


def test_the_helpers_import_no_layer():
    for helper in HELPERS:
        layers = {_layer(m) for _, m in _imports(REPO / "src" / "medai" / f"{helper.split('.')[1]}.py")}
        assert layers - {None, helper} <= ERRORS, (helper, layers)


def test_the_settings_import_only_the_layout_and_the_error_root():
    modules = {m for _, m in _imports(REPO / "src" / "medai" / "settings.py") if m.startswith("medai")}
    assert modules == {"medai.course.layout", "medai.errors"}, modules


def test_the_nbgrader_adapter_imports_only_the_course_and_errors():
    wrong = [f"{p.relative_to(REPO)}:{line}: {m}" for p in sorted((REPO / "src/medai/nbgrader_adapter").rglob("*.py"))
             for line, m in _imports(p) if _layer(m) not in {None, "medai.course", "medai.nbgrader_adapter", *ERRORS}]
    assert wrong == []


def test_the_walk_sees_a_forbidden_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from medai.hub.apply import GRADER_ACCOUNT\n    import medai.progress.model\n")
    assert [m for _, m in _imports(bad)] == ["medai.hub.apply", "medai.progress.model"]
    assert _layer("medai.hub.apply") not in ALLOWED["medai.grader"]
