"""Which modules the zygote imports once for a whole batch: those the assignment being graded imports.

Only the instructor's files are read (never a submission): the code cells of the assignment's notebooks and
the Python modules it ships beside them (a helper module's own imports: an intro lab's `helpers.py` that
imports matplotlib, say), from any course. A module that the assignment ships next to its notebooks (e.g.
checks.py) is not itself preloaded: it must be imported from the submission's directory.
"""
from __future__ import annotations

import ast
import importlib.util
import json
from pathlib import Path


def _imports(source: str) -> list[str]:
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return []
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def _sources(folder: Path):
    """The code of the assignment: its notebooks' code cells, then the Python modules beside them."""
    for notebook in sorted(folder.glob("*.ipynb")):
        try:
            cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
        except (OSError, ValueError):
            continue
        for cell in cells:
            if cell.get("cell_type") == "code":
                source = cell.get("source", "")
                yield "".join(source) if isinstance(source, list) else source
    for module in sorted(folder.rglob("*.py")):
        if not any(part.startswith(".") for part in module.relative_to(folder).parts):
            try:
                yield module.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue


def assignment_imports(folder: Path) -> list[str]:
    """Module names imported by the code cells of the notebooks in `folder` and by the modules shipped beside
    them, first appearance first (the shipped modules themselves excluded)."""
    if not folder.is_dir():
        return []
    local = {p.name.split(".")[0] for p in folder.iterdir()}
    seen: dict[str, None] = {}
    for source in _sources(folder):
        for name in _imports(source):
            top = name.split(".")[0]
            if top in local or name in seen:
                continue
            try:
                found = importlib.util.find_spec(top) is not None
            except (ImportError, ValueError):
                found = False
            if found:
                seen[name] = None
    return list(seen)
