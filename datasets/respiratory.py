"""Synthetic spirometry of Korean adults 40-89 with COPD by the GOLD criteria, from smoking and age.

Data-generating process (the card and the truth object describe it):

* age and sex from Korea's 2020 census (as :mod:`medai.datasets.omop.population`), height by sex and age;
* smoking (never / former / current) by sex and 10-year band: current smoking from the published table in
  :data:`medai.datasets.omop.calibration.TARGETS`, former smoking from :data:`FORMER_SMOKING`; pack-years rise
  with age;
* predicted FEV1 and FVC from Crapo et al.'s reference equations (Am Rev Respir Dis 1981), scaled by
  :data:`ASIAN_FACTOR`; true FVC varies around the prediction and falls with pack-years; the true FEV1/FVC ratio
  falls with pack-years and age, and is shifted in each sex x band stratum so that airflow limitation
  (post-bronchodilator FEV1/FVC < 0.70, GOLD's fixed ratio) reaches :data:`COPD_PREVALENCE`;
* GOLD grade of airflow limitation from FEV1 % predicted (1: >= 80, 2: 50-79, 3: 30-49, 4: < 30);
* what students get is one measured session (within-session noise on FEV1 and FVC), symptoms (cough, sputum,
  mMRC dyspnoea grade) and whether a doctor ever diagnosed COPD: very few have been told, as in Korea;
* the true (noise-free) values, grades and the model stay in the truth object for graders.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

import numpy as np

from medai.datasets.errors import check_size
from medai.datasets.omop import calibration as cal
from medai.datasets.omop import population as pop

MAX_PERSONS = 500_000
BANDS = cal.BAND_LABELS[1:]  # 40-49 ... 80-89
SOURCE = ("KNHANES (국민건강영양조사) spirometry of adults 40+, Korea Disease Control and Prevention Agency, "
          "2019-2021; Korea COPD Fact Sheet (Korean Academy of Tuberculosis and Respiratory Diseases)")
CAVEAT = ("band figures written from memory of the KNHANES reports and rounded, not checked number by number "
          "against the publication (each may be several points off); the overall figure (about 13 % of adults "
          "40+, about 20 % of men and 7 % of women) and the very low awareness (a few percent) are the fact "
          "sheets' headline findings")
#: airflow limitation (FEV1/FVC < 0.70), percent, by sex and band 40-49 ... 80-89 (approximate, see CAVEAT)
COPD_PREVALENCE = {"M": (6, 14, 26, 40, 45), "F": (2, 4, 8, 14, 18)}
#: former smokers, percent (approximate)
FORMER_SMOKING = {"M": (25, 35, 45, 50, 50), "F": (3, 3, 3, 3, 3)}
#: share of airflow limitation ever diagnosed by a doctor, by GOLD grade 1-4 (KNHANES: a few percent overall)
P_DIAGNOSED_BY_GRADE = (0.01, 0.04, 0.25, 0.45)
ASIAN_FACTOR = 0.94
#: Crapo et al. (1981), height in cm, age in years, litres: (height, age, intercept)
CRAPO = {"M": {"fev1": (0.0414, -0.0244, -2.190), "fvc": (0.0600, -0.0214, -4.650)},
         "F": {"fev1": (0.0342, -0.0255, -1.578), "fvc": (0.0491, -0.0216, -3.590)}}
RATIO_PER_PACK_YEAR = -0.0022
FVC_PER_PACK_YEAR = -0.0025   # log-scale
NOISE_L = {"fev1": 0.08, "fvc": 0.10}
LOINC = {"fev1_l": "20150-9", "fvc_l": "19870-5", "fev1_fvc": "19926-5"}
POPULATION_40 = pop.POPULATION[2:]  # 40-44 ... 85-89
FEMALE_40 = pop.FEMALE_SHARE[2:]


@dataclass(frozen=True)
class SpirometryTruth:
    seed: int
    persons: int
    copd_definition: str
    gold_grades: str
    reference_equations: str
    ratio_per_pack_year: float
    fvc_log_per_pack_year: float
    measurement_noise_l: dict[str, float]
    p_diagnosed_by_grade: list[float]
    calibration: list[dict]
    true_copd: list[int]                 # by person_id order: noise-free FEV1/FVC < 0.70
    true_gold: list[int]                 # 0 = no airflow limitation, else 1-4
    true_fev1_fvc: list[float]
    extra: dict = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> "SpirometryTruth":
        return cls(**json.loads(text))


@dataclass(frozen=True)
class Spirometry:
    table: "object"   # pandas DataFrame, one row per person
    truth: SpirometryTruth


def _predicted(sex_m: np.ndarray, height: np.ndarray, age: np.ndarray, what: str) -> np.ndarray:
    out = np.empty(len(age))
    for sex, mask in (("M", sex_m), ("F", ~sex_m)):
        h, a, c = CRAPO[sex][what]
        out[mask] = h * height[mask] + a * age[mask] + c
    return ASIAN_FACTOR * out


def gold_grade(ratio: np.ndarray, fev1_pct: np.ndarray) -> np.ndarray:
    grade = np.select([fev1_pct >= 80, fev1_pct >= 50, fev1_pct >= 30], [1, 2, 3], 4)
    return np.where(ratio < 0.70, grade, 0)


def generate_spirometry(*, persons: int = 5_000, seed: int = 0) -> Spirometry:
    """`persons` adults aged 40-89 with one spirometry session each, reproducible from `seed`."""
    import pandas as pd

    persons = check_size("persons", persons, maximum=MAX_PERSONS)
    seed = check_size("seed", seed, minimum=0)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x5B1]))
    n = persons
    five = rng.choice(len(POPULATION_40), size=n, p=POPULATION_40 / POPULATION_40.sum())
    age = 40 + 5 * five + rng.uniform(0, 5, n)
    male = rng.random(n) >= FEMALE_40[five]
    band = cal.band_index(age)
    strata = [s for s in cal.strata(band, male) if len(s[2])]
    u = rng.random((3, n))
    status = np.zeros(n, dtype=int)  # 0 never, 1 former, 2 current
    for sex, b, idx in strata:
        current = cal.top_share(u[0][idx], cal.target("current_smoking", sex, b))
        former = ~current & (u[1][idx] < FORMER_SMOKING[sex][b - 1] / 100 / max(1e-9, 1 - current.mean()))
        status[idx] = np.where(current, 2, np.where(former, 1, 0))
    years_smoked = np.clip(age - 20 - np.where(status == 1, rng.uniform(2, 25, n), 0), 1, None)
    packs_per_day = rng.gamma(3.0, np.where(male, 0.25, 0.15), n)
    pack_years = np.round(np.where(status > 0, packs_per_day * years_smoked, 0.0), 1)
    height = np.where(male, 172 - 0.15 * (age - 40) + 6 * rng.standard_normal(n),
                      159 - 0.15 * (age - 40) + 5.5 * rng.standard_normal(n))
    fev1_pred = _predicted(male, height, age, "fev1")
    fvc_pred = _predicted(male, height, age, "fvc")
    z = rng.standard_normal((4, n))
    ratio_base = np.clip(fev1_pred / fvc_pred + RATIO_PER_PACK_YEAR * pack_years - 0.002 * (age - 60)
                         + 0.055 * z[0], 0.25, 0.98)
    shift = np.zeros(n)
    for sex, b, idx in strata:
        goal = COPD_PREVALENCE[sex][b - 1] / 100
        shift[idx] = cal.level_shift(lambda d: float((ratio_base[idx] - d < 0.70).mean()), goal, lo=-0.5, hi=0.5)
    ratio = np.clip(ratio_base - shift, 0.25, 0.98)
    # obstruction also traps air: FVC falls with the depth of airflow limitation below 0.72
    fvc = fvc_pred * np.exp(0.11 * z[1] + FVC_PER_PACK_YEAR * pack_years - 0.5 * np.maximum(0, 0.72 - ratio))
    fev1 = ratio * fvc
    true_gold = gold_grade(ratio, 100 * fev1 / fev1_pred)
    # one session: within-session noise, correlated between FEV1 and FVC
    e = rng.standard_normal((2, n))
    fev1_m = np.round(np.clip(fev1 + NOISE_L["fev1"] * e[0], 0.2, None), 2)
    fvc_m = np.round(np.clip(fvc + NOISE_L["fvc"] * (0.7 * e[0] + 0.71 * e[1]), 0.4, None), 2)
    fvc_m = np.maximum(fvc_m, fev1_m)
    ratio_m = np.round(fev1_m / fvc_m, 3)
    fev1_pct = np.round(100 * fev1_m / fev1_pred, 1)
    fvc_pct = np.round(100 * fvc_m / fvc_pred, 1)
    cough = u[2] < 1 / (1 + np.exp(-(-2.6 + 1.0 * (status == 2) + 0.9 * (true_gold > 0) + 0.5 * (true_gold > 1))))
    sputum = rng.random(n) < 1 / (1 + np.exp(-(-2.9 + 1.1 * (status == 2) + 0.9 * (true_gold > 0))))
    severity = np.maximum(0, 100 - 100 * fev1 / fev1_pred) / 20
    mmrc = np.clip(np.floor(rng.gamma(1.0 + severity, 0.45) + 0.02 * (age - 60) * (age > 60)), 0, 4).astype(int)
    p_dx = np.where(true_gold > 0, np.array((0.0,) + P_DIAGNOSED_BY_GRADE)[true_gold], 0.002)
    diagnosed = rng.random(n) < p_dx
    table = pd.DataFrame({
        "person_id": np.arange(1, n + 1), "age": np.floor(age).astype(int), "sex": np.where(male, "M", "F"),
        "height_cm": np.round(height, 1), "smoking_status": np.array(["never", "former", "current"])[status],
        "pack_years": pack_years, "fev1_l": fev1_m, "fvc_l": fvc_m, "fev1_fvc": ratio_m,
        "fev1_pred_l": np.round(fev1_pred, 2), "fvc_pred_l": np.round(fvc_pred, 2), "fev1_pct_pred": fev1_pct,
        "fvc_pct_pred": fvc_pct, "chronic_cough": cough.astype(int), "chronic_sputum": sputum.astype(int),
        "mmrc_dyspnoea": mmrc, "copd_diagnosed_by_doctor": diagnosed.astype(int)})
    rows = []
    true_copd = ratio < 0.70
    for sex, b, idx in strata:
        rows.append({"sex": sex, "band": cal.BAND_LABELS[b], "persons": int(len(idx)),
                     "target_copd": float(COPD_PREVALENCE[sex][b - 1]),
                     "copd": round(100 * float(true_copd[idx].mean()), 1),
                     "target_current_smoking": float(cal.target("current_smoking", sex, b) * 100),
                     "current_smoking": round(100 * float((status[idx] == 2).mean()), 1)})
    truth = SpirometryTruth(
        seed=seed, persons=n, copd_definition="post-bronchodilator FEV1/FVC < 0.70 (GOLD fixed ratio), noise-free",
        gold_grades="FEV1 % predicted: 1 >= 80, 2 50-79, 3 30-49, 4 < 30",
        reference_equations=f"Crapo et al. 1981 x {ASIAN_FACTOR}", ratio_per_pack_year=RATIO_PER_PACK_YEAR,
        fvc_log_per_pack_year=FVC_PER_PACK_YEAR, measurement_noise_l=dict(NOISE_L),
        p_diagnosed_by_grade=list(P_DIAGNOSED_BY_GRADE), calibration=rows,
        true_copd=true_copd.astype(int).tolist(), true_gold=true_gold.astype(int).tolist(),
        true_fev1_fvc=np.round(ratio, 4).tolist(),
        extra={"gold_share_among_copd": {str(g): round(float((true_gold[true_copd] == g).mean()), 4)
                                         for g in (1, 2, 3, 4)} if true_copd.any() else {}})
    return Spirometry(table=table, truth=truth)
