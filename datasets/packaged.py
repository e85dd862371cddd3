"""Real de-identified clinical data that ships inside installed packages (nothing is downloaded).

Each loader returns a fresh :class:`pandas.DataFrame` with snake_case column names and the outcome as
the last column, named for what it means clinically (``malignant``, ``progression``) rather than
``target``. scikit-learn is imported inside the loaders so that ``import medai.datasets`` stays light.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

# scikit-learn's diabetes columns s1..s6, named after the descriptions in its dataset card
_DIABETES_SERUM = {
    "s1": "total_cholesterol",
    "s2": "ldl",
    "s3": "hdl",
    "s4": "cholesterol_hdl_ratio",
    "s5": "log_triglycerides",
    "s6": "glucose",
}


def _snake(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", str(name).strip().lower()).strip("_")


def load_breast_cancer() -> "pd.DataFrame":
    """Breast cancer Wisconsin (Diagnostic): 569 patients, 30 features and a ``malignant`` outcome.

    Source: W. H. Wolberg, W. N. Street and O. L. Mangasarian, University of Wisconsin Hospitals,
    Madison (1995), from the UCI Machine Learning Repository (doi:10.24432/C5DW2B), as shipped in
    scikit-learn (``sklearn.datasets.load_breast_cancer``). Licence: distributed with scikit-learn
    under its BSD-3-Clause licence; the UCI record is CC BY 4.0. De-identified at source: no patient
    identifiers, only measurements of cell nuclei in a fine-needle aspirate image.

    Shape: 569 rows x 31 columns. Thirty float features (mean, standard error and "worst" value of
    ten nucleus measurements), named in snake_case, e.g. ``mean_radius``, ``radius_error``,
    ``worst_concave_points``; then ``malignant`` (int, 1 = malignant, 0 = benign; 212 malignant,
    357 benign), the reference standard being pathology. Note that scikit-learn's own ``target``
    codes 0 = malignant, 1 = benign; here it is inverted so that 1 means disease.
    """
    from sklearn import datasets

    bunch = datasets.load_breast_cancer(as_frame=True)
    frame = bunch.data.rename(columns=_snake).copy()
    names = list(bunch.target_names)  # ["malignant", "benign"]
    frame["malignant"] = (bunch.target.to_numpy() == names.index("malignant")).astype("int64")
    return frame


def load_diabetes() -> "pd.DataFrame":
    """Diabetes progression: 442 patients, 10 baseline variables and a ``progression`` outcome.

    Source: B. Efron, T. Hastie, I. Johnstone and R. Tibshirani, "Least Angle Regression", Annals of
    Statistics 32(2), 2004 (data published with the paper, https://hastie.su.domains/Papers/LARS/;
    it is not the UCI "Diabetes" data set), as shipped in scikit-learn
    (``sklearn.datasets.load_diabetes``). Licence: distributed with scikit-learn under its
    BSD-3-Clause licence. De-identified at source: no identifiers, only baseline measurements.

    Shape: 442 rows x 11 columns, in original (unscaled) units: ``age`` (years), ``sex`` (coded 1/2;
    the source does not say which is which), ``bmi`` (kg/m2), ``bp`` (mean arterial pressure, mmHg)
    and six blood serum measurements ``total_cholesterol``, ``ldl``, ``hdl``,
    ``cholesterol_hdl_ratio``, ``log_triglycerides`` and ``glucose`` (scikit-learn's s1..s6); then
    ``progression`` (float, a quantitative measure of disease progression one year after
    baseline, 25 to 346).
    """
    from sklearn import datasets

    bunch = datasets.load_diabetes(as_frame=True, scaled=False)
    frame = bunch.data.rename(columns=lambda c: _DIABETES_SERUM.get(c, _snake(c))).copy()
    frame["progression"] = bunch.target.to_numpy(dtype="float64")
    return frame
