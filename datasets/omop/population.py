"""The latent cohort behind the synthetic OMOP data: who the people are, their true risk factors, and when
their events happen. Students never see these arrays; they see noisy, partly missing measurements of them
in the CDM tables (:mod:`medai.datasets.omop.generate`), and graders get the model in
:mod:`medai.datasets.omop.truth`.

Data-generating process (all documented in the dataset card and the truth object):

* age at index 30-89 from Korea's resident population by 5-year band (Statistics Korea, 2020 census, rounded),
  weighted towards older ages as a hospital population is; the female share rises with age;
* current smoking ~38 % of men and ~6 % of women in their 40s, fewer at older ages (KNHANES-like);
* BMI, SBP, LDL, HbA1c and eGFR are correlated through age, sex, BMI and a shared "metabolic" factor;
* type 2 diabetes = HbA1c >= 6.5 %, hypertension = SBP >= 140 mmHg, hyperlipidaemia = LDL >= 160 mg/dL,
  CKD = eGFR < 60; each is diagnosed (recorded before the index date) with a probability below one;
* statin at the index date is confounded by indication (LDL, diabetes, hypertension, CKD, age);
* myocardial infarction, cancer (lung or stomach), COPD and other-cause death follow exponential hazards,
  log-linear in the risk factors with hinges for SBP above 120 and HbA1c above 6.0 (:data:`HAZARDS`); a statin multiplies the MI hazard by
  :data:`STATIN_MI_HAZARD_RATIO`; after MI or cancer, death comes faster (:data:`POST_EVENT_DEATH`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EPOCH = np.datetime64("1970-01-01", "D")
INDEX_FIRST = np.datetime64("2015-01-01", "D")
INDEX_LAST = np.datetime64("2019-12-31", "D")
EARLIEST = np.datetime64("2010-01-01", "D")
DATA_END = np.datetime64("2024-12-31", "D")
YEAR = 365.25

# Korea, resident population by 5-year age band (thousands, 2020 census, rounded): 30-34 ... 85-89
AGE_BANDS = np.arange(30, 90, 5)
POPULATION = np.array([3400, 3900, 4000, 4400, 4200, 4300, 3900, 2800, 2000, 1700, 1200, 600], dtype=float)
# hospital use rises with age: relative attendance by band
ATTENDANCE = np.array([0.6, 0.65, 0.7, 0.8, 0.9, 1.0, 1.15, 1.3, 1.45, 1.55, 1.6, 1.6])
FEMALE_SHARE = np.array([0.48, 0.48, 0.49, 0.49, 0.49, 0.50, 0.51, 0.52, 0.55, 0.59, 0.64, 0.70])

SITES = (1, 2, 3)
#: additive calibration offset of each site's laboratory (dataset shift): {site: {lab: offset}}
SITE_OFFSETS = {1: {}, 2: {"hba1c": 0.35, "ldl": 0.0}, 3: {"ldl": -12.0, "egfr": 6.0}}
#: standard deviation of one measurement around the true value (biological + analytical variation)
MEASUREMENT_SD = {"sbp": 12.0, "ldl": 12.0, "hba1c": 0.25, "egfr": 7.0, "bmi": 0.6}

#: the features the hazards use, as functions of the true risk factors
TERMS = {
    "age_per_10y": "(age - 55) / 10",
    "male": "1 if male",
    "current_smoker": "1 if current smoker",
    "sbp_above_120_per_10mmHg": "max(0, SBP - 120) / 10",
    "ldl_per_10mg_dl": "(LDL - 120) / 10",
    "hba1c_above_6_per_pct": "max(0, HbA1c - 6.0)",
    "bmi_per_5": "(BMI - 24) / 5",
    "egfr_below_90_per_10": "max(0, 90 - eGFR) / 10",
    "statin": "1 if a statin was started at the index date",
}
#: log hazard ratios per term; "log_baseline" is the log annual hazard of a person at every reference value
HAZARDS: dict[str, dict[str, float]] = {
    "mi": {"log_baseline": float(np.log(0.004)), "age_per_10y": 0.55, "male": 0.55, "current_smoker": 0.65,
           "sbp_above_120_per_10mmHg": 0.25, "ldl_per_10mg_dl": 0.09, "hba1c_above_6_per_pct": 0.55,
           "bmi_per_5": 0.12,
           "egfr_below_90_per_10": 0.12, "statin": float(np.log(0.75))},
    "cancer": {"log_baseline": float(np.log(0.004)), "age_per_10y": 0.60, "male": 0.45, "current_smoker": 0.75,
               "bmi_per_5": 0.05},
    "copd": {"log_baseline": float(np.log(0.0025)), "age_per_10y": 0.55, "male": 0.35, "current_smoker": 1.30,
             "bmi_per_5": -0.15},
    "death": {"log_baseline": float(np.log(0.003)), "age_per_10y": 0.85, "male": 0.40, "current_smoker": 0.50,
              "hba1c_above_6_per_pct": 0.15, "egfr_below_90_per_10": 0.15},
}
STATIN_MI_HAZARD_RATIO = 0.75
#: annual death hazard after an event (on top of other-cause death)
POST_EVENT_DEATH = {"mi": 0.06, "lung_cancer": 0.35, "stomach_cancer": 0.12}
#: probability that a cancer is lung (else stomach), for smokers and non-smokers
P_LUNG = {True: 0.55, False: 0.30}
#: statin at index: logit = sum of these
STATIN_LOGIT = {"intercept": -2.3, "per_10mg_dl_ldl_above_120": 0.30, "diabetes": 1.0, "hypertension": 0.5,
                "ckd": 0.5, "per_10y_age_above_55": 0.35}
#: probability that a true condition was diagnosed (recorded) before the index date
P_DIAGNOSED = {"diabetes": 0.85, "hypertension": 0.70, "hyperlipidemia": 0.60, "ckd": 0.45}


@dataclass(frozen=True)
class Latent:
    """One row per person (arrays of equal length); event times in years after the index date."""

    n: int
    age: np.ndarray
    male: np.ndarray
    smoker: np.ndarray
    bmi: np.ndarray
    sbp: np.ndarray
    ldl: np.ndarray
    hba1c: np.ndarray
    egfr: np.ndarray
    diabetes: np.ndarray
    hypertension: np.ndarray
    hyperlipidemia: np.ndarray
    ckd: np.ndarray
    diagnosed: dict[str, np.ndarray]
    statin: np.ndarray
    site: np.ndarray
    index_day: np.ndarray          # days since 1970-01-01
    start_day: np.ndarray          # observation period start
    end_day: np.ndarray            # observation period end (death or the end of data)
    hazard: dict[str, np.ndarray]  # annual hazards: mi, cancer, copd, death
    t_mi: np.ndarray               # years after index (inf: never)
    t_cancer: np.ndarray
    t_copd: np.ndarray
    t_death: np.ndarray
    lung: np.ndarray               # the cancer, if any, is lung (else stomach)
    death_cause: np.ndarray        # 0 other, 1 after MI, 2 after cancer

    def terms(self, *, statin: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """The hazard terms (:data:`TERMS`), optionally with the statin column replaced."""
        return hazard_terms(age=self.age, male=self.male, smoker=self.smoker, bmi=self.bmi, sbp=self.sbp,
                            ldl=self.ldl, hba1c=self.hba1c, egfr=self.egfr,
                            statin=self.statin if statin is None else statin)


def hazard_terms(*, age, male, smoker, bmi, sbp, ldl, hba1c, egfr, statin) -> dict[str, np.ndarray]:
    return {
        "age_per_10y": (age - 55) / 10, "male": male.astype(float), "current_smoker": smoker.astype(float),
        "sbp_above_120_per_10mmHg": np.maximum(0, sbp - 120) / 10, "ldl_per_10mg_dl": (ldl - 120) / 10,
        "hba1c_above_6_per_pct": np.maximum(0, hba1c - 6.0),
        "bmi_per_5": (bmi - 24) / 5, "egfr_below_90_per_10": np.maximum(0, 90 - egfr) / 10,
        "statin": statin.astype(float)}


def annual_hazard(outcome: str, terms: dict[str, np.ndarray]) -> np.ndarray:
    coefs = HAZARDS[outcome]
    log_h = np.full(len(terms["male"]), coefs["log_baseline"])
    for name, beta in coefs.items():
        if name != "log_baseline":
            log_h = log_h + beta * terms[name]
    return np.exp(log_h)


def event_day_offset(years: np.ndarray) -> np.ndarray:
    """Days after the index date on which an event `years` after it is recorded: ceil(years * 365.25), so an event
    at most 1826 days after the index date is one at most 1826 / 365.25 years after it (capped at 100 years)."""
    return np.ceil(np.minimum(years, 100.0) * YEAR).astype(np.int64)


def _logistic(x):
    return 1 / (1 + np.exp(-x))


def sample_latent(*, persons: int, rng: np.random.Generator) -> Latent:
    n = persons
    weights = POPULATION * ATTENDANCE
    band = rng.choice(len(AGE_BANDS), size=n, p=weights / weights.sum())
    age = AGE_BANDS[band] + rng.uniform(0, 5, n)
    male = rng.random(n) >= FEMALE_SHARE[band]
    p_smoke = np.where(male, 0.38 - 0.0045 * np.clip(age - 45, 0, None), 0.06 - 0.0008 * np.clip(age - 45, 0, None))
    smoker = rng.random(n) < np.clip(p_smoke, 0.02, None)

    z = rng.standard_normal((6, n))
    metabolic = z[0]
    bmi = np.clip(23.2 + 1.0 * male + 1.4 * metabolic + 2.8 * z[1], 15, 45)
    sbp = np.clip(115 + 0.55 * (age - 40) + 5 * male + 1.0 * (bmi - 24) + 4 * metabolic + 13 * z[2], 85, 230)
    ldl = np.clip(112 + np.where(male, 0.05, 0.45) * (age - 40) + 1.6 * (bmi - 24) + 6 * metabolic + 30 * z[3],
                  30, 300)
    skew = rng.gamma(shape=1.0, scale=0.45, size=n)
    hba1c = np.clip(4.95 + 0.015 * (age - 40) + 0.06 * (bmi - 24) + 0.18 * metabolic + 0.25 * z[4] + skew, 4.0, 14.0)
    egfr = np.clip(106 - 0.85 * (age - 40) - 6 * (hba1c >= 6.5) - 0.12 * (sbp - 130) + 11 * z[5], 5, 140)
    diabetes, hypertension, hyperlipidemia, ckd = hba1c >= 6.5, sbp >= 140, ldl >= 160, egfr < 60
    diagnosed = {name: truth & (rng.random(n) < P_DIAGNOSED[name]) for name, truth in
                 (("diabetes", diabetes), ("hypertension", hypertension), ("hyperlipidemia", hyperlipidemia),
                  ("ckd", ckd))}
    s = STATIN_LOGIT
    statin = rng.random(n) < _logistic(
        s["intercept"] + s["per_10mg_dl_ldl_above_120"] * (ldl - 120) / 10 + s["diabetes"] * diabetes
        + s["hypertension"] * hypertension + s["ckd"] * ckd + s["per_10y_age_above_55"] * (age - 55) / 10)
    # sites differ in case mix: older patients go to site 3 more often
    site_logits = np.stack([np.zeros(n), -0.25 + 0.0 * age, -1.2 + 0.02 * (age - 55)])
    site_p = np.exp(site_logits) / np.exp(site_logits).sum(axis=0)
    site = 1 + (rng.random(n)[None, :] > np.cumsum(site_p, axis=0)).sum(axis=0)

    first, last = int((INDEX_FIRST - EPOCH).astype(int)), int((INDEX_LAST - EPOCH).astype(int))
    index_day = rng.integers(first, last + 1, n)
    start_day = np.maximum(index_day - rng.integers(365, 5 * 365, n), int((EARLIEST - EPOCH).astype(int)))

    latent_terms = {"age": age, "male": male, "smoker": smoker, "bmi": bmi, "sbp": sbp, "ldl": ldl,
                    "hba1c": hba1c, "egfr": egfr, "statin": statin}
    terms = hazard_terms(**latent_terms)
    hazard = {k: annual_hazard(k, terms) for k in HAZARDS}
    e = rng.standard_exponential((7, n))
    t_mi, t_cancer, t_copd, t_other = (e[i] / hazard[k] for i, k in enumerate(("mi", "cancer", "copd", "death")))
    lung = rng.random(n) < np.where(smoker, P_LUNG[True], P_LUNG[False])
    after_mi = t_mi + e[4] / POST_EVENT_DEATH["mi"]
    after_cancer = t_cancer + e[5] / np.where(lung, POST_EVENT_DEATH["lung_cancer"],
                                              POST_EVENT_DEATH["stomach_cancer"])
    t_death = np.minimum(t_other, np.minimum(after_mi, after_cancer))
    death_cause = np.select([t_death == after_mi, t_death == after_cancer], [1, 2], 0)
    data_end = int((DATA_END - EPOCH).astype(int))
    death_day = index_day + event_day_offset(t_death)
    end_day = np.minimum(death_day, data_end).astype(np.int64)
    return Latent(n=n, **latent_terms, diabetes=diabetes, hypertension=hypertension, hyperlipidemia=hyperlipidemia,
                  ckd=ckd, diagnosed=diagnosed, site=site.astype(np.int64), index_day=index_day.astype(np.int64),
                  start_day=start_day.astype(np.int64), end_day=end_day, hazard=hazard, t_mi=t_mi,
                  t_cancer=t_cancer, t_copd=t_copd, t_death=t_death, lung=lung, death_cause=death_cause)
