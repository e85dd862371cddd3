"""Which modules the zygote imports once for a whole batch: those the assignment's source notebooks import.

Only the instructor's source notebooks are read (never a submission). A module that the assignment ships next
to its notebooks (e.g. checks.py) is not preloaded: it must be imported from the submission's directory.
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


def assignment_imports(folder: Path) -> list[str]:
    """Module names imported by the code cells of the notebooks in `folder`, first appearance first."""
    if not folder.is_dir():
        return []
    local = {p.name.split(".")[0] for p in folder.iterdir()}
    seen: dict[str, None] = {}
    for notebook in sorted(folder.glob("*.ipynb")):
        try:
            cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
        except (OSError, ValueError):
            continue
        for cell in cells:
            if cell.get("cell_type") != "code":
                continue
            source = cell.get("source", "")
            for name in _imports("".join(source) if isinstance(source, list) else source):
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
