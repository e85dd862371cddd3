"""A synthetic cancer registry shaped like the Korea Central Cancer Registry's: Korea's seven most common sites,
SEER summary stage at diagnosis, first-course treatment, and follow-up with stage-dependent survival.

Data-generating process (the card and the truth object describe it):

* site from the sites' shares of new cases (:data:`SITES`), sex and age at diagnosis by site;
* summary stage (localised, regional, distant, unknown) by site from :data:`STAGE_SHARE`;
* first-course treatment (surgery, chemotherapy, radiotherapy, and the site's own: radioactive iodine, hormone
  therapy, TACE) by site, stage and age: it follows the stage, so a naive comparison of treated and untreated
  survival is confounded by stage;
* death from the cancer: a constant excess hazard per site and stage, set so that net survival at five years
  equals the published 5-year relative survival (:data:`RELATIVE_SURVIVAL_5Y`); death from other causes:
  Gompertz background mortality by sex and age (close to Korea's life table); the two are independent, so
  censoring other deaths estimates net survival;
* diagnosis 2015-2019, follow-up to death or 2024-12-31 (at least five years for everyone alive).
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import numpy as np

from medai.datasets.errors import check_size

MAX_PATIENTS = 1_000_000
SOURCE = ("Korea Central Cancer Registry (KCCR), National Cancer Center: Cancer statistics in Korea "
          "(incidence 2021, 5-year relative survival of cases diagnosed 2017-2021, summary stage)")
CAVEAT = ("shares, stage mixes and stage-specific survival are rounded from memory of the KCCR's annual "
          "report and may be several points off for any one figure; the order of the sites and the overall "
          "survival (thyroid ~100 %, prostate and breast over 90 %, stomach and colorectal ~75-80 %, lung and "
          "liver ~40 %) are the report's well-known headline findings")
STAGES = ("localised", "regional", "distant", "unknown")
#: site: (ICD-10, share of new cases among these seven (%), share male (%), mean age, sd age)
SITES = {
    "thyroid": ("C73", 19, 25, 49, 12), "lung": ("C34", 17, 68, 68, 10), "colorectal": ("C18-C20", 17, 58, 65, 12),
    "stomach": ("C16", 15, 67, 64, 11), "breast": ("C50", 15, 1, 52, 11), "prostate": ("C61", 10, 100, 71, 8),
    "liver": ("C22", 8, 75, 63, 11)}
#: percent of cases by summary stage (localised, regional, distant, unknown)
STAGE_SHARE = {"thyroid": (52, 44, 1, 3), "lung": (23, 23, 46, 8), "colorectal": (36, 45, 13, 6),
               "stomach": (62, 22, 10, 6), "breast": (57, 33, 5, 5), "prostate": (55, 25, 11, 9),
               "liver": (45, 26, 16, 13)}
#: 5-year relative survival (%) by summary stage; figures at or above 100 % are set to 99.5 (no excess hazard)
RELATIVE_SURVIVAL_5Y = {"thyroid": (100, 100, 70, 90), "lung": (76, 41, 11, 30), "colorectal": (94, 82, 20, 50),
                        "stomach": (97, 62, 7, 45), "breast": (99, 92, 45, 75), "prostate": (100, 96, 47, 80),
                        "liver": (61, 24, 3, 25)}
#: probability of each first-course treatment by stage (localised, regional, distant, unknown)
TREATMENT = {
    "surgery": {"thyroid": (0.97, 0.98, 0.6, 0.8), "lung": (0.85, 0.5, 0.05, 0.3),
                "colorectal": (0.95, 0.92, 0.45, 0.6), "stomach": (0.95, 0.85, 0.2, 0.6),
                "breast": (0.98, 0.95, 0.3, 0.7), "prostate": (0.5, 0.45, 0.05, 0.3), "liver": (0.45, 0.2, 0.03, 0.2)},
    "chemotherapy": {"thyroid": (0, 0, 0.1, 0), "lung": (0.1, 0.65, 0.75, 0.4), "colorectal": (0.05, 0.7, 0.8, 0.4),
                     "stomach": (0.05, 0.6, 0.7, 0.3), "breast": (0.35, 0.75, 0.8, 0.4),
                     "prostate": (0, 0.05, 0.4, 0.1),
                     "liver": (0.05, 0.2, 0.5, 0.2)},
    "radiotherapy": {"thyroid": (0, 0.05, 0.3, 0), "lung": (0.15, 0.45, 0.4, 0.2),
                     "colorectal": (0.02, 0.25, 0.15, 0.1),
                     "stomach": (0, 0.02, 0.1, 0), "breast": (0.7, 0.75, 0.35, 0.4), "prostate": (0.2, 0.4, 0.3, 0.2),
                     "liver": (0.05, 0.25, 0.3, 0.1)},
    "site_specific": {"thyroid": (0.45, 0.75, 0.9, 0.3), "lung": (0, 0, 0, 0), "colorectal": (0, 0, 0, 0),
                      "stomach": (0, 0, 0, 0), "breast": (0.65, 0.65, 0.6, 0.5), "prostate": (0.3, 0.6, 0.9, 0.4),
                      "liver": (0.35, 0.6, 0.35, 0.3)},
}
SITE_SPECIFIC = {"thyroid": "radioactive iodine", "breast": "hormone therapy", "prostate": "androgen deprivation",
                 "liver": "TACE", "lung": "", "colorectal": "", "stomach": ""}
#: Gompertz background mortality: annual hazard = exp(a + b * (age - 60)), by sex (about Korea's life table)
BACKGROUND = {"M": (float(np.log(0.0075)), 0.095), "F": (float(np.log(0.0035)), 0.105)}
FIRST = np.datetime64("2015-01-01", "D")
LAST = np.datetime64("2019-12-31", "D")
END = np.datetime64("2024-12-31", "D")
YEAR = 365.25


def excess_hazard(site: str, stage: int) -> float:
    rs = min(RELATIVE_SURVIVAL_5Y[site][stage], 99.5) / 100
    return float(-np.log(rs) / 5)


@dataclass(frozen=True)
class RegistryTruth:
    seed: int
    patients: int
    excess_hazard: dict[str, dict[str, float]]   # site -> stage -> annual excess hazard
    background_gompertz: dict[str, list[float]]
    treatment_affects_survival: bool
    net_survival_5y: list[dict]                  # target vs achieved (noise-free cancer death times), by site x stage

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> "RegistryTruth":
        return cls(**json.loads(text))


@dataclass(frozen=True)
class CancerRegistry:
    table: "object"   # pandas DataFrame, one row per patient (first primary)
    truth: RegistryTruth


def _gompertz_time(rng, age, sex_m) -> np.ndarray:
    """Years to death from other causes for people aged `age`, by inversion of the Gompertz survival."""
    a = np.where(sex_m, BACKGROUND["M"][0], BACKGROUND["F"][0])
    b = np.where(sex_m, BACKGROUND["M"][1], BACKGROUND["F"][1])
    h0 = np.exp(a + b * (age - 60))
    return np.log1p(b * rng.standard_exponential(len(age)) / h0) / b


def generate_cancer_registry(*, patients: int = 5_000, seed: int = 0) -> CancerRegistry:
    """`patients` first primary cancers of the seven sites, diagnosed 2015-2019, reproducible from `seed`."""
    import pandas as pd

    patients = check_size("patients", patients, maximum=MAX_PATIENTS)
    seed = check_size("seed", seed, minimum=0)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0xCA0]))
    n = patients
    names = list(SITES)
    share = np.array([SITES[s][1] for s in names], float)
    site_i = rng.choice(len(names), size=n, p=share / share.sum())
    site = np.array(names)[site_i]
    male = rng.random(n) < np.array([SITES[s][2] / 100 for s in names])[site_i]
    mean_age = np.array([SITES[s][3] for s in names], float)[site_i]
    sd_age = np.array([SITES[s][4] for s in names], float)[site_i]
    age = np.clip(np.round(mean_age + sd_age * rng.standard_normal(n), 1), 20, 95)
    stage = np.empty(n, dtype=int)
    u = rng.random(n)
    for i, s in enumerate(names):
        idx = site_i == i
        cum = np.cumsum(STAGE_SHARE[s]) / sum(STAGE_SHARE[s])
        stage[idx] = np.searchsorted(cum, u[idx], side="right")
    stage = np.minimum(stage, 3)
    lam = np.array([[excess_hazard(s, k) for k in range(4)] for s in names])[site_i, stage]
    older = age >= 75
    treatments = {}
    for kind, table in TREATMENT.items():
        p = np.array([table[s] for s in names])[site_i, stage]
        p = np.where(older & (kind in ("surgery", "chemotherapy")), 0.7 * p, p)
        treatments[kind] = rng.random(n) < p
    first, last = int((FIRST - np.datetime64("1970-01-01", "D")).astype(int)), \
        int((LAST - np.datetime64("1970-01-01", "D")).astype(int))
    dx_day = rng.integers(first, last + 1, n)
    end_day = int((END - np.datetime64("1970-01-01", "D")).astype(int))
    t_cancer = np.where(lam > 0, rng.standard_exponential(n) / np.where(lam > 0, lam, 1.0), np.inf)
    t_other = _gompertz_time(rng, age, male)
    t = np.minimum(t_cancer, t_other)
    death_day = dx_day + np.ceil(np.minimum(t, 200) * YEAR).astype(np.int64)
    died = death_day <= end_day
    follow = np.where(died, death_day, end_day) - dx_day
    cause = np.where(~died, "", np.where(t_cancer <= t_other, "cancer", "other"))
    table = pd.DataFrame({
        "patient_id": np.arange(1, n + 1), "sex": np.where(male, "M", "F"),
        "age_at_diagnosis": np.floor(age).astype(int),
        "diagnosis_date": (np.datetime64("1970-01-01", "D") + dx_day.astype("timedelta64[D]")),
        "site": site, "icd10": np.array([SITES[s][0] for s in names])[site_i],
        "summary_stage": np.array(STAGES)[stage],
        "surgery": treatments["surgery"].astype(int), "chemotherapy": treatments["chemotherapy"].astype(int),
        "radiotherapy": treatments["radiotherapy"].astype(int),
        "site_specific_treatment": np.where(treatments["site_specific"], np.array([SITE_SPECIFIC[s] for s in names])
                                            [site_i], ""),
        "vital_status": np.where(died, "dead", "alive"), "followup_days": follow.astype(int),
        "cause_of_death": cause})
    net = []
    for i, s in enumerate(names):
        for k, stage_name in enumerate(STAGES):
            idx = (site_i == i) & (stage == k)
            if idx.any():
                net.append({"site": s, "stage": stage_name, "patients": int(idx.sum()),
                            "target_relative_survival_5y": float(RELATIVE_SURVIVAL_5Y[s][k]),
                            "net_survival_5y": round(100 * float((t_cancer[idx] > 5).mean()), 1)})
    truth = RegistryTruth(
        seed=seed, patients=n,
        excess_hazard={s: {st: round(excess_hazard(s, k), 6) for k, st in enumerate(STAGES)} for s in names},
        background_gompertz={k: list(v) for k, v in BACKGROUND.items()}, treatment_affects_survival=False,
        net_survival_5y=net)
    return CancerRegistry(table=table, truth=truth)
