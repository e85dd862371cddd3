"""The latent cohort behind the synthetic OMOP data: who the people are, their true risk factors, and when
their events happen. Students never see these arrays; they see noisy, partly missing measurements of them
in the CDM tables (:mod:`medai.datasets.omop.generate`), and graders get the model in
:mod:`medai.datasets.omop.truth`.

Data-generating process (all documented in the dataset card and the truth object):

* age at index 30-89 from Korea's resident population by 5-year band (Statistics Korea, 2020 census, rounded),
  weighted towards older ages as a hospital population is; the female share rises with age;
* current smoking, obesity (BMI >= 25), hypertension, diabetes and hypercholesterolaemia are defined as KNHANES
  defines them and calibrated, by sex and 10-year age band, to the published prevalence and awareness in
  :mod:`medai.datasets.omop.calibration` (the general population's, within each stratum; the cohort's older
  age mix makes its overall prevalence higher);
* BMI, SBP, DBP, LDL, total cholesterol, HbA1c, fasting glucose and eGFR are correlated through BMI and a shared
  "metabolic" factor; diagnosed hypertension and diabetes are treated (amlodipine, metformin), which lowers the
  measured blood pressure and glycaemia; CKD = eGFR < 60, diagnosed with probability :data:`P_DIAGNOSED`;
* statin at the index date is confounded by indication (LDL, diagnosed diabetes and hypertension, CKD, age);
* myocardial infarction, cancer (lung or stomach), COPD and other-cause death follow exponential hazards,
  log-linear in the risk factors with hinges for SBP above 120 and HbA1c above 6.0 (:data:`HAZARDS`); a statin multiplies the MI hazard by
  :data:`STATIN_MI_HAZARD_RATIO`; after MI or cancer, death comes faster (:data:`POST_EVENT_DEATH`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from medai.datasets.omop import calibration as cal

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
MEASUREMENT_SD = {"sbp": 12.0, "dbp": 7.0, "ldl": 12.0, "tc": 14.0, "hba1c": 0.25, "fpg": 9.0, "egfr": 7.0,
                  "bmi": 0.6}

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
#: statin at index: logit = sum of these (diabetes and hypertension: diagnosed before the index date)
STATIN_LOGIT = {"intercept": -2.5, "per_10mg_dl_ldl_above_120": 0.30, "diabetes": 1.0, "hypertension": 0.5,
                "ckd": 0.5, "per_10y_age_above_55": 0.2}
#: probability that CKD (eGFR < 60) and high total cholesterol (>= 240 mg/dL, before the statin started at the
#: index date) were diagnosed (recorded) before the index date; diagnosed hypertension and diabetes follow the
#: published awareness by sex and age band (:data:`medai.datasets.omop.calibration.TARGETS`)
P_DIAGNOSED = {"ckd": 0.45, "hyperlipidemia": 0.60}


@dataclass(frozen=True)
class Latent:
    """One row per person (arrays of equal length); event times in years after the index date."""

    n: int
    age: np.ndarray
    male: np.ndarray
    smoker: np.ndarray
    bmi: np.ndarray
    sbp: np.ndarray                # on treatment where treated (what a measurement sees)
    ldl: np.ndarray
    hba1c: np.ndarray
    egfr: np.ndarray
    dbp: np.ndarray
    fpg: np.ndarray                # fasting plasma glucose, mg/dL
    tc: np.ndarray                 # total cholesterol, mg/dL (before any statin started at the index date)
    diabetes: np.ndarray
    hypertension: np.ndarray
    hyperlipidemia: np.ndarray     # hypercholesterolaemia as KNHANES defines it (TC >= 240 or lipid-lowering drug)
    ckd: np.ndarray
    obesity: np.ndarray            # BMI >= 25
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


def _calibrated_flag(strata, goal, value_at, *, lo, hi) -> tuple[np.ndarray, np.ndarray]:
    """Per stratum, the level shift making mean(flag) hit `goal(sex, band)`; returns (shift per person, flag).
    `value_at(idx, shift)` gives the flag of persons `idx` with the shift applied."""
    shift, flag = np.zeros(len(strata.male)), np.zeros(len(strata.male), bool)
    for sex, b, idx in strata:
        if not len(idx):
            continue
        d = cal.level_shift(lambda x: float(value_at(idx, x).mean()), goal(sex, b), lo=lo, hi=hi)
        shift[idx] = d
        flag[idx] = value_at(idx, d)
    return shift, flag


class _Strata(list):
    def __init__(self, age, male):
        super().__init__(cal.strata(cal.band_index(age), male))
        self.male = male


def _diagnosed(strata, condition, truth, u) -> np.ndarray:
    """Exactly the target share of each stratum's true cases (those with the smallest uniforms)."""
    out = np.zeros(len(truth), bool)
    for sex, b, idx in strata:
        cases = idx[truth[idx]]
        out[cases] = cal.top_share(u[cases], cal.target(condition, sex, b, what="diagnosed_share"))
    return out


def sample_latent(*, persons: int, rng: np.random.Generator) -> Latent:
    n = persons
    weights = POPULATION * ATTENDANCE
    band = rng.choice(len(AGE_BANDS), size=n, p=weights / weights.sum())
    age = AGE_BANDS[band] + rng.uniform(0, 5, n)
    male = rng.random(n) >= FEMALE_SHARE[band]
    st = _Strata(age, male)
    goal = {c: (lambda sex, b, c=c: cal.target(c, sex, b)) for c in cal.BY_CONDITION}
    u = rng.random((6, n))  # smoking, diagnoses (3), statin, treatment effects
    smoker = np.zeros(n, bool)
    for sex, b, idx in st:
        smoker[idx] = cal.top_share(u[0][idx], goal["current_smoking"](sex, b))

    z = rng.standard_normal((10, n))
    metabolic = z[0]
    bmi_base = 23.2 + 1.4 * metabolic + 2.8 * z[1]
    d_bmi, _ = _calibrated_flag(st, goal["obesity"], lambda i, d: bmi_base[i] + d >= 25, lo=-15, hi=15)
    bmi = np.clip(bmi_base + d_bmi, 15, 45)
    # untreated blood pressure: one level shift per stratum moves SBP and, through it, DBP
    sbp_base = 115 + 1.0 * (bmi - 24) + 4 * metabolic + 13 * z[2]
    dbp_noise = 17 - 0.15 * (age - 55) + 7 * z[6]

    def hypertensive(i, d):
        s = sbp_base[i] + d
        return (s >= 140) | (0.45 * s + dbp_noise[i] >= 90)

    d_bp, hypertension = _calibrated_flag(st, goal["hypertension"], hypertensive, lo=-80, hi=120)
    sbp_untreated = sbp_base + d_bp
    dbp_untreated = 0.45 * sbp_untreated + dbp_noise
    # untreated glycaemia: HbA1c and fasting glucose share the shift (28.7 mg/dL per HbA1c point, ADAG)
    hba1c_base = 5.0 + 0.06 * (bmi - 24) + 0.18 * metabolic + 0.25 * z[4] + rng.gamma(1.0, 0.45, n)
    fpg_noise = 92 + 9 * z[7]

    def diabetic(i, d):
        h = hba1c_base[i] + d
        return (h >= 6.5) | (fpg_noise[i] + 28.7 * (h - 5.4) >= 126)

    d_gly, diabetes = _calibrated_flag(st, goal["diabetes"], diabetic, lo=-6, hi=8)
    hba1c_untreated = hba1c_base + d_gly
    fpg_untreated = fpg_noise + 28.7 * (hba1c_untreated - 5.4)
    diagnosed = {"hypertension": _diagnosed(st, "hypertension", hypertension, u[1]),
                 "diabetes": _diagnosed(st, "diabetes", diabetes, u[2])}
    # treated = diagnosed (antihypertensive, metformin): measured values are on treatment
    effect = np.clip(1 + 0.4 * rng.standard_normal(n), 0, 2.5)
    sbp = np.clip(sbp_untreated - 14 * effect * diagnosed["hypertension"], 85, 230)
    dbp = np.clip(dbp_untreated - 8 * effect * diagnosed["hypertension"], 40, 140)
    hba1c = np.clip(hba1c_untreated - 0.8 * effect * diagnosed["diabetes"], 4.0, 14.0)
    fpg = np.clip(fpg_untreated - 25 * effect * diagnosed["diabetes"], 60, 450)
    egfr = np.clip(106 - 0.85 * (age - 40) - 6 * diabetes - 0.12 * (sbp - 130) + 11 * z[5], 5, 140)
    ckd = egfr < 60
    # lipids: LDL rises smoothly with age (more in women); total cholesterol = LDL + HDL + TG/5 (Friedewald) plus a
    # level shift per stratum of its non-LDL part, calibrated; a statin started at the index (screening) visit
    # counts as lipid-lowering medication
    ldl = np.clip(112 + np.where(male, 0.05, 0.45) * (age - 40) + 1.6 * (bmi - 24) + 6 * metabolic + 30 * z[3],
                  30, 300)
    hdl = np.clip(np.where(male, 48, 56) - 0.8 * (bmi - 24) + 11 * z[8], 20, 110)
    tg = np.clip(np.exp(np.log(115) + 0.04 * (bmi - 24) + 0.1 * metabolic + 0.45 * z[9]), 30, 1500)
    s = STATIN_LOGIT
    # the doctor at the screening visit knows the diagnoses, not the true status
    statin = u[4] < _logistic(s["intercept"] + s["per_10mg_dl_ldl_above_120"] * (ldl - 120) / 10
                              + s["diabetes"] * diagnosed["diabetes"] + s["hypertension"] * diagnosed["hypertension"]
                              + s["ckd"] * ckd + s["per_10y_age_above_55"] * (age - 55) / 10)
    tc_base = ldl + hdl + tg / 5
    d_tc, hyperlipidemia = _calibrated_flag(st, goal["hypercholesterolaemia"],
                                            lambda i, d: (np.maximum(tc_base[i] + d, ldl[i] + 20) >= 240) | statin[i],
                                            lo=-150, hi=150)
    tc = np.maximum(tc_base + d_tc, ldl + 20)
    diagnosed["hyperlipidemia"] = (tc >= 240) & (u[3] < P_DIAGNOSED["hyperlipidemia"])
    diagnosed["ckd"] = ckd & (rng.random(n) < P_DIAGNOSED["ckd"])
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
    return Latent(n=n, **latent_terms, dbp=dbp, fpg=fpg, tc=tc, obesity=bmi >= 25, diabetes=diabetes,
                  hypertension=hypertension, hyperlipidemia=hyperlipidemia,
                  ckd=ckd, diagnosed=diagnosed, site=site.astype(np.int64), index_day=index_day.astype(np.int64),
                  start_day=start_day.astype(np.int64), end_day=end_day, hazard=hazard, t_mi=t_mi,
                  t_cancer=t_cancer, t_copd=t_copd, t_death=t_death, lung=lung, death_cause=death_cause)
