"""The gradebook on a real PostgreSQL server (started on loopback by the test, stopped afterwards): `medai
grade --db URL` writes the same per-cell scores there that stock nbgrader writes into its own."""
from __future__ import annotations

import os

import pytest

from medai.grader.context import GradeOptions
from medai.grader.pipeline import grade
from medai.grader.results import Status
from medai.grader.target import load_target
from tests.grade_support import PS1, PostgresServer, gradebook_scores, make_course, notebook, released, \
    stock_autograde, submit

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")]


@pytest.fixture(scope="module")
def postgres():
    server = PostgresServer()
    try:
        yield server
    finally:
        server.stop()


def ps1_course(root, db_url):
    files = {"problem1.ipynb": notebook(PS1 / "problem1.ipynb"), "problem2.ipynb": notebook(PS1 / "problem2.ipynb"),
             "jupyter.png": PS1 / "jupyter.png"}
    make_course(root, {"ps1": files}, extra_config=f"c.CourseDirectory.db_url = {db_url!r}\n")
    names = ("problem1.ipynb", "problem2.ipynb")
    submit(root, "ps1", "sol", {n: root / "source" / "ps1" / n for n in names})
    submit(root, "ps1", "blank", {n: released(root, "ps1", n) for n in names})
    submit(root, "ps1", "late", {"problem1.ipynb": root / "source" / "ps1" / "problem1.ipynb"},
           timestamp="2026-12-01 10:00:00.000000 UTC")
    return root


def test_scores_in_postgresql_match_stock_nbgrader(tmp_path, postgres):
    stock = ps1_course(tmp_path / "stock", postgres.create_database("stock"))
    ours_url = postgres.create_database("medai")
    ours = ps1_course(tmp_path / "medai", ours_url)
    (ours / "nbgrader_config.py").write_text("c.CourseDirectory.course_id = 'peer'\n")  # --db names the database
    assert not (ours / "gradebook.db").exists() and not (stock / "gradebook.db").exists()
    students = ["blank", "late", "sol"]
    assert all(stock_autograde(stock, "ps1", students).values())
    root = os.geteuid() == 0
    summary = grade(target=load_target(course_dir=ours, assignment="ps1", course=None, db_url=ours_url),
                    options=GradeOptions(workers=2, unsafe=not root, progress=False, feedback=True,
                                         sandbox_prefix=f"medai-sbxpg{os.getpid() % 1000}"))
    try:
        assert [r.status for r in summary.results] == [Status.GRADED] * 3
        expected = gradebook_scores(stock, "ps1", students, db_url=postgres.url("stock"))
        assert gradebook_scores(ours, "ps1", students, db_url=ours_url) == expected
        assert sum(v[0] for v in expected["sol"].values()) > 0
        assert (ours / "feedback" / "sol" / "ps1" / "problem1.html").is_file()  # feedback read PostgreSQL too
    finally:
        if root:
            from medai.grader.sandbox import account_names, remove_accounts

            remove_accounts(account_names(2, f"medai-sbxpg{os.getpid() % 1000}"))
