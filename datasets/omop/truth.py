"""The ground truth of a synthetic OMOP cohort, for graders only.

It holds the true model (log hazard ratios, baseline hazards, the statin's true effect, site calibration
offsets, measurement noise) and what the best possible model could reach: the Bayes-optimal AUC of the
5-year myocardial-infarction label and the expected concordance (C-index) of the true MI hazard.
It is computed from the latent cohort and never written into the student-readable data directory:
``medai datasets build`` writes it under the graders' private directory (see :mod:`medai.datasets.build`),
and :func:`medai.datasets.omop.generate_omop` recomputes it from the seed.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

import numpy as np

from medai.datasets.omop import calibration as cal
from medai.datasets.omop import population as pop

HORIZON_DAYS = 1826
HORIZON_YEARS = HORIZON_DAYS / pop.YEAR  # events are recorded on day ceil(t * 365.25)
LABEL = ("mi_5y: 1 if the person has a condition_occurrence of concept 4329847 (myocardial infarction) dated "
         "after the index date (cohort_start_date of cohort_definition_id 1) and at most 1826 days after it; "
         "every person is followed at least 1826 days or until death")


@dataclass(frozen=True)
class Truth:
    seed: int
    persons: int
    label_definition: str
    terms: dict[str, str]
    log_hazard_ratios: dict[str, dict[str, float]]
    statin_mi_hazard_ratio: float
    statin_logit: dict[str, float]
    post_event_death_hazard: dict[str, float]
    site_lab_offsets: dict[str, dict[str, float]]
    measurement_sd: dict[str, float]
    prevalence: dict[str, float]
    mi_5y_rate: float
    bayes_auc_mi_5y: float
    bayes_c_index_mi: float
    statin_ate_mi_5y_risk_difference: float
    statin_att_mi_5y_risk_difference: float
    naive_statin_mi_5y_risk_difference: float
    #: by condition, sex and 10-year band: the published target next to the achieved true prevalence and
    #: diagnosed share (percent), see :mod:`medai.datasets.omop.calibration`
    calibration: list[dict] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> "Truth":
        return cls(**json.loads(text))


def _survival_of_cancer_path(t: np.ndarray, lam_c: np.ndarray, p_lung: np.ndarray) -> np.ndarray:
    """P(cancer and then death from it have not both happened by t): T_c ~ Exp(lam_c) plus post-cancer
    survival, a mixture of exponentials by cancer site."""
    out = np.zeros(np.broadcast(t, lam_c).shape)
    for weight, lam_s in ((p_lung, pop.POST_EVENT_DEATH["lung_cancer"]),
                          (1 - p_lung, pop.POST_EVENT_DEATH["stomach_cancer"])):
        diff = lam_c - lam_s
        diff = np.where(np.abs(diff) < 1e-9, 1e-9, diff)
        out = out + weight * (np.exp(-lam_c * t) + lam_c * (np.exp(-lam_s * t) - np.exp(-lam_c * t)) / diff)
    return out


def risk_mi(latent: pop.Latent, *, statin: np.ndarray | None = None, horizon: float = HORIZON_YEARS,
            steps: int = 120, chunk: int = 20_000) -> np.ndarray:
    """P(MI within `horizon` years and before death | true baseline covariates), per person, by integrating
    the cause-specific MI density against survival from the competing deaths (other-cause, after cancer)."""
    lam_m = pop.annual_hazard("mi", latent.terms(statin=statin))
    lam_d, lam_c = latent.hazard["death"], latent.hazard["cancer"]
    p_lung = np.where(latent.smoker, pop.P_LUNG[True], pop.P_LUNG[False])
    t = (np.arange(steps) + 0.5) * (horizon / steps)  # midpoint rule
    out = np.empty(latent.n)
    for lo in range(0, latent.n, chunk):
        s = slice(lo, lo + chunk)
        tt = t[None, :]
        dens = lam_m[s, None] * np.exp(-(lam_m[s, None] + lam_d[s, None]) * tt)
        out[s] = (dens * _survival_of_cancer_path(tt, lam_c[s, None], p_lung[s, None])).sum(axis=1) * (horizon / steps)
    return out


def expected_auc(p: np.ndarray) -> float:
    """The AUC a score equal to `p` reaches in expectation when each label is Bernoulli(p): the Bayes-optimal AUC
    for those labels. Ties count one half."""
    p = np.asarray(p, dtype=float)
    order = np.argsort(p, kind="stable")
    ps = p[order]
    neg = 1 - ps
    # for each i: sum of (1 - p_j) over j with p_j < p_i, plus half over ties (excluding i itself)
    uniq, first = np.unique(ps, return_index=True)
    cum_neg = np.concatenate([[0.0], np.cumsum(neg)])
    counts = np.diff(np.append(first, len(ps)))
    group = np.repeat(np.arange(len(uniq)), counts)
    below = cum_neg[first][group]
    tied = (cum_neg[first + counts] - cum_neg[first])[group] - neg
    numerator = np.sum(ps * (below + 0.5 * tied))
    denominator = ps.sum() * neg.sum() - np.sum(ps * neg)
    return float(numerator / denominator)


def expected_concordance(hazard: np.ndarray, *, rng: np.random.Generator, pairs: int = 400_000) -> float:
    """Expected C-index of the true hazard with exponential event times and no censoring: over random pairs,
    P(the one with the higher hazard has the event first) = max(h_i, h_j) / (h_i + h_j)."""
    i = rng.integers(0, len(hazard), pairs)
    j = rng.integers(0, len(hazard), pairs)
    keep = hazard[i] != hazard[j]
    hi, hj = hazard[i][keep], hazard[j][keep]
    return float(np.mean(np.maximum(hi, hj) / (hi + hj)))


def compute_truth(latent: pop.Latent, *, seed: int, rng: np.random.Generator,
                  risk: np.ndarray | None = None) -> Truth:
    risk = risk_mi(latent) if risk is None else risk
    treated = risk_mi(latent, statin=np.ones(latent.n, bool))
    untreated = risk_mi(latent, statin=np.zeros(latent.n, bool))
    observed = (latent.t_mi <= HORIZON_YEARS) & (latent.t_mi < latent.t_death)
    s = latent.statin
    return Truth(
        seed=seed, persons=latent.n, label_definition=LABEL, terms=dict(pop.TERMS),
        log_hazard_ratios={k: dict(v) for k, v in pop.HAZARDS.items()},
        statin_mi_hazard_ratio=pop.STATIN_MI_HAZARD_RATIO, statin_logit=dict(pop.STATIN_LOGIT),
        post_event_death_hazard=dict(pop.POST_EVENT_DEATH),
        site_lab_offsets={str(k): dict(v) for k, v in pop.SITE_OFFSETS.items()},
        measurement_sd=dict(pop.MEASUREMENT_SD),
        prevalence={name: round(float(getattr(latent, name).mean()), 6) for name in
                    ("diabetes", "hypertension", "hyperlipidemia", "ckd", "obesity", "statin", "smoker",
                     "male")},
        mi_5y_rate=round(float(observed.mean()), 6),
        bayes_auc_mi_5y=round(expected_auc(risk), 6),
        bayes_c_index_mi=round(expected_concordance(latent.hazard["mi"], rng=rng), 6),
        statin_ate_mi_5y_risk_difference=round(float(np.mean(treated - untreated)), 6),
        statin_att_mi_5y_risk_difference=round(float(np.mean((treated - untreated)[s])) if s.any() else 0.0, 6),
        naive_statin_mi_5y_risk_difference=round(
            float(observed[s].mean() - observed[~s].mean()) if s.any() and (~s).any() else 0.0, 6),
        calibration=[asdict(row) for row in calibration_rows(latent)],
    )


def condition_status(latent: pop.Latent) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Each calibrated condition's true status by the survey definition, recomputed from the true values and
    treatment, and the diagnosed ones (recorded before the index date)."""
    treated_htn, treated_dm = latent.diagnosed["hypertension"], latent.diagnosed["diabetes"]
    status = {
        "hypertension": (latent.sbp >= 140) | (latent.dbp >= 90) | treated_htn,
        "diabetes": (latent.fpg >= 126) | (latent.hba1c >= 6.5) | treated_dm,
        "hypercholesterolaemia": (latent.tc >= 240) | latent.statin,
        "obesity": latent.bmi >= 25, "current_smoking": latent.smoker}
    diagnosed = {"hypertension": latent.diagnosed["hypertension"], "diabetes": latent.diagnosed["diabetes"],
                 "hypercholesterolaemia": latent.diagnosed["hyperlipidemia"]}
    return status, diagnosed


def calibration_rows(latent: pop.Latent) -> list[cal.Row]:
    status, diagnosed = condition_status(latent)
    return cal.achieved(age=latent.age, male=latent.male, status=status, diagnosed=diagnosed)
