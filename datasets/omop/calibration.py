"""The published figures the synthetic cohort is calibrated to, and the calibration itself.

:data:`TARGETS` is the one table of targets: for each condition, its survey definition, the source and survey
years, and by sex and 10-year age band the prevalence in the general population and (where the survey reports
it) the share of people with the condition who have been told so by a doctor (awareness: here "diagnosed",
i.e. recorded before the index date). Conditions are defined as KNHANES defines them:

* hypertension: SBP >= 140 mmHg or DBP >= 90 mmHg or taking antihypertensive medication;
* diabetes: fasting plasma glucose >= 126 mg/dL or HbA1c >= 6.5 % or diagnosed by a doctor or on treatment;
* hypercholesterolaemia: total cholesterol >= 240 mg/dL or taking lipid-lowering medication;
* obesity: BMI >= 25 kg/m2 (the Korean cut-off);
* current smoking: smoked at least 100 cigarettes in life and smokes now.

**How sure the figures are.** The headline figures (:data:`HEADLINES`) are the fact sheets' widely quoted
numbers. The band-by-sex figures were written from memory of the KNHANES reports (Korea Health Statistics,
국민건강통계, KDCA) rounded to whole percent; they follow the published age and sex pattern but were not checked
number by number against the publication while this module was written, so each may be a few percentage
points off. KNHANES reports the oldest band as 70+; 70-79 and 80-89 both use it. The card says all this.

Calibration is stratified: in every sex x band stratum of the generated cohort, a level shift of the underlying
continuous risk factor (BMI, untreated blood pressure, untreated glycaemia, LDL) is chosen by bisection so that
the stratum's true prevalence equals the target, and the diagnosed share is met by ranking seeded uniforms, so a
build hits the table within :data:`TOLERANCE` in every stratum of :data:`MIN_STRATUM` persons or more (smaller
strata can miss hypercholesterolaemia: the statin started at the index visit counts, and it is drawn, not set).
The hospital cohort's age mix is older than the
population's (``population.ATTENDANCE``), so the cohort's overall prevalence is higher than the headline figure:
:func:`expected_overall` gives both.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

#: 10-year age bands (inclusive lower, exclusive upper)
BANDS = ((30, 40), (40, 50), (50, 60), (60, 70), (70, 80), (80, 90))
BAND_LABELS = tuple(f"{lo}-{hi - 1}" for lo, hi in BANDS)
SEXES = ("M", "F")
#: stated tolerance, in percentage points, of every sex x band stratum with at least MIN_STRATUM persons
TOLERANCE = {"prevalence": 1.5, "diagnosed_share": 2.0}
MIN_STRATUM = 1_000

KNHANES = "KNHANES (국민건강영양조사), Korea Disease Control and Prevention Agency"
BAND_CAVEAT = ("band figures rounded from the KNHANES age-and-sex tables from memory, not checked number by number "
               "against the publication: each may be a few percentage points off; 70+ used for 70-79 and 80-89")


@dataclass(frozen=True)
class Target:
    condition: str
    definition: str
    source: str
    years: str
    prevalence: dict[str, tuple[float, ...]]                 # sex -> percent by band
    diagnosed_share: dict[str, tuple[float, ...]] | None     # sex -> percent of the true cases, by band
    certainty: str = BAND_CAVEAT


TARGETS: tuple[Target, ...] = (
    Target("hypertension", "SBP >= 140 or DBP >= 90 mmHg or on antihypertensive medication",
           KNHANES + "; Korea Hypertension Fact Sheet (Korean Society of Hypertension)", "2019-2021",
           {"M": (14, 26, 38, 50, 62, 62), "F": (3, 9, 23, 42, 63, 63)},
           {"M": (20, 45, 65, 78, 85, 85), "F": (35, 55, 75, 85, 90, 90)}),
    Target("diabetes", "fasting glucose >= 126 mg/dL or HbA1c >= 6.5 % or diagnosed or on treatment",
           KNHANES + "; Diabetes Fact Sheet in Korea 2022 (Korean Diabetes Association)", "2019-2020",
           {"M": (5, 13, 22, 30, 32, 32), "F": (2, 6, 12, 22, 30, 30)},
           {"M": (35, 55, 70, 78, 80, 80), "F": (40, 60, 72, 80, 82, 82)}),
    Target("hypercholesterolaemia", "total cholesterol >= 240 mg/dL or on lipid-lowering medication",
           KNHANES + "; Dyslipidemia Fact Sheet in Korea (Korean Society of Lipid and Atherosclerosis)",
           "2019-2021",
           {"M": (14, 20, 24, 27, 25, 25), "F": (6, 10, 27, 43, 42, 42)}, None,
           BAND_CAVEAT + "; awareness (about 60 % overall) is not calibrated: the cohort's lipid-lowering drug is "
           "the statin started at the index screening (the exposure of the statin question), so a diagnosis "
           "recorded before it is drawn only for people whose total cholesterol is >= 240 (60 % of them), lest "
           "it stand in for the decision to treat"),
    Target("obesity", "BMI >= 25 kg/m2 (Korean cut-off)", KNHANES + "; Korea Health Statistics 2021", "2021",
           {"M": (55, 50, 45, 42, 38, 38), "F": (28, 26, 30, 35, 38, 38)}, None),
    Target("current_smoking", "smoked >= 100 cigarettes in life and smokes now", KNHANES
           + "; Korea Health Statistics 2021", "2021",
           {"M": (40, 38, 33, 25, 13, 13), "F": (7, 6, 4, 3, 2, 2)}, None),
)
BY_CONDITION = {t.condition: t for t in TARGETS}

#: the fact sheets' headline figures for adults (general population), quoted as ranges where unsure
HEADLINES = {
    "hypertension": "about 28-30 % of adults 30+, about 70-75 % of them aware (KNHANES 2019-2021)",
    "diabetes": "16.7 % of adults 30+, 65.8 % of them aware (Diabetes Fact Sheet in Korea 2022, KNHANES 2019-2020)",
    "hypercholesterolaemia": "about 20-25 % of adults 30+, about 60 % of them aware (KNHANES 2019-2021)",
    "obesity": "about 46 % of men and 27 % of women aged 19+ (KNHANES 2021)",
    "current_smoking": "about 31-35 % of men and 6-7 % of women aged 19+ (KNHANES 2021)",
}


def band_index(age: np.ndarray) -> np.ndarray:
    """0-5 for ages 30-39 ... 80-89."""
    return np.clip((np.asarray(age) // 10).astype(int) - 3, 0, len(BANDS) - 1)


def strata(band: np.ndarray, male: np.ndarray):
    """(sex, band, indices) for the 12 strata, in a fixed order."""
    for sex, is_male in (("M", True), ("F", False)):
        for b in range(len(BANDS)):
            yield sex, b, np.flatnonzero((band == b) & (male == is_male))


def target(condition: str, sex: str, band: int, *, what: str = "prevalence") -> float:
    """The target as a fraction."""
    table = getattr(BY_CONDITION[condition], what)
    return table[sex][band] / 100.0


def level_shift(prevalence_at: Callable[[float], float], goal: float, *, lo: float, hi: float,
                steps: int = 40) -> float:
    """The shift d in [lo, hi] at which prevalence_at(d) (non-decreasing in d) reaches `goal`, by bisection."""
    for _ in range(steps):
        mid = 0.5 * (lo + hi)
        if prevalence_at(mid) < goal:
            lo = mid
        else:
            hi = mid
    return hi


def top_share(u: np.ndarray, share: float) -> np.ndarray:
    """A mask choosing round(share * len(u)) entries: those with the smallest `u` (seeded uniforms)."""
    k = int(round(share * len(u)))
    out = np.zeros(len(u), bool)
    if k:
        out[np.argsort(u, kind="stable")[:k]] = True
    return out


@dataclass(frozen=True)
class Row:
    condition: str
    sex: str
    band: str
    persons: int
    target_prevalence: float       # percent
    prevalence: float              # percent, achieved (true, by the survey definition)
    target_diagnosed: float | None
    diagnosed: float | None        # percent of the true cases diagnosed before the index date


def achieved(*, age, male, status: dict[str, np.ndarray], diagnosed: dict[str, np.ndarray]) -> list[Row]:
    """Target next to achieved, by condition, sex and band. `status` holds each condition's true status (by the
    survey definition), `diagnosed` the recorded ones for the conditions that have a diagnosed share."""
    band = band_index(age)
    rows = []
    for t in TARGETS:
        for sex, b, idx in strata(band, male):
            true = status[t.condition][idx]
            dx = None
            if t.diagnosed_share is not None and true.any():
                dx = round(100 * float(diagnosed[t.condition][idx][true].mean()), 1)
            rows.append(Row(t.condition, sex, BAND_LABELS[b], len(idx), float(t.prevalence[sex][b]),
                            round(100 * float(true.mean()), 1) if len(idx) else float("nan"),
                            None if t.diagnosed_share is None else float(t.diagnosed_share[sex][b]), dx))
    return rows


def expected_overall(condition: str, *, weights: dict[tuple[str, int], float]) -> tuple[float, float | None]:
    """(prevalence, recorded prevalence) in percent of a population with stratum `weights` (sex, band) -> share,
    if every stratum followed the table: recorded = prevalence x diagnosed share."""
    t = BY_CONDITION[condition]
    total = sum(weights.values())
    prev = sum(w * t.prevalence[s][b] for (s, b), w in weights.items()) / total
    if t.diagnosed_share is None:
        return prev, None
    rec = sum(w * t.prevalence[s][b] * t.diagnosed_share[s][b] / 100 for (s, b), w in weights.items()) / total
    return prev, rec


def census_weights() -> dict[tuple[str, int], float]:
    """Korea's resident population 30-89 by sex and 10-year band (2020 census, as in ``population``)."""
    from medai.datasets.omop import population as pop

    out: dict[tuple[str, int], float] = {}
    for i, lo in enumerate(pop.AGE_BANDS):
        b = int(band_index(np.array([lo]))[0])
        out[("F", b)] = out.get(("F", b), 0.0) + pop.POPULATION[i] * pop.FEMALE_SHARE[i]
        out[("M", b)] = out.get(("M", b), 0.0) + pop.POPULATION[i] * (1 - pop.FEMALE_SHARE[i])
    return out


def cohort_weights(*, age, male) -> dict[tuple[str, int], float]:
    band = band_index(age)
    return {(sex, b): float(len(idx)) for sex, b, idx in strata(band, male)}
