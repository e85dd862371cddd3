"""Self-checks for "Interpretability and fairness": public checks only (run `q1.check()`).

The hidden tests that decide your grade are not here; passing these means you are on the right track.
Messages in Korean or English: locale/ko/LC_MESSAGES/checks.po beside this file (medai.selfcheck.messages).
"""
import math

import numpy as np

from medai.selfcheck import Question, expect, messages

_, _n, N_ = messages(__file__)


class _OnlyA:
    """A toy 'model' whose risk depends on column a only."""

    def predict_proba(self, X):
        p = 1 / (1 + np.exp(-np.asarray(X["a"], dtype=float)))
        return np.column_stack([1 - p, p])


def _q1(ns):
    import pandas as pd

    f = ns.function("permutation_importance_auc")
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
    y = (X["a"] + rng.normal(size=200) > 0).astype(int).to_numpy()
    kept = X.copy()
    imp = f(_OnlyA(), X, y, n_repeats=3, seed=1)
    expect(X.equals(kept), _("your function changed X: shuffle a copy (X.copy()), never X itself."))
    expect(isinstance(imp, pd.Series), _("return a pandas Series, not a {kind}.").format(kind=type(imp).__name__))
    expect(set(imp.index) == {"a", "b"}, _("the Series should be indexed by the column names; yours: {index}.").format(
        index=list(imp.index)))
    expect(imp["b"] == 0, _("the toy model ignores column b, so permuting it cannot change the AUC; you got "
                            "{b:.4f}.").format(b=imp['b']))
    expect(imp["a"] > 0, _("permuting the only column the model uses should LOWER the AUC: importance = "
                           "baseline AUC - permuted AUC, a positive number."))
    expect(list(imp.index) == ["a", "b"], _("sort the Series from most to least important."))


def _q2(ns):
    imp = ns.get("risk_importance")
    features = ns.get("FEATURES", list)
    expect(set(imp.index) == set(features), _("risk_importance should have one value per feature of the risk model."))
    expect(imp.index[0] == "age", _("the most important feature should be age; yours is {index}.").format(
        index=imp.index[0]))


def _q3(ns):
    import torch

    grad_cam = ns.function("grad_cam")
    cnn, layer, slices, test = ns.get("cnn"), ns.get("target_layer"), ns.get("slices"), ns.get("cnn_test")
    cam = grad_cam(cnn, layer, torch.as_tensor(slices[test[0]][None]), target_class=1)
    expect(isinstance(cam, np.ndarray), _("grad_cam should return a NumPy array, not a {kind}: use "
                                          ".detach().cpu().numpy().").format(kind=type(cam).__name__))
    expect(cam.shape == (64, 64), _("the heat map should have the image's size (64, 64); yours is {shape}: upsample "
                                    "with F.interpolate and drop the batch and channel axes.").format(shape=cam.shape))
    expect(len(layer._forward_hooks) == 0 and len(layer._backward_hooks) == 0,
           _("a hook is still registered on the layer: keep the handle and call handle.remove() in a finally block."))
    expect(float(cam.min()) >= 0, _("the heat map has negative values: apply ReLU to the weighted sum of the maps."))
    expect(math.isclose(float(cam.max()), 1.0, abs_tol=1e-5), _("divide the heat map by its maximum."))
    expect(not cnn.training, _("after grad_cam the model should be in evaluation mode (model.eval())."))


def _q4(ns):
    remove, add = ns.function("remove_marker"), ns.function("add_marker")
    x = np.full((2, 64, 64), 0.5)
    r, a = remove(x), add(x)
    expect(np.all(x == 0.5), _("remove_marker/add_marker changed their input: work on np.array(images, copy=True)."))
    expect(np.all(r[:, 2:8, 2:8] == 0) and np.all(a[:, 2:8, 2:8] == 1),
           _("set the MARKER region (rows 2-7, columns 2-7) to 0.0 or 1.0."))
    expect(np.sum(r != x) == 2 * 36 and np.sum(a != x) == 2 * 36, _("change nothing outside the MARKER region."))
    for name in ("acc_internal", "acc_no_marker", "acc_swapped"):
        value = ns.get(name)
        expect(0 <= float(value) <= 1, _("{name} should be an accuracy between 0 and 1.").format(name=name))


def _q5(ns):
    import pandas as pd

    f = ns.function("subgroup_metrics")
    t = [1, 0, 1, 0, 1, 0, 0, 0]
    p = [0.9, 0.2, 0.05, 0.6, 0.3, 0.1, 0.01, 0.02]
    g = ["a", "a", "a", "a", "b", "b", "b", "b"]
    tab = f(t, p, g, 0.5)
    expect(isinstance(tab, pd.DataFrame), _("subgroup_metrics should return a DataFrame, not a {kind}.").format(
        kind=type(tab).__name__))
    want = {"n", "events", "auc", "sensitivity", "specificity", "ppv", "mean_risk", "observed_risk"}
    expect(set(tab.columns) == want, _("the columns should be exactly {want}; yours: {columns}.").format(
        want=sorted(want), columns=sorted(tab.columns)))
    expect(set(tab.index) == {"a", "b"}, _("one row per group value, indexed by the group."))
    row = tab.loc["a"]
    expect(math.isclose(row["sensitivity"], 0.5), _("group a has 2 events, 1 of them positive at 0.5: sensitivity 0.5; "
                                                    "yours {sensitivity:.3f}. The denominator is the EVENTS.").format(
                                                        sensitivity=row['sensitivity']))
    expect(math.isclose(row["specificity"], 0.5), _("group a: 2 non-events, 1 of them negative: specificity 0.5."))
    expect(math.isclose(row["ppv"], 0.5), _("group a: 2 positives, 1 with the outcome: PPV 0.5."))
    expect(math.isclose(row["mean_risk"], np.mean(p[:4])), _("mean_risk is the mean predicted risk in the group."))
    b = tab.loc["b"]
    expect(np.isnan(b["ppv"]), _("group b has no positives at 0.5: its PPV should be NaN, not 0 or an error."))


def _q6(ns):
    by_age = ns.get("by_age")
    expect(set(by_age.index) == {"<50", "50-64", "65+"}, _("by_age should have one row per age band."))
    gap = ns.get("sensitivity_gap_age", float)
    expect(math.isclose(gap, by_age["sensitivity"].max() - by_age["sensitivity"].min(), abs_tol=1e-12),
           _("sensitivity_gap_age: the largest minus the smallest sensitivity in by_age."))
    oe = ns.get("site_oe_ratio")
    by_site = ns.get("by_site")
    expect(np.allclose(oe.loc[by_site.index].to_numpy(dtype=float),
                       (by_site["observed_risk"] / by_site["mean_risk"]).to_numpy(dtype=float)),
           _("site_oe_ratio: observed event rate divided by mean predicted risk, per site."))


q1 = Question(N_("Q1 (permutation_importance_auc)"), _q1, N_("baseline first; then for column in X.columns: for each "
                 "repeat: shuffled = X.copy(); shuffled[column] = X[column].to_numpy()[rng.permutation(len(X))]."))
q2 = Question(N_("Q2 (importance on the test half)"), _q2, N_("the held-out data are X_test and y_test."))
q3 = Question(N_("Q3 (grad_cam)"), _q3, N_("in the forward hook keep `output` and call output.register_hook(...) to "
                                           "catch its gradient; weights = gradient.mean(dim=(2, 3), keepdim=True)."))
q4 = Question(N_("Q4 (the shortcut test)"), _q4, N_("out = np.array(images, copy=True); out[:, MARKER[0], MARKER[1]] = "
                                                    "0.0; for the swap, np.where on the labels picks per slice."))
q5 = Question(N_("Q5 (subgroup_metrics)"), _q5, N_("loop over np.unique(np.asarray(groups)); inside, build boolean "
                                                   "arrays for events and positives and divide only when the "
                                                   "denominator is > 0."))
q6 = Question(N_("Q6 (the audit)"), _q6, N_("subgroup_metrics(y_test, risk_test_prob, test['age_band'], THRESHOLD); "
                 "then by_age['sensitivity'].max() - by_age['sensitivity'].min()."))
