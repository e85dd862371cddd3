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


def test_the_repository_tests_on_its_own():
    """A clone alone passes the suite: nothing under tests/ or benchmarks/ reads outside the repository
    (third-party test data lives in tests/peer/, with its licences)."""
    import re

    outside = re.compile(r"REPO\.parent|\.\./shared|parent\s*/\s*[\"']shared[\"']")
    offenders = [f"{p.relative_to(REPO)}:{n}" for top in ("tests", "benchmarks") for p in sorted((REPO / top).rglob("*.py"))
                 for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if outside.search(line)]
    assert offenders == []
    assert (REPO / "tests" / "peer" / "z2jh" / "LICENSE").is_file()
    assert (REPO / "tests" / "peer" / "nbgrader-files" / "LICENSE-nbgrader").is_file()
