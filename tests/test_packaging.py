"""pyproject.toml lists every package of the source tree, so a regular (non-editable) install is complete."""
from __future__ import annotations

import tomllib

from tests.conftest import REPO


def test_every_subpackage_is_listed_in_pyproject():
    tool = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    mapped = tool["package-dir"]
    found = set()
    for name, folder in mapped.items():
        for init in (REPO / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(REPO / folder)
            found.add(".".join([name, *rel.parts]) if rel.parts else name)
    assert found <= set(tool["packages"]), f"add to [tool.setuptools] packages: {sorted(found - set(tool['packages']))}"
