"""Self-checks for "Clinical risk prediction with scikit-learn pipelines": public checks only (run `q1.check()`).

The hidden tests that decide your grade are not here; passing these means you are on the right track.
Messages in Korean or English: locale/ko/LC_MESSAGES/checks.po beside this file (medai.selfcheck.messages).
"""
import numpy as np
import pandas as pd

from medai.selfcheck import NotYet, Question, expect, expect_close, messages

_, _n, N_ = messages(__file__)

# columns whose value is measured or recorded at (or before) the screening visit, per the data dictionary
_AT_SCREENING = {"age", "male", "smoker", "diabetes", "hypertension", "hyperlipidemia", "ckd", "statin",
                 "prior_visits", "sbp", "bmi", "ldl", "hba1c", "egfr"}


def _q1(ns):
    f = ns.function("univariate_auc")
    X = pd.DataFrame({"up": [1.0, 2.0, 3.0, 4.0], "down": [4.0, 3.0, 2.0, 1.0], "flat": [1.0, 1.0, 1.0, 1.0],
                      "gap": [np.nan, 1.0, 0.0, 1.0]})
    y = pd.Series([0, 0, 1, 1])
    try:
        got = f(X, y)
    except ValueError as err:
        raise NotYet(_("univariate_auc raised ValueError ({error}): did you leave out the missing rows of each "
                       "column before computing its AUC?").format(error=err)) from None
    expect(isinstance(got, pd.Series), _("univariate_auc should return a pandas Series, not {kind}.").format(
        kind=type(got).__name__))
    expect(set(got.index) == set(X.columns), _("index the Series by column name: {columns}.").format(
        columns=list(X.columns)))
    expect_close(got["up"], 1.0, _("AUC of a column that rises with the label"))
    expect_close(got["down"], 0.0, _("AUC of a column that falls with the label (not 1 - AUC: keep the direction)"))
    expect_close(got["flat"], 0.5, _("AUC of a constant column"))
    expect_close(got["gap"], 0.25, _("AUC of 'gap' once its missing row is left out"))
    expect(list(got.index[:2]) in (["up", "down"], ["down", "up"]) and got.index[-1] == "flat",
           _("sort by |AUC - 0.5|, largest first: got {order}.").format(order=list(got.index)))


def _q2(ns):
    leaky = ns.get("LEAKY", (list, tuple, set))
    candidates = set(ns.get("CANDIDATES", list))
    expect(len(leaky) > 0, _("LEAKY is empty: look again at how each column was made."))
    unknown = set(leaky) - candidates
    expect(not unknown, _("not candidate columns: {columns}.").format(columns=sorted(unknown)))
    honest = set(leaky) & _AT_SCREENING
    expect(not honest, _("{columns}: the data dictionary says these were measured or recorded on or before "
                         "the screening visit, so they were known then. A strong predictor is not a leak.").format(
        columns=sorted(honest)))


def _q3(ns):
    from sklearn.pipeline import Pipeline

    f = ns.function("make_model")
    model = f(["a", "b"], ["c"])
    expect(isinstance(model, Pipeline), _("make_model should return a sklearn Pipeline, not {kind}.").format(
        kind=type(model).__name__))
    expect(not hasattr(model, "classes_") and not hasattr(model.steps[-1][1], "coef_"),
           _("make_model should return an UNFITTED pipeline: fitting happens later, on each training fold."))
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60), "c": rng.integers(0, 2, 60)})
    X.loc[::4, "a"] = np.nan
    y = (rng.random(60) < 0.3).astype(int)
    try:
        risk = model.fit(X, y).predict_proba(X)[:, 1]
    except ValueError as err:
        raise NotYet(_("fitting on data with missing values failed ({error}): the imputer belongs inside the "
                       "pipeline.").format(error=err)) from None
    expect(risk.shape == (60,), _("predict_proba should give one risk per row."))
    final = model.steps[-1][1]
    expect(type(final).__name__ == "LogisticRegression", _("the last step should be a LogisticRegression."))
    expect(f(["a", "b"], ["c"], "balanced").steps[-1][1].class_weight == "balanced",
           _("pass class_weight on to LogisticRegression."))
    expect(f(["a", "b"], ["c"]) is not f(["a", "b"], ["c"]), _("build a NEW pipeline on every call."))


def _q4(ns):
    data = ns.get("data", pd.DataFrame)
    X_dev, X_ext = ns.get("X_dev", pd.DataFrame), ns.get("X_ext", pd.DataFrame)
    sites_dev = set(data.loc[X_dev.index, "care_site_id"])
    expect(sites_dev == {1, 2}, _("X_dev should hold sites 1 and 2 only; it holds {sites}.").format(
        sites=sorted(sites_dev)))
    expect(set(data.loc[X_ext.index, "care_site_id"]) == {3}, _("X_ext should hold site 3 only."))
    expect(list(X_dev.columns) == ns.get("FEATURES", list), _("X_dev should have the FEATURES columns."))
    cv_auc = ns.get("cv_auc", (float, np.floating))
    expect(0.5 < cv_auc < 1, _("cv_auc = {auc:.3f} is not an AUC of a useful model.").format(auc=cv_auc))
    expect(cv_auc < 0.9, _("cv_auc = {auc:.3f} is too good for risk factors measured at a screening visit: "
                           "is a leaking column still among your FEATURES?").format(auc=cv_auc))


def _q5(ns):
    external = ns.get("external", pd.DataFrame)
    expect(set(external.index) == {"unweighted", "balanced"}, _("index `external` by 'unweighted' and 'balanced'."))
    want = {"auc", "brier", "mean_risk", "observed", "sensitivity", "flagged"}
    expect(set(external.columns) == want, _("the columns should be {columns}.").format(columns=sorted(want)))
    risk = ns.get("ext_risk", dict)
    n = len(ns.get("X_ext", pd.DataFrame))
    for name in ("unweighted", "balanced"):
        expect(name in risk and len(risk[name]) == n,
               _("ext_risk['{name}'] should hold one risk per external person.").format(name=name))
    row = external.loc["unweighted"]
    expect(np.isclose(row["mean_risk"], np.mean(risk["unweighted"])), _("mean_risk is the mean of the predicted risks."))
    expect(np.isclose(row["flagged"], np.mean(np.asarray(risk["unweighted"]) >= 0.5)),
           _("flagged is the proportion of everyone with a predicted risk >= 0.5."))
    expect(np.isclose(external.loc["unweighted", "auc"], external.loc["balanced", "auc"], atol=0.02),
           _("class weights barely change how a logistic model ranks people, so the two AUCs should be close: "
             "fit both models on the same development data."))
    expect(row["observed"] < 0.3, _("observed is the proportion of external people with an MI within 5 years."))


q1 = Question(N_("Q1 (univariate screen)"), _q1,
              N_("for each column: ok = X[c].notna(); roc_auc_score(y[ok], X[c][ok]); then sort by "
                 "(auc - 0.5).abs()."))
q2 = Question(N_("Q2 (leaking columns)"), _q2,
              N_("for each column ask: could its value have changed AFTER the screening visit? Read the SQL in "
                 "extract.py: which columns do not compare a date with b.index_date?"))
q3 = Question(N_("Q3 (pipeline)"), _q3,
              N_("ColumnTransformer([('numeric', Pipeline([...imputer..., ...scaler...]), numeric), "
                 "('binary', 'passthrough', binary)]) inside Pipeline([... , ('model', LogisticRegression(...))])."))
q4 = Question(N_("Q4 (site split and cross-validation)"), _q4,
              N_("data['care_site_id'].isin(DEV_SITES) selects the development sites; cross_val_score clones and "
                 "refits your pipeline on each training fold."))
q5 = Question(N_("Q5 (external validation)"), _q5,
              N_("loop over the two class weights; fit on X_dev, y_dev; risk = model.predict_proba(X_ext)[:, 1]; "
                 "build one dict of metrics per model and pd.DataFrame(rows).T."))
