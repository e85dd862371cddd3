"""Shared fixtures: the shipped course and demo roster, and a HubSettings over a temporary data root."""
from __future__ import annotations

from pathlib import Path

import pytest

from medai.course import load_course, parse_roster
from medai.course.layout import Layout

REPO = Path(__file__).resolve().parent.parent
COURSE_YAML = REPO / "course" / "course.yaml"
DEMO_ROSTER = REPO / "course" / "roster.example.csv"
PEER = REPO / "tests" / "peer"  # third-party test data, copied in (tests/peer/README.md)


@pytest.fixture(scope="session")
def course():
    return load_course(COURSE_YAML)


@pytest.fixture(scope="session")
def roster(course):
    return parse_roster(DEMO_ROSTER, course=course)


@pytest.fixture
def layout(tmp_path) -> Layout:
    return Layout(root=tmp_path / "root")


@pytest.fixture(scope="module")
def accounts():
    """Two sandbox slot accounts of the module's own when root (removed at the end); None otherwise (the
    module's tests then grade --unsafe)."""
    from tests.grade_support import module_accounts

    yield from module_accounts()


@pytest.fixture(scope="module")
def hub():
    """A real hub for the module: `medai roster import` (demo roster) + `medai up` on free loopback ports, with
    configurable-http-proxy and users' servers as their own Unix accounts; stopped and cleaned up at the end."""
    from tests.deployment import running

    with running() as d:
        yield d


@pytest.fixture(scope="session")
def built_data(tmp_path_factory):
    """Every registered dataset, built once (default seed and sizes) into a temporary data directory."""
    from medai.datasets.build import build_datasets

    root = tmp_path_factory.mktemp("medai-data")
    report = build_datasets(out_dir=root / "data", truth_dir=root / "truth")
    return Path(report.data_dir)
