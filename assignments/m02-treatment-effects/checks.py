"""Self-checks for "Do statins started at the health screening prevent heart attacks?": public checks only
(run `q1.check()`).

The hidden tests that decide your grade are not here; passing these means you are on the right track.
"""
import math

import numpy as np
import pandas as pd

from medai.selfcheck import NotYet, Question, expect, expect_close

EFFECT_KEYS = {"risk_treated", "risk_untreated", "risk_difference", "relative_risk", "arr", "nnt"}
# columns recorded after the index date or that are the outcome: never adjusted for
_AFTER_TIME_ZERO = {"ldl_followup", "mi_5y", "statin"}
_NOT_COVARIATES = {"person_id", "index_date"}


def _q1(ns):
    f = ns.function("statin_at_index")
    statins = ns.get("STATINS", list)
    cohort = pd.DataFrame({"person_id": [7, 8, 9, 10, 11], "index_date": pd.to_datetime(["2017-05-10"] * 5)},
                          index=[100, 101, 102, 103, 104])
    drugs = pd.DataFrame({
        "person_id": [7, 8, 9, 10, 10],
        "drug_concept_id": [statins[0], 1503297, statins[1], statins[2], statins[0]],
        "drug_exposure_start_date": pd.to_datetime(["2017-05-10", "2017-05-10", "2019-02-01", "2017-05-10",
                                                    "2018-01-03"]).date,
    })
    got = f(drugs, cohort)
    expect(isinstance(got, pd.Series), f"statin_at_index should return a pandas Series, not {type(got).__name__}.")
    expect(list(got.index) == list(cohort.index), "the Series should have the same index as `cohort` (one value per row).")
    values = [int(v) for v in got]
    expect(values[1] == 0, "person 8 got metformin, not a statin: keep only the STATINS concept ids.")
    expect(values[2] == 0, "person 9 started a statin almost two years AFTER the screening visit: that is not the "
                           "exposure at time zero (and such statins often follow an MI: the outcome causing the "
                           "'exposure').")
    expect(values == [1, 0, 0, 1, 0], f"expected [1, 0, 0, 1, 0] for the five toy people; got {values}. Compare each "
                                      "statin's start date with that person's index date (pd.to_datetime both).")
    data = ns.get("data", pd.DataFrame)
    expect("statin" in data.columns, "store the exposure in data['statin'].")


def _q2(ns):
    f = ns.function("effect_measures")
    got = f([1, 0, 0, 0, 1, 1, 0, 0], [1, 1, 1, 1, 0, 0, 0, 0])
    expect(isinstance(got, dict) and set(got) == EFFECT_KEYS, f"effect_measures should return a dict with the keys "
                                                              f"{sorted(EFFECT_KEYS)}.")
    expect_close(got["risk_treated"], 0.25, "risk_treated for y=[1,0,0,0,1,1,0,0], t=[1,1,1,1,0,0,0,0]")
    expect_close(got["risk_untreated"], 0.5, "risk_untreated on the same toy")
    expect_close(got["arr"], 0.25, "arr (risk_untreated - risk_treated: an absolute difference, not a relative one)")
    expect_close(got["nnt"], 4.0, "nnt (1 / arr)")
    weighted = f([1, 0, 1, 0], [1, 1, 0, 0], [3, 1, 1, 1])
    expect_close(weighted["risk_treated"], 0.75, "risk_treated with weights [3, 1, 1, 1] (sum(w*t*y) / sum(w*t))")
    naive = ns.get("naive", dict)
    expect(EFFECT_KEYS <= set(naive), "naive should be the dict effect_measures returns for the whole cohort.")


def _q3(ns):
    f = ns.function("smd")
    expect_close(f([1, 2, 3, 4], [1, 1, 0, 0]), -4.0,
                 "smd([1, 2, 3, 4], t=[1, 1, 0, 0]) (means 1.5 and 3.5; variances 0.25 each, dividing by n)")
    expect_close(f([1.0, float("nan"), 3.0, 5.0, 2.0], [1, 1, 0, 0, 1]), -math.sqrt(10),
                 "smd([1, nan, 3, 5, 2], t=[1, 1, 0, 0, 1]) (leave the missing row out)", rel=1e-9)
    expect_close(f([1, 2, 3, 4], [1, 1, 0, 0], weights=[1, 3, 1, 1]), -1.75 / math.sqrt(0.21875),
                 "weighted smd (weighted means AND weighted variances)", rel=1e-6)
    before = ns.get("smd_before", pd.Series)
    expect(list(before.index) == list(ns.get("BASELINE", list)), "smd_before should be indexed by BASELINE, in order.")


def _q4(ns):
    confounders = list(ns.get("CONFOUNDERS", (list, tuple)))
    data = ns.get("data", pd.DataFrame)
    unknown = set(confounders) - set(data.columns)
    expect(not unknown, f"not columns of data: {sorted(unknown)}.")
    later = set(confounders) & _AFTER_TIME_ZERO
    expect(not later, f"{sorted(later)}: recorded after time zero, or the outcome/treatment itself; the treatment can "
                      "change it, so adjusting for it removes part of the effect you want to estimate.")
    ids = set(confounders) & _NOT_COVARIATES
    expect(not ids, f"{sorted(ids)}: identifiers and dates are not risk factors.")
    expect(len(confounders) >= 5, "only a few confounders: doctors weigh LDL, diabetes, hypertension, kidney function "
                                  "and age, each recorded as a diagnosis and as a measured value.")
    ps = ns.get("ps", np.ndarray)
    expect(ps.shape == (len(data),), f"ps should hold one probability per person ({len(data)}); it has shape {ps.shape}.")
    expect(bool(((ps > 0) & (ps < 1)).all()), "ps should be probabilities: predict_proba(...)[:, 1].")


def _q5(ns):
    f = ns.function("ipw_weights")
    got = np.asarray(f(np.array([1, 0, 1, 0]), np.array([0.25, 0.25, 0.8, 0.8])), dtype=float)
    expect(np.allclose(got, [4.0, 4 / 3, 1.25, 5.0]),
           f"ipw_weights([1, 0, 1, 0], [0.25, 0.25, 0.8, 0.8]) should be [4, 1.333, 1.25, 5]; got "
           f"{np.round(got, 3).tolist()}. The treated get 1/ps, the untreated 1/(1 - ps).")
    ipw = ns.get("ipw", dict)
    expect({"risk_treated", "risk_untreated", "risk_difference"} <= set(ipw), "ipw should come from effect_measures.")
    after = ns.get("smd_after", pd.Series)
    before = ns.get("smd_before", pd.Series)
    expect(list(after.index) == list(before.index), "smd_after should be indexed like smd_before (BASELINE).")
    expect(not np.allclose(after.to_numpy(dtype=float), before.to_numpy(dtype=float)),
           "smd_after equals smd_before: pass the weights to smd.")
    confounders = list(ns.get("CONFOUNDERS", (list, tuple)))
    bad = [c for c in confounders if c in after.index and abs(float(after[c])) >= 0.1]
    expect(not bad, f"still imbalanced after weighting (|SMD| >= 0.1): {bad}. Check the weights and the propensity model.")


def _q6(ns):
    f = ns.function("standardised_risks")
    rng = np.random.default_rng(0)
    n = 400
    X = pd.DataFrame({"a": rng.normal(size=n)})
    t = (rng.random(n) < 0.5).astype(int)
    y = (rng.random(n) < 0.2 + 0.2 * (X["a"].to_numpy() > 0)).astype(int)
    got = f(X, t, y)
    expect(isinstance(got, tuple) and len(got) == 2, "standardised_risks should return a pair of floats.")
    expect(list(X.columns) == ["a"], "standardised_risks changed the DataFrame it was given: use X.assign(statin=...) "
                                     "to make a copy with the extra column.")
    gformula = ns.get("gformula", dict)
    expect({"risk_treated", "risk_untreated", "risk_difference"} <= set(gformula),
           "gformula should be a dict with risk_treated, risk_untreated, risk_difference.")
    expect(math.isclose(gformula["risk_difference"], gformula["risk_treated"] - gformula["risk_untreated"],
                        abs_tol=1e-9), "risk_difference should be risk_treated - risk_untreated.")


q1 = Question("Q1 (exposure at time zero)", _q1,
              "keep the statin rows, look up each one's person's index date (a Series indexed by person_id, "
              "then .map), and keep the people whose statin starts on that date; .isin then gives 0/1 per person.")
q2 = Question("Q2 (risks, ARR, NNT)", _q2,
              "with w = 1 when no weights are given: risk_treated = sum(w * t * y) / sum(w * t); the rest follow.")
q3 = Question("Q3 (standardised mean differences)", _q3,
              "drop the rows where x is NaN first; then for each group use np.average(x, weights=w) for the mean "
              "and np.average((x - mean) ** 2, weights=w) for the variance.")
q4 = Question("Q4 (confounders and propensity score)", _q4,
              "for every candidate ask: was it known at the screening visit, and could it affect both the doctor's "
              "decision and the risk of MI? Then make_logistic().fit(X, t).predict_proba(X)[:, 1].")
q5 = Question("Q5 (IPW and balance)", _q5,
              "weights = t / ps + (1 - t) / (1 - ps); pass them to effect_measures and to smd.")
q6 = Question("Q6 (standardisation)", _q6,
              "fit on X.assign(statin=t); then predict_proba on X.assign(statin=1) and on X.assign(statin=0) and "
              "average each column of risks.")
