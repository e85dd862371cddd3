"""Scores with scikit-learn's metrics (scikit-survival's concordance for the C-index, MONAI's DiceMetric for
segmentation masks), and their bootstrap confidence intervals (scipy.stats.bootstrap over rows, paired; for Dice,
over the per-image Dice values, whose mean is the score), all outside the sandbox.

Every metric is oriented so that a larger score ranks higher on a leaderboard: `higher_is_better` says which
way the raw number goes (RMSE, MAE and log loss go down).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Callable

import numpy as np

BOOTSTRAP_RESAMPLES = 1000
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Metric:
    name: str
    fn: Callable[[np.ndarray, np.ndarray], float]
    higher_is_better: bool
    labels: bool = False  # predictions are class labels (not scores)
    per_case: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None  # one value per row; the score is their mean


def _sk(name: str):
    import sklearn.metrics as m

    return getattr(m, name)


def _auroc(y, p):
    return _sk("roc_auc_score")(y, p)


def _ap(y, p):
    return _sk("average_precision_score")(y, p)


def _log_loss(y, p):
    return _sk("log_loss")(y, np.clip(p, 0, 1), labels=[0, 1])


def _macro_f1(y, p):
    return _sk("f1_score")(y, p, average="macro")


def _accuracy(y, p):
    return _sk("accuracy_score")(y, p)


def _rmse(y, p):
    return _sk("root_mean_squared_error")(y, p)


def _mae(y, p):
    return _sk("mean_absolute_error")(y, p)


def _c_index(y, p):
    """y: (time, event) rows; p: risk scores (higher: earlier event)."""
    from sksurv.metrics import concordance_index_censored

    y = np.asarray(y)
    return concordance_index_censored(y[:, 1].astype(bool), y[:, 0].astype(float), p)[0]


def _dice_per_image(y, p):
    """MONAI's Dice of each image: y and p are (images, *spatial) binary masks (p thresholded at 0.5). An image
    whose lesion mask and prediction are both empty scores 1 (ignore_empty=False), so none is left out."""
    import torch
    from monai.metrics import DiceMetric

    truth = torch.as_tensor(np.asarray(y) > 0.5).unsqueeze(1).float()
    pred = torch.as_tensor(np.asarray(p, dtype=float) > 0.5).unsqueeze(1).float()
    metric = DiceMetric(include_background=True, reduction="none", ignore_empty=False)
    return metric(pred, truth).numpy()[:, 0].astype(float)


def _dice(y, p):
    return float(np.mean(_dice_per_image(y, p)))


METRICS = {m.name: m for m in (
    Metric("auroc", _auroc, True), Metric("average-precision", _ap, True), Metric("log-loss", _log_loss, False),
    Metric("macro-f1", _macro_f1, True, labels=True), Metric("accuracy", _accuracy, True, labels=True),
    Metric("rmse", _rmse, False), Metric("mae", _mae, False), Metric("c-index", _c_index, True),
    Metric("dice", _dice, True, per_case=_dice_per_image))}


@dataclass(frozen=True)
class Score:
    value: float
    low: float
    high: float
    rows: int


def score(metric: str, y, p, *, seed: int, resamples: int = BOOTSTRAP_RESAMPLES) -> Score:
    """The metric on all rows and its percentile bootstrap interval (rows resampled with their predictions)."""
    from scipy.stats import bootstrap
    from sklearn import config_context

    m = METRICS[metric]
    y, p = np.asarray(y), np.asarray(p)
    if m.per_case is not None:
        return _mean_score(m.per_case(y, p), seed=seed, resamples=resamples)
    value = float(m.fn(y, p))
    columns = tuple(y.T) if y.ndim == 2 else (y,)  # (time, event) for the C-index: 1-D samples, paired

    def stat(*arrays):
        yy = np.column_stack(arrays[:-1]) if len(arrays) > 2 else arrays[0]
        try:
            return float(m.fn(yy, arrays[-1]))
        except ValueError:  # a resample with one class only: AUROC is undefined
            return np.nan

    with config_context(assume_finite=True), warnings.catch_warnings():  # inputs checked once above; resamples
        warnings.simplefilter("ignore")  # with one class only warn (and give NaN, left out below)
        res = bootstrap((*columns, p), stat, paired=True, vectorized=False, n_resamples=resamples,
                        confidence_level=CONFIDENCE, method="percentile", rng=np.random.default_rng(seed))
    # percentiles of scipy's bootstrap distribution, leaving out resamples where the metric is undefined
    low, high = (float(v) for v in np.nanpercentile(res.bootstrap_distribution,
                                                    [50 * (1 - CONFIDENCE), 50 * (1 + CONFIDENCE)]))
    return Score(value=value, low=low, high=high, rows=len(y))


def _mean_score(values: np.ndarray, *, seed: int, resamples: int) -> Score:
    """The mean of per-row values (e.g. each image's Dice) and the percentile bootstrap interval of that mean."""
    from scipy.stats import bootstrap

    values = np.asarray(values, dtype=float)
    if len(values) < 2 or np.ptp(values) == 0:  # nothing to resample: the interval is the value itself
        return Score(value=float(values.mean()), low=float(values.mean()), high=float(values.mean()), rows=len(values))
    res = bootstrap((values,), np.mean, vectorized=True, n_resamples=resamples, confidence_level=CONFIDENCE,
                    method="percentile", rng=np.random.default_rng(seed))
    return Score(value=float(values.mean()), low=float(res.confidence_interval.low),
                 high=float(res.confidence_interval.high), rows=len(values))
