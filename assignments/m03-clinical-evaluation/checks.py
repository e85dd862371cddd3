"""Self-checks for "Is this model ready for our screening centres?": public checks only (run `q1.check()`).

The hidden tests that decide your grade are not here; passing these means you are on the right track.
Messages in Korean or English: locale/ko/LC_MESSAGES/checks.po beside this file (medai.selfcheck.messages).
"""
import math

import numpy as np
import pandas as pd

from medai.selfcheck import NotYet, Question, expect, expect_close, messages

_, _n, N_ = messages(__file__)

CALIBRATION_KEYS = {"observed", "expected", "oe_ratio", "intercept", "slope"}
SITE_COLUMNS = {"intercept", "oe_before", "oe_after", "nb_before", "nb_after", "nb_treat_all"}
SUBGROUP_COLUMNS = ["n", "observed_events", "expected_events", "oe_ratio", "oe_lower", "oe_upper"]
TOY_Y = np.array([1, 1, 0, 0, 0, 0, 0, 0, 0, 0])
TOY_RISK = np.array([0.9, 0.3, 0.6, 0.2, 0.1, 0.1, 0.05, 0.05, 0.02, 0.01])


def _q1(ns):
    f = ns.function("threshold_from_harms")
    expect_close(f(1, 1), 0.5, _("threshold_from_harms(benefit 1, harm 1)"))
    got = f(3, 1)
    try:
        expect_close(got, 0.25, _("threshold_from_harms(benefit 3, harm 1)"))
    except NotYet as err:
        raise NotYet(_("{err} At the threshold p * benefit = (1 - p) * harm: solve for p. A bigger benefit of "
                       "treating should LOWER the risk at which you act.").format(err=err)) from None
    threshold = ns.get("THRESHOLD", (float, int))
    expect(0 < threshold < 0.5, _("THRESHOLD = {threshold}: with a benefit 19 times the harm, act at a low "
                                  "risk.").format(threshold=threshold))


def _q2(ns):
    nb = ns.function("net_benefit")
    nb_all = ns.function("net_benefit_treat_all")
    try:
        expect_close(nb(TOY_Y, TOY_RISK, 0.25), 0.2 - 0.1 / 3, _("net_benefit on the toy (TP = 2, FP = 1, n = 10, pt = "
                                                                 "0.25)"))
    except NotYet as err:
        raise NotYet(_("{err} Divide TP and FP by everyone (n), and weigh FP by pt / (1 - pt).").format(
            err=err)) from None
    expect_close(nb(TOY_Y, TOY_RISK, 0.3), 0.2 - 0.1 * 0.3 / 0.7,
                 _("net_benefit at threshold 0.3 (a risk equal to the threshold counts as positive)"))
    expect_close(nb_all(TOY_Y, 0.25), 0.2 - 0.8 / 3, _("net_benefit_treat_all on the toy"))
    curve = ns.get("decision_curve", pd.DataFrame)
    missing = {"model", "treat_all", "treat_none"} - set(curve.columns)
    expect(not missing, _("decision_curve lacks the column(s) {missing}.").format(missing=sorted(missing)))
    thresholds = ns.get("THRESHOLDS", np.ndarray)
    expect(len(curve) == len(thresholds), _("decision_curve should have one row per threshold in THRESHOLDS."))
    expect(bool((curve["treat_none"] == 0).all()), _("treating no one has a net benefit of 0 at every threshold."))


def _q3(ns):
    f = ns.function("calibration")
    got = f([0, 0, 0, 1], [0.5, 0.5, 0.5, 0.5])
    expect(isinstance(got, dict) and CALIBRATION_KEYS <= set(got), _("calibration should return a dict with the keys "
                                                                     "{calibration_keys}.").format(
        calibration_keys=sorted(CALIBRATION_KEYS)))
    expect_close(got["oe_ratio"], 0.5, _("oe_ratio when 25% had the outcome and the model said 50% (observed / "
                                         "expected)"))
    expect_close(got["intercept"], math.log(1 / 3), _("intercept on the same toy (logit(0.25) - logit(0.5))"), abs_=1e-6)
    rng = np.random.default_rng(0)
    risk = rng.uniform(0.02, 0.6, 2000)
    y = (rng.random(2000) < risk).astype(int)
    slope = f(y, risk)["slope"]
    expect(0.7 < slope < 1.3, _("slope = {slope:.2f} for a model that is calibrated by construction (about 1 expected): "
                                "regress y on logit(risk), not on risk, with LogisticRegression(C=np.inf).").format(
                                    slope=slope))
    by_site = ns.get("by_site", pd.DataFrame)
    expect(sorted(by_site.index) == [1, 2, 3], _("by_site should be indexed by care_site_id 1, 2, 3."))
    missing = ({"n", "auc"} | CALIBRATION_KEYS) - set(by_site.columns)
    expect(not missing, _("by_site lacks the column(s) {missing}.").format(missing=sorted(missing)))


def _q4(ns):
    f = ns.function("recalibrate")
    expect(np.allclose(np.asarray(f(np.array([0.5, 0.2]), 0.0), dtype=float), [0.5, 0.2]),
           _("recalibrate(risk, 0) should return the same risks."))
    expect_close(float(np.asarray(f(np.array([0.5]), math.log(3)), dtype=float)[0]), 0.75,
                 "recalibrate([0.5], log 3) (expit(log 3 + logit 0.5))")
    live = ns.get("live", pd.DataFrame)
    expect("risk_recal" in live.columns, _("add the column risk_recal to live."))
    expect(bool((live["period"] == "live").all()), _("live should hold the rows of the live period only."))
    results = ns.get("site_results", pd.DataFrame)
    missing = SITE_COLUMNS - set(results.columns)
    expect(not missing, _("site_results lacks the column(s) {missing}.").format(missing=sorted(missing)))
    expect(sorted(results.index) == [1, 2, 3], _("site_results should be indexed by care_site_id 1, 2, 3."))
    near_one = results["oe_after"].between(0.999, 1.001)
    expect(not near_one.all(), _("oe_after is exactly 1 in every hospital: was the intercept learnt on the live "
                                 "people you evaluate it on? Learn it on the silent period."))


def _q5(ns):
    f = ns.function("subgroup_calibration")
    table = f([1, 0, 1, 1, 0, 0], [0.5, 0.5, 0.25, 0.25, 0.25, 0.25],
              {"a": [True, True, False, False, False, False], "b": [False, False, True, True, True, True]})
    expect(isinstance(table, pd.DataFrame) and list(table.index) == ["a", "b"],
           _("subgroup_calibration should return a DataFrame with one row per subgroup, in order."))
    missing = set(SUBGROUP_COLUMNS) - set(table.columns)
    expect(not missing, _("the table lacks the column(s) {missing}.").format(missing=sorted(missing)))
    expect_close(table.loc["b", "oe_ratio"], 2.0, _("O/E of subgroup b (2 events observed, 1 expected)"))
    try:
        expect_close(table.loc["b", "oe_lower"], 2.0 * math.exp(-1.96 / math.sqrt(2)), _("oe_lower of subgroup b"))
    except NotYet as err:
        raise NotYet(_("{err} The CI width comes from the number of observed EVENTS (O = 2), not of people.").format(
            err=err)) from None
    subgroups = ns.get("subgroups", pd.DataFrame)
    expect(list(subgroups.index) == list(ns.get("SUBGROUPS", dict)), _("subgroups should have one row per SUBGROUPS "
                                                                       "entry."))


q1 = Question(N_("Q1 (threshold from harms)"), _q1,
              N_("write p * benefit = (1 - p) * harm and solve for p."))
q2 = Question(N_("Q2 (net benefit)"), _q2,
              N_("positive = risk >= threshold; TP and FP are counts; NB = TP/n - FP/n * t/(1 - t). Treat all: "
                 "everyone is positive."))
q3 = Question(N_("Q3 (calibration)"), _q3,
              N_("lp = special.logit(risk); the intercept solves special.expit(a + lp).mean() == observed "
                 "(optimize.brentq(lambda a: ..., -10, 10)); the slope is LogisticRegression(C=np.inf) fitted on "
                 "lp.reshape(-1, 1)."))
q4 = Question(N_("Q4 (silent deployment)"), _q4,
              N_("group the silent rows by care_site_id and take calibration(...)['intercept'] of each; map each live "
                 "person's site to its intercept, then recalibrate."))
q5 = Question(N_("Q5 (subgroups)"), _q5,
              N_("for each mask: O = y[mask].sum(), E = risk[mask].sum(); the CI multiplies O/E by "
                 "exp(-+1.96/sqrt(O))."))
