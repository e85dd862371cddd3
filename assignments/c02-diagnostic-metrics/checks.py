"""Self-checks for "Diagnostic test metrics on real data": public checks only (run `q1.check()`).

The hidden tests that decide your grade are not here; passing these means you are on the right track.
Messages in Korean or English: locale/ko/LC_MESSAGES/checks.po beside this file (medai.selfcheck.messages).
"""
from medai.selfcheck import NotYet, Question, expect, expect_close, messages

_, _n, N_ = messages(__file__)

TOY_TRUE = [1, 1, 0, 0, 1, 0]
TOY_PRED = [1, 0, 1, 0, 1, 0]
TOY_COUNTS = {"tp": 90, "fp": 30, "fn": 10, "tn": 270}


def _q1(ns):
    counts = ns.function("confusion_counts")(TOY_TRUE, TOY_PRED)
    expect(isinstance(counts, dict), _("confusion_counts should return a dict, not a {kind}.").format(
        kind=type(counts).__name__))
    expect(set(counts) == {"tp", "fp", "fn", "tn"},
           _("the keys should be exactly 'tp', 'fp', 'fn', 'tn'; yours are {keys}.").format(keys=sorted(counts)))
    want = {"tp": 2, "fp": 1, "fn": 1, "tn": 2}
    wrong = [k for k in want if counts[k] != want[k]]
    expect(not wrong, _("for y_true={y_true} and y_pred={y_pred} the table is {want}; yours has {yours}. A false "
                        "positive is a positive test in someone WITHOUT the disease.").format(
        y_true=TOY_TRUE, y_pred=TOY_PRED, want=want, yours=", ".join(f"{k}={counts[k]}" for k in wrong)))


def _q2(ns):
    for name, want, meaning in (
        ("sensitivity", 0.9, _("tp / (tp + fn): among those WITH the disease")),
        ("specificity", 0.9, _("tn / (tn + fp): among those WITHOUT the disease")),
        ("ppv", 0.75, _("tp / (tp + fp): among those who test POSITIVE")),
        ("npv", 270 / 280, _("tn / (tn + fn): among those who test NEGATIVE")),
    ):
        got = ns.function(name)(dict(TOY_COUNTS))
        try:
            expect_close(got, want, f"{name}({TOY_COUNTS})", rel=1e-4)
        except NotYet as err:
            raise NotYet(_("{error} Remember {name} = {meaning}.").format(
                error=err, name=name, meaning=meaning)) from None


def _q3(ns):
    f = ns.function("ppv_at_prevalence")
    expect_close(f(0.9, 0.9, 0.5), 0.9, "ppv_at_prevalence(0.9, 0.9, 0.5)", rel=1e-6)
    low, high = f(0.9, 0.95, 0.01), f(0.9, 0.95, 0.37)
    expect(low < high, _("PPV should fall when prevalence falls: compare your values at 1% and 37%."))
    expect(0 < low < 0.2, _("at 1% prevalence most positives are false positives, so PPV is small; you got {low:.3f}. "
                            "Weigh the true positives (sens x prevalence) against the false positives "
                            "((1 - spec) x (1 - prevalence)).").format(low=low))


def _q4(ns):
    auc = ns.get("auc", float)
    expect(0.5 < auc <= 1, _("auc = {auc:.3f}: this score separates cancer from benign better than chance.").format(
        auc=auc))
    ci = ns.get("auc_ci", (tuple, list))
    expect(len(ci) == 2, _("auc_ci should be a pair (lo, hi)."))
    expect(ci[0] < auc < ci[1], _("the interval ({lo:.3f}, {hi:.3f}) should contain the estimate {auc:.3f}.").format(
        lo=ci[0], hi=ci[1], auc=auc))
    expect(0.005 < ci[1] - ci[0] < 0.1, _("the interval is implausibly narrow or wide for 569 women: "
                                          "resample n women WITH replacement, 1000 times."))


q1 = Question(N_("Q1 (2x2 table)"), _q1, N_("count each cell with a logical AND of the two 0/1 arrays, "
              "e.g. (y_true == 1) & (y_pred == 0) for the false negatives."))
q2 = Question(N_("Q2 (sensitivity, specificity, PPV, NPV)"), _q2,
              N_("each is a proportion: decide first WHO is in the denominator (the diseased, the healthy, "
                 "the test positives or the test negatives)."))
q3 = Question(N_("Q3 (PPV at screening prevalence)"), _q3,
              N_("imagine 10,000 people: how many have the disease, how many of them test positive, and how many "
                 "of the healthy test positive?"))
q4 = Question(N_("Q4 (AUC and its bootstrap CI)"), _q4,
              N_("inside the loop, compute roc_auc_score(y_true[idx], score[idx]) for the resampled indices idx."))
