"""Self-checks for "Survival after myocardial infarction": public checks only (run `q1.check()`).

The hidden tests that decide your grade are not here; passing these means you are on the right track.
Messages in Korean or English: locale/ko/LC_MESSAGES/checks.po beside this file (medai.selfcheck.messages).
"""
import math

import numpy as np
import pandas as pd

from medai.selfcheck import NotYet, Question, expect, expect_close, messages

_, _n, N_ = messages(__file__)

# a toy cohort of six patients: times and 1 = died / 0 = censored
TOY_TIME = [1, 2, 2, 3, 4, 5]
TOY_EVENT = [1, 1, 0, 1, 0, 1]
TOY_TABLE = pd.DataFrame({"time": [1.0, 2.0, 3.0, 5.0], "at_risk": [6, 5, 3, 1], "events": [1, 1, 1, 1],
                          "survival": [5 / 6, 2 / 3, 4 / 9, 0.0]})
KM_COLUMNS = ["time", "at_risk", "events", "survival"]
HR_COLUMNS = ["hazard_ratio", "lower", "upper", "p_value"]


def _q1(ns):
    table = ns.function("kaplan_meier")(list(TOY_TIME), list(TOY_EVENT))
    expect(isinstance(table, pd.DataFrame), _("kaplan_meier should return a DataFrame, not a {kind}.").format(
        kind=type(table).__name__))
    expect(list(table.columns) == KM_COLUMNS, _("the columns should be {km_columns}; yours are {columns}.").format(
        km_columns=KM_COLUMNS, columns=list(table.columns)))
    times = [float(t) for t in table["time"]]
    expect(times == [1.0, 2.0, 3.0, 5.0],
           _("for time={toy_time}, event={toy_event} the rows are the death times [1, 2, 3, 5]; yours "
             "are {times}. Censored times (event 0) get no row of their own.").format(
                 toy_time=TOY_TIME, toy_event=TOY_EVENT, times=times))
    at_risk = [int(n) for n in table["at_risk"]]
    expect(at_risk == [6, 5, 3, 1],
           _("at_risk should be [6, 5, 3, 1]; yours is {at_risk}. At time 2, the patient censored at "
             "2 is still at risk (time >= 2): censoring at t means 'alive at t'.").format(at_risk=at_risk))
    expect([int(d) for d in table["events"]] == [1, 1, 1, 1], _("events should count the deaths at each time: [1, 1, "
                                                                "1, 1]."))
    survival = table["survival"].to_numpy(dtype=float)
    expect(np.allclose(survival, TOY_TABLE["survival"]),
           _("survival should be [5/6, 2/3, 4/9, 0]; yours is {survival}. Multiply the conditional "
             "survivals (1 - events / at_risk) from the first death time on; do not divide by the "
             "original number of patients.").format(survival=np.round(survival, 4).tolist()))
    shuffled = ns.function("kaplan_meier")(np.array(TOY_TIME[::-1], dtype=float), np.array(TOY_EVENT[::-1], dtype=bool))
    expect(np.allclose(shuffled["survival"].to_numpy(dtype=float), TOY_TABLE["survival"]),
           _("with the same patients in another order (and events as True/False) the table should not change."))


def _q2(ns):
    at = ns.function("survival_at")
    for t, want, why in ((0.5, 1.0, _("before the first death")), (1.0, 5 / 6, _("at a death time, its deaths included")),
                         (2.5, 2 / 3, _("between two deaths the curve is flat")), (9.0, 0.0, _("after the last death"))):
        try:
            expect_close(at(TOY_TABLE.copy(), t), want, f"survival_at(toy, {t}) ({why})", rel=1e-9, abs_=1e-12)
        except NotYet as err:
            raise NotYet(_("{err} The toy table is {table}.").format(
                err=err, table=TOY_TABLE[["time", "survival"]].round(3).to_dict("list"))) from None
    expect_close(ns.function("median_survival")(TOY_TABLE.copy()), 3.0,
                 _("median_survival(toy) (the first death time with survival <= 0.5)"))
    never = pd.DataFrame({"time": [1.0, 2.0], "at_risk": [10, 9], "events": [1, 1], "survival": [0.9, 0.8]})
    got = ns.function("median_survival")(never)
    expect(isinstance(got, float) and math.isnan(got), _("when the curve never reaches 0.5, return float('nan')."))
    mortality = ns.get("km_mortality_5y", float)
    expect(0 < mortality < 1, _("km_mortality_5y = {mortality}: a probability of dying, 1 - S(5 years).").format(
        mortality=mortality))
    median = ns.get("median_years", float)
    expect(0 < median < 7, _("median_years = {median}: a time in years within the follow-up.").format(median=median))


def _q3(ns):
    table = ns.get("km_hf", pd.DataFrame)
    expect(sorted(table.index) == [0, 1], _("index km_hf by heart_failure (0 and 1); yours is {index}.").format(
        index=list(table.index)))
    missing = {"survival", "lower", "upper"} - set(table.columns)
    expect(not missing, _("km_hf lacks the column(s) {missing}.").format(missing=sorted(missing)))
    for group in (0, 1):
        lo, s, hi = (float(table.loc[group, c]) for c in ("lower", "survival", "upper"))
        expect(0 <= lo < s < hi <= 1, _("heart_failure == {group}: expected 0 <= lower < survival < upper <= 1, got "
                                        "({lo:.3f}, {s:.3f}, {hi:.3f}). Did you pass conf_type=\"log-log\"?").format(
                                            group=group, lo=lo, s=s, hi=hi))
    expect(float(table.loc[0, "survival"]) != float(table.loc[1, "survival"]),
           _("both groups have the same survival: select the patients of each group before estimating."))


def _q4(ns):
    f = ns.function("logrank_test")
    got = f([1, 2, 3, 4], [1, 1, 1, 1], [1, 1, 0, 0])
    expect(isinstance(got, dict) and set(got) == {"observed", "expected", "chisq", "p_value"},
           _("logrank_test should return a dict with the keys observed, expected, chisq, p_value."))
    expect_close(got["observed"], 2, _("observed deaths in group 1 for times [1, 2, 3, 4], all died, group [1, 1, 0, "
                                       "0]"))
    expect_close(got["expected"], 5 / 6, _("expected deaths in group 1 (1 x 2/4 at t = 1, then 1 x 1/3 at t = 2)"),
                 rel=1e-9)
    variance = 1 / 4 + 2 / 9
    try:
        expect_close(got["chisq"], (2 - 5 / 6) ** 2 / variance, _("chisq on the toy example"), rel=1e-9)
    except NotYet as err:
        raise NotYet(_("{err} Use the hypergeometric variance V = sum d (n1/n)(1 - n1/n)(n - d)/(n - 1) (here "
                       "1/4 + 2/9), not sum (O - E)^2 / E.").format(err=err)) from None
    table = ns.get("logrank_table", pd.DataFrame)
    bins = ns.get("BINARY", list)
    expect(sorted(table.index) == sorted(bins), _("logrank_table should have one row per covariate in {bins}.").format(
        bins=bins))
    expect({"observed", "expected", "chisq", "p_value"} <= set(table.columns),
           _("logrank_table needs the columns observed, expected, chisq, p_value."))


def _q5(ns):
    f = ns.function("hazard_ratios")
    fit = pd.DataFrame({"coef": [0.0, math.log(2)], "se": [0.1, 0.2]}, index=["a", "b"])
    got = f(fit)
    expect(isinstance(got, pd.DataFrame) and list(got.columns) == HR_COLUMNS,
           _("hazard_ratios should return a DataFrame with the columns {hr_columns}.").format(hr_columns=HR_COLUMNS))
    expect(list(got.index) == ["a", "b"], _("keep the covariate names as the index."))
    expect_close(got.loc["b", "hazard_ratio"], 2.0, _("hazard ratio for coef = log 2"))
    lo, hi = float(got.loc["b", "lower"]), float(got.loc["b", "upper"])
    expect(lo > 0, _("lower = {lo:.3f}: a hazard ratio's CI can never go below 0. Build the interval on the "
                     "log scale (coef ± 1.96 SE), then exponentiate both ends.").format(lo=lo))
    expect(math.isclose(math.log(hi) - math.log(2), math.log(2) - math.log(lo), rel_tol=1e-6),
           _("the CI ({lo:.3f}, {hi:.3f}) should be symmetric around log HR on the log scale, not "
             "around HR.").format(lo=lo, hi=hi))
    expect_close(got.loc["a", "p_value"], 1.0, _("p-value for coef = 0"))


def _q6(ns):
    whas = ns.get("whas", pd.DataFrame)
    expect("age_per_10y" in whas.columns, _("add the column whas['age_per_10y'] first."))
    expect(whas["age_per_10y"].between(2, 11).all(), _("age_per_10y should be age in decades (age / 10)."))
    for name, want in (("hr_crude", ["female"]), ("hr_adjusted", ["female", "age_per_10y"]),
                       ("hr_full", list(ns.get("FULL_MODEL", list)))):
        table = ns.get(name, pd.DataFrame)
        expect(list(table.index) == want, _("{name} should have the rows {want}; it has {index}.").format(
            name=name, want=want, index=list(table.index)))
        expect(list(table.columns) == HR_COLUMNS, _("{name} should be a hazard_ratios table ({hr_columns}).").format(
            name=name, hr_columns=HR_COLUMNS))


q1 = Question(N_("Q1 (Kaplan-Meier by hand)"), _q1,
              N_("for each distinct death time t: at_risk = how many have time >= t, events = how many died at t; "
                 "then survival = np.cumprod(1 - events / at_risk)."))
q2 = Question(N_("Q2 (reading the curve)"), _q2,
              N_("keep the rows whose time is <= t and take the last survival value; if there is none, survival is 1."))
q3 = Question(N_("Q3 (heart failure with scikit-survival)"), _q3,
              N_("call kaplan_meier_estimator(event.astype(bool), time, conf_type=\"log-log\") on each group; it "
                 "returns (times, survival, ci) where ci[0] and ci[1] are the lower and upper bounds. The value at "
                 "3 years is at the last time <= 3 (np.searchsorted(times, 3.0, side=\"right\") - 1)."))
q4 = Question(N_("Q4 (log-rank test)"), _q4,
              N_("loop over the distinct death times as in Q1; at each, n and n1 count those at risk overall and in "
                 "group 1, d the deaths; add d1 to O, d * n1 / n to E, and the variance term to V."))
q5 = Question(N_("Q5 (hazard ratios)"), _q5,
              N_("work on the coefficient scale first: coef ± z * se with z = stats.norm.ppf(0.975), then np.exp; "
                 "the p-value is 2 * stats.norm.sf(abs(coef / se))."))
q6 = Question(N_("Q6 (crude and adjusted hazard ratios)"), _q6,
              N_("hazard_ratios(fit_cox(whas, [...])) for each list of covariates; create age_per_10y before fitting."))
