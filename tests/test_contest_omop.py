"""The contest shipped with the course (course.yaml `mi-1y`): its task on a cohort of its own, generated into the
course directory (index-date features only, one-year MI, site C hidden), and its baseline notebook run unchanged
in the grading sandbox, scored as scikit-learn scores the same notebook run here. The cohort is smaller than the
shipped one and its seed fixed, so that the test is quick and deterministic."""
from __future__ import annotations

import os

import nbformat
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from medai.course import load_course
from medai.grader.contest import teams
from medai.grader.contest.paths import ContestPaths
from medai.grader.contest.prepare import prepare
from medai.grader.contest.store import Store
from medai.grader.contest.submit import SubmitOptions, submit
from medai.grader.contest.tasks import OMOP_FEATURES
from medai.grader.sandbox import GiB, Limits
from tests import contest_support as cs
from tests.conftest import COURSE_YAML
from tests.grade_support import SandboxAccounts, use_venv_path

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(os.geteuid() != 0, reason="the sandbox needs root (own accounts, namespaces)")]


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    use_venv_path()
    d = cs.deployment()
    shipped = load_course(COURSE_YAML)
    contest = shipped.contest("mi-1y")
    contest = contest.model_copy(update={"data": contest.data.model_copy(update={"persons": 10_000, "seed": 5})})
    course = shipped.model_copy(update={"contests": [contest]})
    course._assignments_dir = shipped.resolved_assignments_dir
    paths = ContestPaths.of(d.layout, "mi-1y")
    prepared = prepare(contest=course.contest("mi-1y"), paths=paths)
    accounts = SandboxAccounts(1)
    old = os.environ.get("MEDAI_DATA")
    os.environ["MEDAI_DATA"] = str(d.layout.data_dir)  # kernels read it (medai.datasets.access.data_dir)
    try:
        yield d, course, paths, prepared, accounts
    finally:
        os.environ.pop("MEDAI_DATA") if old is None else os.environ.update(MEDAI_DATA=old)
        accounts.remove()
        d.remove()


def test_the_task_uses_index_date_data_and_hides_site_c(shipped):
    d, course, paths, prepared, _ = shipped
    train, labels = pd.read_parquet(paths.train), pd.read_parquet(paths.hidden_labels)
    shown = pd.read_parquet(paths.hidden_inputs)
    assert set(train["group"]) == {1, 2} and set(shown["group"]) == {3}
    assert list(shown.columns) == ["id", "group", "age", "male", *OMOP_FEATURES]
    assert 0 < labels["label"].mean() < 0.05 and 0 < train["label"].mean() < 0.05  # one-year MI is rare
    cohort = paths.source_dir / "data" / "omop-cohort"
    assert (cohort / "omop.sqlite").is_file() and not (d.layout.data_dir / "omop-cohort").exists()
    assert sorted(p.name for p in d.layout.data_dir.rglob("*") if p.is_file()) == ["train.parquet"]
    assert prepared.cases is not None and "positive labels" in prepared.lines()[2]


def run_here(nb_path, inputs) -> list[float]:
    """The baseline notebook's cells executed in this process, then its predict()."""
    namespace: dict = {}
    for cell in nbformat.read(nb_path, as_version=4).cells:
        if cell.cell_type == "code":
            exec(cell.source, namespace)  # noqa: S102 - the repository's own notebook
    return list(namespace["predict"](inputs.copy()))


def test_the_baseline_notebook_scores_in_the_sandbox_as_here(shipped):
    d, course, paths, _, accounts = shipped
    contest = course.contest("mi-1y")
    store, students = Store(paths.database), teams.Students.of(d.roster)
    teams.create_team(contest, store, students, student="med01", team="baseline")
    teams.join_team(contest, store, students, student="eng01", team="baseline")
    notebook = course.resolved_assignments_dir / contest.baseline
    result = submit(course=course, contest_id="mi-1y", paths=paths, roster=d.roster, student="med01",
                    data=notebook.read_bytes(), layout=d.layout, when=contest.phases[0].starts,
                    options=SubmitOptions(sandbox_prefix=accounts.prefix,
                                          limits=Limits(memory_bytes=4 * GiB, wall_seconds=300)))
    assert result.status == "scored", result.summary.format(**result.fields)
    labels = pd.read_parquet(paths.hidden_labels)
    here = pd.Series(run_here(notebook, pd.read_parquet(paths.hidden_inputs)))
    pub = labels["public"].to_numpy(bool)
    assert result.public.value == pytest.approx(roc_auc_score(labels["label"][pub], here[pub]), abs=1e-9)
    assert result.public.value > 0.5
