"""A segmentation contest (task mr-lesions, metric dice): synthetic MR slices of the contest's own, predict()
returning a mask per hidden image, in the grading sandbox; the score is MONAI's DiceMetric computed here on the
same masks, and its bootstrap interval is over the per-image Dice values. A test-only contest definition (40
slices of 48 pixels), so it stays fast; and the shipped `lesions-2d` with its baseline notebook."""
from __future__ import annotations

import os
import stat

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from monai.metrics import DiceMetric

from medai.course import CourseError, load_course
from medai.grader.contest.paths import ContestPaths
from medai.grader.contest import teams
from medai.grader.contest.metrics import score
from medai.grader.contest.prepare import prepare
from medai.grader.contest.store import Store
from medai.grader.contest.submit import SubmitOptions, submit
from medai.grader.contest.tasks import IMAGE, masks
from medai.grader.sandbox import GiB, Limits
from tests import contest_support as cs
from tests.conftest import COURSE_YAML
from tests.grade_support import SandboxAccounts, make_account, remove_account, tag, use_venv_path

SIZE = 48


def seg_yaml(**changes) -> dict:
    data = {"task": "mr-lesions", "cases": 40, "image_size": SIZE, "seed": 5, "test_fraction": 0.5,
            "public_fraction": 0.5}
    return cs.contest_yaml(**{"data": data, "metric": "dice", "submission": "notebook",
                              "teams": {"formed_by_students": True, "max_size": 2}, **changes})


def monai_dice(truth: np.ndarray, pred: np.ndarray) -> float:
    """The mean Dice of MONAI's DiceMetric over the images, computed here (batch, channel, H, W)."""
    metric = DiceMetric(include_background=True, reduction="mean", ignore_empty=False)
    metric(torch.as_tensor(pred[:, None] > 0.5).float(), torch.as_tensor(truth[:, None] > 0.5).float())
    return float(metric.aggregate())


def threshold(images: np.ndarray) -> np.ndarray:
    return (images > 1900) & (images < 2550)  # lesions are 2000-2600; the ventricles (2600) mostly fall out


THRESHOLD_NOTEBOOK = cs.notebook(
    "import numpy as np",
    "def predict(inputs):\n    return [(im > 1900) & (im < 2550) for im in inputs['image']]")


def test_dice_is_monais_and_its_interval_is_over_images():
    rng = np.random.default_rng(3)
    truth = rng.random((30, 16, 16)) < 0.2
    pred = np.where(rng.random((30, 16, 16)) < 0.8, truth, ~truth)
    pred[0] = False  # an image with no prediction at all: Dice 0, not left out
    got = score("dice", truth, pred, seed=4, resamples=200)
    assert got.value == pytest.approx(monai_dice(truth, pred), abs=1e-6)  # MONAI averages in float32
    assert got.low < got.value < got.high and got.rows == 30
    assert got == score("dice", truth, pred, seed=4, resamples=200)  # seeded
    perfect = score("dice", truth, truth.astype(float), seed=4, resamples=200)
    assert (perfect.value, perfect.low, perfect.high) == (1.0, 1.0, 1.0)


def test_course_yaml_pairs_dice_with_segmentation_tasks(tmp_path):
    def problems(contest: dict) -> str:
        path = tmp_path / "course.yaml"
        path.write_text(yaml.safe_dump(cs.course_data([contest]), allow_unicode=True, sort_keys=False),
                        encoding="utf-8")
        with pytest.raises(CourseError) as err:
            load_course(path)
        return str(err.value)

    assert "metric 'dice' needs a segmentation task (mr-lesions)" in problems(cs.contest_yaml(metric="dice"))
    assert "task 'mr-lesions' is scored with 'dice'" in problems(seg_yaml(metric="auroc"))
    assert "task 'mr-lesions' takes notebooks" in problems(seg_yaml(submission="predictions"))
    assert "image_size" in problems(seg_yaml(data={"task": "mr-lesions", "image_size": 8}))


@pytest.fixture(scope="module")
def site():
    d = cs.deployment(contest=seg_yaml())
    prepared = prepare(contest=d.course.contest(cs.CONTEST), paths=d.paths)
    yield d, prepared
    d.remove()


def test_prepare_gives_students_images_with_masks_and_hides_the_test_masks(site):
    d, prepared = site
    train, shown = pd.read_parquet(d.paths.train), pd.read_parquet(d.paths.hidden_inputs)
    labels = pd.read_parquet(d.paths.hidden_labels)
    assert (prepared.train_rows, prepared.hidden_rows, prepared.public_rows, prepared.cases) == (20, 20, 10, None)
    assert masks(train).shape == (20, SIZE, SIZE) and set(np.unique(masks(train))) == {0, 1}
    assert masks(train, IMAGE).max() > 1000  # MR intensities
    assert "label" not in shown.columns and masks(shown, IMAGE).shape == (20, SIZE, SIZE)
    assert list(labels["id"]) == list(shown["id"]) and not set(train["id"]) & set(shown["id"])
    assert stat.S_IMODE(d.paths.hidden_labels.stat().st_mode) == 0o600


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="the sandbox needs root (own accounts, namespaces)")
def test_masks_from_the_sandbox_score_monais_dice(site):
    d, _ = site
    use_venv_path()
    grader = f"t{tag()}segr"
    entry = make_account(grader, cs.Path("/nonexistent"))
    accounts = SandboxAccounts(1)
    try:
        for path in (d.layout.course_dir, *d.layout.course_dir.rglob("*")):  # the course directory's owner
            os.chown(path, entry.pw_uid, entry.pw_gid)
        course = d.course
        contest = course.contest(cs.CONTEST)
        store, students = Store(d.paths.database), teams.Students.of(d.roster)
        teams.create_team(contest, store, students, student="med01", team="seg")
        options = SubmitOptions(sandbox_prefix=accounts.prefix, limits=Limits(memory_bytes=4 * GiB, wall_seconds=120))

        def send(data: bytes):
            return submit(course=course, contest_id=cs.CONTEST, paths=d.paths, roster=d.roster, student="med01",
                          data=data, options=options, layout=d.layout, when=cs.NOW)

        good = send(THRESHOLD_NOTEBOOK)
        wrong = send(cs.notebook("def predict(inputs):\n    return [im[:10, :10] > 0 for im in inputs['image']]"))
    finally:
        remove_account(grader)
        accounts.remove()
    labels = pd.read_parquet(d.paths.hidden_labels)
    pub = labels["public"].to_numpy(bool)
    expected = threshold(masks(pd.read_parquet(d.paths.hidden_inputs), IMAGE))
    assert good.status == "scored", good.lines()
    assert good.public.value == pytest.approx(monai_dice(masks(labels)[pub], expected[pub]), abs=1e-6)  # MONAI averages in float32
    assert 0.2 < good.public.value < 1 and good.public.low <= good.public.value <= good.public.high
    row = Store(d.paths.database).submissions("seg")[0]
    assert row.private == pytest.approx(monai_dice(masks(labels)[~pub], expected[~pub]), abs=1e-6)  # MONAI averages in float32
    assert wrong.status == "failed" and wrong.fields == {"got": "10x10", "shape": f"{SIZE}x{SIZE}"}


def run_here(nb_path, inputs) -> list:
    """The baseline notebook's cells executed in this process, then its predict()."""
    import nbformat

    namespace: dict = {}
    for cell in nbformat.read(nb_path, as_version=4).cells:
        if cell.cell_type == "code":
            exec(cell.source, namespace)  # noqa: S102 - the repository's own notebook
    return namespace["predict"](inputs.copy())


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="the sandbox needs root (own accounts, namespaces)")
def test_the_shipped_lesion_contest_and_its_baseline_score_in_the_sandbox_as_here(monkeypatch):
    use_venv_path()
    shipped = load_course(COURSE_YAML)
    contest = shipped.contest("lesions-2d")
    assert (contest.data.task, contest.metric, contest.data.seed) == ("mr-lesions", "dice", None)
    contest = contest.model_copy(update={"data": contest.data.model_copy(update={"seed": 8})})
    course = shipped.model_copy(update={"contests": [contest]})
    d = cs.deployment()
    accounts = SandboxAccounts(1)
    monkeypatch.setenv("MEDAI_DATA", str(d.layout.data_dir))  # the notebook run here reads it
    try:
        paths = ContestPaths.of(d.layout, contest.id)
        prepared = prepare(contest=contest, paths=paths)
        assert (prepared.train_rows, prepared.hidden_rows) == (140, 60)
        store, students = Store(paths.database), teams.Students.of(d.roster)
        teams.create_team(contest, store, students, student="med01", team="baseline")
        teams.join_team(contest, store, students, student="eng01", team="baseline")
        notebook = COURSE_YAML.parent.parent / "assignments" / contest.baseline
        result = submit(course=course, contest_id=contest.id, paths=paths, roster=d.roster, student="med01",
                        data=notebook.read_bytes(), layout=d.layout, when=contest.phases[0].starts,
                        options=SubmitOptions(sandbox_prefix=accounts.prefix,
                                              limits=Limits(memory_bytes=4 * GiB, wall_seconds=300)))
        assert result.status == "scored", (result.summary.format(**result.fields),
                                           Store(paths.database).submissions()[0].reason)
        labels = pd.read_parquet(paths.hidden_labels)
        here = np.stack(run_here(notebook, pd.read_parquet(paths.hidden_inputs).assign(
            image=lambda f: list(masks(f, IMAGE)))))
        pub = labels["public"].to_numpy(bool)
        assert result.public.value == pytest.approx(monai_dice(masks(labels)[pub], here[pub]), abs=1e-6)
        assert result.public.value > 0.3
    finally:
        accounts.remove()
        d.remove()
