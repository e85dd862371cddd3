"""The Dice metric of segmentation contests: MONAI's DiceMetric (not a hand-written overlap), per image, the
score its mean and the 95 % interval a bootstrap over the per-image values; course.yaml accepts it only where a
task's rows are images with masks."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import yaml
from monai.data import create_test_image_2d
from monai.metrics import DiceMetric
from scipy.stats import bootstrap

from medai.course import CourseError, load_course
from medai.course.model import CONTEST_METRICS
from medai.grader.contest.metrics import METRICS, SEGMENTATION, score
from tests import contest_support as cs


def masks(n: int, *, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n synthetic 64x64 lesion masks (MONAI's seeded generator) and a prediction that misses part of each:
    shifted by a few pixels, one image with nothing predicted, one with a lesion where there is none."""
    rng = np.random.RandomState(seed)
    truth = np.stack([create_test_image_2d(64, 64, num_objs=3, rad_max=10, random_state=rng)[1] > 0
                      for _ in range(n)]).astype(np.float32)
    pred = np.roll(truth, shift=tuple(rng.randint(0, 4, size=2)), axis=(1, 2)) * 0.9  # probabilities
    pred[0] = 0
    truth[1], pred[1] = 0, 0
    pred[1, 10:20, 10:20] = 1
    return truth, pred


def test_dice_is_monais_dice_metric_averaged_over_images():
    truth, pred = masks(24, seed=3)
    got = score("dice", truth, pred, seed=7, resamples=500)

    # MONAI's DiceMetric computed here, on the same masks made binary at 0.5
    metric = DiceMetric(include_background=True, reduction="mean", ignore_empty=False)
    metric(y_pred=torch.as_tensor(pred[:, None] >= 0.5).float(), y=torch.as_tensor(truth[:, None]))
    expected = metric.aggregate().item()
    assert got.value == pytest.approx(expected, abs=1e-6)
    assert 0.2 < got.value < 0.95 and got.rows == 24

    # the interval: scipy's percentile bootstrap of the mean over MONAI's per-image Dice, seeded
    per_image = DiceMetric(include_background=True, reduction="none", ignore_empty=False)(
        y_pred=torch.as_tensor(pred[:, None] >= 0.5).float(), y=torch.as_tensor(truth[:, None]))[:, 0].numpy()
    assert per_image[0] == 0 and per_image[1] == 0  # nothing found; a lesion predicted where there is none
    res = bootstrap((per_image,), np.mean, n_resamples=500, confidence_level=0.95, method="percentile",
                    rng=np.random.default_rng(7))
    low, high = np.percentile(res.bootstrap_distribution, [2.5, 97.5])
    assert (got.low, got.high) == pytest.approx((low, high), abs=1e-6)
    assert got.low < got.value < got.high
    assert score("dice", truth, pred, seed=7, resamples=500) == got  # seeded: the same board every time


def test_a_perfect_and_an_empty_prediction():
    truth, _ = masks(6, seed=1)
    assert score("dice", truth, truth, seed=0, resamples=100).value == pytest.approx(1.0)
    assert score("dice", truth[2:], np.zeros_like(truth[2:]), seed=0, resamples=100).value == 0.0
    with pytest.raises(ValueError, match="differ from the images"):
        score("dice", truth, truth[:, :32], seed=0, resamples=100)


def test_dice_ranks_up_and_is_the_only_segmentation_metric():
    assert METRICS["dice"].higher_is_better and SEGMENTATION == {"dice"}
    assert set(METRICS) == set(CONTEST_METRICS)


def test_course_yaml_refuses_dice_on_a_task_with_one_label_per_row(tmp_path):
    path = tmp_path / "course.yaml"
    path.write_text(yaml.safe_dump(cs.course_data([cs.contest_yaml(metric="dice")]), allow_unicode=True,
                                   sort_keys=False), encoding="utf-8")
    with pytest.raises(CourseError) as err:
        load_course(path)
    assert "metric 'dice' scores a segmentation mask per image; task 'table' has one label per row" in str(err.value)
    path.write_text(yaml.safe_dump(cs.course_data([cs.contest_yaml(metric="auroc")]), allow_unicode=True,
                                   sort_keys=False), encoding="utf-8")
    assert load_course(path).contests[0].metric == "auroc"
