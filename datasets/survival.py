"""Real de-identified survival data that ships inside scikit-survival (ARFF files in ``sksurv/datasets/data``;
nothing is downloaded).

Each loader returns a fresh DataFrame: covariates in snake_case (categorical codes that are numbers become
integers, the others strings), then the event indicator (int, 1 = event) and the follow-up time, named for what
they mean. lifelines' copies of the same studies are not used: lifelines 0.30 requires pandas < 3, which
conflicts with the platform's pandas 3.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


def _snake(name: str) -> str:
    name = re.sub(r"([a-z])([A-Z])", r"\1_\2", str(name))
    return re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_")


def _frame(loader: str, *, event: str, time: str, rename: dict[str, str] | None = None, **kwargs) -> "pd.DataFrame":
    import pandas as pd
    from sksurv import datasets

    X, y = getattr(datasets, loader)(**kwargs)
    frame = pd.DataFrame(index=range(len(X)))
    for col in X.columns:
        values = X[col].reset_index(drop=True)
        if isinstance(values.dtype, pd.CategoricalDtype):
            text = values.astype("string")  # missing stays missing
            numeric = text.notna().all() and text.str.fullmatch(r"-?\d+").all()
            values = text.astype("int64") if numeric else text
        frame[(rename or {}).get(col, _snake(col))] = values.to_numpy()
    event_field, time_field = y.dtype.names
    frame[event] = y[event_field].astype("int64")
    frame[time] = y[time_field].astype("float64")
    return frame


def load_whas500() -> "pd.DataFrame":
    """Worcester Heart Attack Study: 500 patients admitted with acute myocardial infarction, 14 covariates,
    then ``died`` and ``followup_days`` (215 deaths). Source: Hosmer, Lemeshow and May, *Applied Survival
    Analysis*, 2nd ed., Wiley 2008. Binary covariates are 0/1 (``gender`` 1 = female)."""
    return _frame("load_whas500", event="died", time="followup_days",
                  rename={"afb": "atrial_fibrillation", "av3": "complete_heart_block", "chf": "heart_failure",
                          "cvd": "cardiovascular_disease_history", "diasbp": "diastolic_bp", "hr": "heart_rate",
                          "los": "length_of_stay_days", "miord": "recurrent_mi", "mitype": "q_wave_mi",
                          "sho": "cardiogenic_shock", "sysbp": "systolic_bp"})


def load_gbsg2() -> "pd.DataFrame":
    """German Breast Cancer Study Group 2: 686 node-positive breast cancer patients, 8 covariates, then
    ``recurrence_or_death`` and ``time_days`` (299 events). Source: Schumacher et al., J Clin Oncol 12:2086-2093
    (1994), via R's TH.data."""
    return _frame("load_gbsg2", event="recurrence_or_death", time="time_days",
                  rename={"horTh": "hormonal_therapy", "menostat": "menopausal_status", "pnodes": "positive_nodes",
                          "estrec": "estrogen_receptor", "progrec": "progesterone_receptor",
                          "tgrade": "tumour_grade", "tsize": "tumour_size_mm"})


def load_flchain() -> "pd.DataFrame":
    """Serum free light chains and mortality: 7,874 residents of Olmsted County, Minnesota, 9 covariates, then
    ``died`` and ``followup_days`` (2,169 deaths; ``creatinine`` has missing values). Source: Dispenzieri et
    al., Mayo Clin Proc 87:517-523 (2012), via R's survival package."""
    return _frame("load_flchain", event="died", time="followup_days",
                  rename={"chapter": "death_cause_chapter", "flc.grp": "flc_group", "kappa": "kappa_flc",
                          "lambda": "lambda_flc", "sample.yr": "sample_year"})


def load_veterans_lung_cancer() -> "pd.DataFrame":
    """Veterans' Administration lung cancer trial: 137 men with advanced inoperable lung cancer, 6 covariates,
    then ``died`` and ``survival_days`` (128 deaths). Source: Kalbfleisch and Prentice, *The Statistical
    Analysis of Failure Time Data*, Wiley 1980."""
    return _frame("load_veterans_lung_cancer", event="died", time="survival_days",
                  rename={"Age_in_years": "age", "Karnofsky_score": "karnofsky_score",
                          "Months_from_Diagnosis": "months_from_diagnosis"})


def load_aids_actg320() -> "pd.DataFrame":
    """AIDS Clinical Trials Group study 320: 1,151 HIV-infected patients randomised to two or three drugs,
    11 covariates, then ``aids_or_death`` and ``time_days`` (96 events). Source: Hammer et al., N Engl J Med
    337:725-733 (1997), via Hosmer, Lemeshow and May (2008)."""
    return _frame("load_aids", event="aids_or_death", time="time_days", endpoint="aids",
                  rename={"hemophil": "hemophilia", "karnof": "karnofsky_score", "priorzdv": "prior_zdv_months",
                          "raceth": "race_ethnicity", "tx": "treatment_includes_idv", "txgrp": "treatment_group"})
