"""Self-checks for "Do statins started at the health screening prevent heart attacks?": public checks only
(run `q1.check()`).

The hidden tests that decide your grade are not here; passing these means you are on the right track.
Messages in Korean or English: locale/ko/LC_MESSAGES/checks.po beside this file (medai.selfcheck.messages).
"""
import math

import numpy as np
import pandas as pd

from medai.selfcheck import NotYet, Question, expect, expect_close, messages

_, _n, N_ = messages(__file__)

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
    expect(isinstance(got, pd.Series), _("statin_at_index should return a pandas Series, not {kind}.").format(
        kind=type(got).__name__))
    expect(list(got.index) == list(cohort.index), _("the Series should have the same index as `cohort` (one value per "
                                                    "row)."))
    values = [int(v) for v in got]
    expect(values[1] == 0, _("person 8 got metformin, not a statin: keep only the STATINS concept ids."))
    expect(values[2] == 0, _("person 9 started a statin almost two years AFTER the screening visit: that is not the "
                             "exposure at time zero (and such statins often follow an MI: the outcome causing the "
                             "'exposure')."))
    expect(values == [1, 0, 0, 1, 0], _("expected [1, 0, 0, 1, 0] for the five toy people; got {values}. Compare each "
                                        "statin's start date with that person's index date (pd.to_datetime "
                                        "both).").format(values=values))
    data = ns.get("data", pd.DataFrame)
    expect("statin" in data.columns, _("store the exposure in data['statin']."))


def _q2(ns):
    f = ns.function("effect_measures")
    got = f([1, 0, 0, 0, 1, 1, 0, 0], [1, 1, 1, 1, 0, 0, 0, 0])
    expect(isinstance(got, dict) and set(got) == EFFECT_KEYS, _("effect_measures should return a dict with the keys "
                                                                "{effect_keys}.").format(
        effect_keys=sorted(EFFECT_KEYS)))
    expect_close(got["risk_treated"], 0.25, _("risk_treated for y=[1,0,0,0,1,1,0,0], t=[1,1,1,1,0,0,0,0]"))
    expect_close(got["risk_untreated"], 0.5, _("risk_untreated on the same toy"))
    expect_close(got["arr"], 0.25, _("arr (risk_untreated - risk_treated: an absolute difference, not a relative one)"))
    expect_close(got["nnt"], 4.0, "nnt (1 / arr)")
    weighted = f([1, 0, 1, 0], [1, 1, 0, 0], [3, 1, 1, 1])
    expect_close(weighted["risk_treated"], 0.75, _("risk_treated with weights [3, 1, 1, 1] (sum(w*t*y) / sum(w*t))"))
    naive = ns.get("naive", dict)
    expect(EFFECT_KEYS <= set(naive), _("naive should be the dict effect_measures returns for the whole cohort."))


def _q3(ns):
    f = ns.function("smd")
    expect_close(f([1, 2, 3, 4], [1, 1, 0, 0]), -4.0,
                 _("smd([1, 2, 3, 4], t=[1, 1, 0, 0]) (means 1.5 and 3.5; variances 0.25 each, dividing by n)"))
    expect_close(f([1.0, float("nan"), 3.0, 5.0, 2.0], [1, 1, 0, 0, 1]), -math.sqrt(10),
                 _("smd([1, nan, 3, 5, 2], t=[1, 1, 0, 0, 1]) (leave the missing row out)"), rel=1e-9)
    expect_close(f([1, 2, 3, 4], [1, 1, 0, 0], weights=[1, 3, 1, 1]), -1.75 / math.sqrt(0.21875),
                 _("weighted smd (weighted means AND weighted variances)"), rel=1e-6)
    before = ns.get("smd_before", pd.Series)
    expect(list(before.index) == list(ns.get("BASELINE", list)), _("smd_before should be indexed by BASELINE, in "
                                                                   "order."))


def _q4(ns):
    confounders = list(ns.get("CONFOUNDERS", (list, tuple)))
    data = ns.get("data", pd.DataFrame)
    unknown = set(confounders) - set(data.columns)
    expect(not unknown, _("not columns of data: {unknown}.").format(unknown=sorted(unknown)))
    later = set(confounders) & _AFTER_TIME_ZERO
    expect(not later, _("{later}: recorded after time zero, or the outcome/treatment itself; the treatment can "
                        "change it, so adjusting for it removes part of the effect you want to estimate.").format(
                            later=sorted(later)))
    ids = set(confounders) & _NOT_COVARIATES
    expect(not ids, _("{ids}: identifiers and dates are not risk factors.").format(ids=sorted(ids)))
    expect(len(confounders) >= 5, _("only a few confounders: doctors weigh LDL, diabetes, hypertension, kidney function "
                                    "and age, each recorded as a diagnosis and as a measured value."))
    ps = ns.get("ps", np.ndarray)
    expect(ps.shape == (len(data),), _("ps should hold one probability per person ({n}); it has shape {shape}.").format(
        n=len(data), shape=ps.shape))
    expect(bool(((ps > 0) & (ps < 1)).all()), _("ps should be probabilities: predict_proba(...)[:, 1]."))


def _q5(ns):
    f = ns.function("ipw_weights")
    got = np.asarray(f(np.array([1, 0, 1, 0]), np.array([0.25, 0.25, 0.8, 0.8])), dtype=float)
    expect(np.allclose(got, [4.0, 4 / 3, 1.25, 5.0]),
           _("ipw_weights([1, 0, 1, 0], [0.25, 0.25, 0.8, 0.8]) should be [4, 1.333, 1.25, 5]; got "
             "{got}. The treated get 1/ps, the untreated 1/(1 - ps).").format(got=np.round(got, 3).tolist()))
    ipw = ns.get("ipw", dict)
    expect({"risk_treated", "risk_untreated", "risk_difference"} <= set(ipw), _("ipw should come from effect_measures."))
    after = ns.get("smd_after", pd.Series)
    before = ns.get("smd_before", pd.Series)
    expect(list(after.index) == list(before.index), _("smd_after should be indexed like smd_before (BASELINE)."))
    expect(not np.allclose(after.to_numpy(dtype=float), before.to_numpy(dtype=float)),
           _("smd_after equals smd_before: pass the weights to smd."))
    confounders = list(ns.get("CONFOUNDERS", (list, tuple)))
    bad = [c for c in confounders if c in after.index and abs(float(after[c])) >= 0.1]
    expect(not bad, _("still imbalanced after weighting (|SMD| >= 0.1): {bad}. Check the weights and the "
                      "propensity model.").format(bad=bad))


def _q6(ns):
    f = ns.function("standardised_risks")
    rng = np.random.default_rng(0)
    n = 400
    X = pd.DataFrame({"a": rng.normal(size=n)})
    t = (rng.random(n) < 0.5).astype(int)
    y = (rng.random(n) < 0.2 + 0.2 * (X["a"].to_numpy() > 0)).astype(int)
    got = f(X, t, y)
    expect(isinstance(got, tuple) and len(got) == 2, _("standardised_risks should return a pair of floats."))
    expect(list(X.columns) == ["a"], _("standardised_risks changed the DataFrame it was given: use X.assign(statin=...) "
                                       "to make a copy with the extra column."))
    gformula = ns.get("gformula", dict)
    expect({"risk_treated", "risk_untreated", "risk_difference"} <= set(gformula),
           _("gformula should be a dict with risk_treated, risk_untreated, risk_difference."))
    expect(math.isclose(gformula["risk_difference"], gformula["risk_treated"] - gformula["risk_untreated"],
                        abs_tol=1e-9), _("risk_difference should be risk_treated - risk_untreated."))


q1 = Question(N_("Q1 (exposure at time zero)"), _q1,
              N_("keep the statin rows, look up each one's person's index date (a Series indexed by person_id, "
                 "then .map), and keep the people whose statin starts on that date; .isin then gives 0/1 per person."))
q2 = Question(N_("Q2 (risks, ARR, NNT)"), _q2,
              N_("with w = 1 when no weights are given: risk_treated = sum(w * t * y) / sum(w * t); the rest follow."))
q3 = Question(N_("Q3 (standardised mean differences)"), _q3,
              N_("drop the rows where x is NaN first; then for each group use np.average(x, weights=w) for the mean "
                 "and np.average((x - mean) ** 2, weights=w) for the variance."))
q4 = Question(N_("Q4 (confounders and propensity score)"), _q4,
              N_("for every candidate ask: was it known at the screening visit, and could it affect both the doctor's "
                 "decision and the risk of MI? Then make_logistic().fit(X, t).predict_proba(X)[:, 1]."))
q5 = Question(N_("Q5 (IPW and balance)"), _q5,
              N_("weights = t / ps + (1 - t) / (1 - ps); pass them to effect_measures and to smd."))
q6 = Question(N_("Q6 (standardisation)"), _q6,
              N_("fit on X.assign(statin=t); then predict_proba on X.assign(statin=1) and on X.assign(statin=0) and "
                 "average each column of risks."))
