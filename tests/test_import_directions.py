"""Who may import whom (../shared/DESIGN.md): every import of medai's own code, also inside functions, walked
from the source; a forbidden direction fails with the file and line."""
from __future__ import annotations

import ast
import tomllib

from tests.conftest import REPO

# the one error root: a leaf module every layer's errors derive from
ERRORS = {"medai.errors"}
# small top-level helpers the grader, progress and hub layers may use; they import no subpackage themselves
HELPERS = ERRORS | {"medai.privileges", "medai.mountns"}
ADAPTER = {"medai.nbgrader_adapter"}  # everything that knows nbgrader's internals (grader and progress)
ALLOWED = {
    "medai.course": ERRORS,
    "medai.datasets": {"medai.course"} | ERRORS,
    "medai.grader": {"medai.course", "medai.datasets"} | HELPERS | ADAPTER,
    "medai.progress": {"medai.course"} | HELPERS | ADAPTER,
    "medai.hub": {"medai.course"} | HELPERS,
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
    assert {"medai.course", "medai.datasets", "medai.grader", "medai.hub"} <= set(packages), packages
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
    for helper in HELPERS | ADAPTER:
        path = REPO / "src" / "medai" / f"{helper.split('.')[1]}.py"
        if not path.exists():
            continue
        layers = {_layer(m) for _, m in _imports(path)} - {None, *HELPERS, *ADAPTER}
        assert layers <= {"medai.course"} if helper in ADAPTER else layers == set(), (helper, layers)


def test_the_walk_sees_a_forbidden_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from medai.hub.apply import GRADER_ACCOUNT\n    import medai.progress.model\n")
    assert [m for _, m in _imports(bad)] == ["medai.hub.apply", "medai.progress.model"]
    assert _layer("medai.hub.apply") not in ALLOWED["medai.grader"]
