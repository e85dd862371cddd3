"""The same pipeline on a Dask distributed cluster (a LocalCluster on 127.0.0.1, stopped at the end): jobs run
as Dask tasks, each worker in a sandbox slot of its own, and the scores are stock nbgrader's."""
from __future__ import annotations

import os
import shutil
import time

import pytest

from medai.grader.context import GradeOptions
from medai.grader.pipeline import grade
from medai.grader.results import Status
from medai.grader.sandbox import account_names, remove_accounts
from medai.grader.target import load_target
from tests.grade_support import gradebook_scores, stock_autograde, tag
from tests.test_grade_postgres import ps1_course

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning"),
              pytest.mark.filterwarnings("ignore::DeprecationWarning")]


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                           dashboard_address=None, silence_logs=40)
    try:
        yield cluster
    finally:
        cluster.close()


def test_dask_executor_gives_stock_scores(tmp_path, cluster):
    prefix = f"medai-sbxdk{tag()}"
    stock = ps1_course(tmp_path / "stock", f"sqlite:///{tmp_path / 'stock' / 'gradebook.db'}")
    ours = tmp_path / "medai"
    shutil.copytree(stock, ours)
    (ours / "nbgrader_config.py").write_text("c.CourseDirectory.course_id = 'peer'\n")
    students = ["blank", "late", "sol"]
    assert all(stock_autograde(stock, "ps1", students).values())
    try:
        summary = grade(target=load_target(course_dir=ours, assignment="ps1", course=None),
                        options=GradeOptions(executor="dask", scheduler=cluster.scheduler_address,
                                             unsafe=os.geteuid() != 0, sandbox_prefix=prefix, progress=False))
        assert [r.status for r in summary.results] == [Status.GRADED] * 3, [r.reason for r in summary.results]
        assert gradebook_scores(ours, "ps1", students) == gradebook_scores(stock, "ps1", students)
        workers = cluster.scheduler_info["workers"] if hasattr(cluster, "scheduler_info") else {}
        assert len(workers) == 2
    finally:
        cluster.close()  # the workers' zygotes notice and reap their slots
        time.sleep(1.5)
        if os.geteuid() == 0:
            remove_accounts(account_names(4, prefix))
