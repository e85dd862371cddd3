"""Synthetic OMOP CDM v5.4 cohort: the latent cohort (:mod:`.population`) observed the way a hospital's EHR sees it.

What students get, and the traps in it:

* labs and vitals only at visits; baseline labs at the index (health-screening) visit are missing more often
  for healthier people, and sicker people have more follow-up visits (informative missingness);
* three sites whose laboratories are calibrated differently (dataset shift) and whose case mix differs;
* leakage traps: after a myocardial infarction the record gains coronary arteriosclerosis diagnoses,
  clopidogrel and aspirin, troponin tests and new statins — all dated after the index date; follow-up LDL of
  statin users is lowered by the drug;
* each person's index date is in the ``cohort`` table (cohort_definition_id 1).

``generate_omop(persons=..., seed=...)`` is pure: same arguments, same tables (and the same :class:`Truth`).
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from medai.datasets.errors import check_size
from medai.datasets.omop import concepts as C
from medai.datasets.omop import population as pop
from medai.datasets.omop.schema import to_arrow
from medai.datasets.omop.truth import Truth, compute_truth, risk_mi

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    import pyarrow as pa

MAX_PERSONS = 2_000_000
_IDX, _PRE, _FU, _MI, _CA, _COPD = 0, 1, 2, 3, 4, 5  # visit kinds (internal)
CARE_SITES = ((1, "Site A: tertiary hospital, Seoul (서울 상급종합병원)", "SITE-A"),
              (2, "Site B: general hospital, Gyeonggi (경기 종합병원)", "SITE-B"),
              (3, "Site C: general hospital, Busan (부산 종합병원)", "SITE-C"))


@dataclass(frozen=True)
class OmopCohort:
    """The generated tables (pyarrow, CDM order and types) and the grader-only truth."""

    seed: int
    persons: int
    tables: dict[str, "pa.Table"]
    truth: Truth
    #: graders only: each person's true P(mi_5y) given true baseline covariates, in person_id order (never written)
    true_mi_risk: np.ndarray

    def frame(self, table: str) -> "pd.DataFrame":
        return self.tables[table].to_pandas()


def _pseudonym(seed: int, ids: np.ndarray) -> list[str]:
    key = f"medai-omop-{seed}".encode()
    return [hmac.new(key, str(int(i)).encode(), hashlib.sha256).hexdigest()[:16] for i in ids]


def _days(values) -> np.ndarray:
    return pop.EPOCH + np.asarray(values, dtype="int64").astype("timedelta64[D]")


def _stamp(days: np.ndarray, seconds: np.ndarray) -> np.ndarray:
    return _days(days).astype("datetime64[s]") + np.asarray(seconds, dtype="int64").astype("timedelta64[s]")


def _uniform_days(rng, lo, hi) -> np.ndarray:
    """Integer days uniformly in [lo, hi] (arrays), hi >= lo."""
    return lo + np.floor(rng.random(len(lo)) * (hi - lo + 1)).astype(np.int64)


class _Rows:
    """Columns of one table accumulated in parts, then ordered and numbered."""

    def __init__(self):
        self.parts: list[dict[str, np.ndarray]] = []

    def add(self, **cols):
        n = len(next(iter(cols.values())))
        self.parts.append({k: (np.asarray(v) if np.ndim(v) else np.full(n, v)) for k, v in cols.items()})

    def concat(self) -> dict[str, np.ndarray]:
        keys = self.parts[0].keys()
        return {k: np.concatenate([p[k] for p in self.parts]) for k in keys}


def _visits(L: pop.Latent, rng) -> dict[str, np.ndarray]:
    n = np.arange(L.n)
    rows = _Rows()
    rows.add(person=n, day=L.index_day, kind=_IDX, los=0)
    n_dx = sum(d.astype(int) for d in L.diagnosed.values())
    k_pre = rng.poisson(0.8 + 1.0 * n_dx)
    p = np.repeat(n, k_pre)
    rows.add(person=p, day=_uniform_days(rng, L.start_day[p], L.index_day[p] - 1), kind=_PRE, los=0)
    years = (L.end_day - L.index_day) / pop.YEAR
    rate = np.clip(0.35 + 0.6 * L.diagnosed["diabetes"] + 0.35 * L.diagnosed["hypertension"]
                   + 0.4 * L.diagnosed["ckd"] + 0.25 * L.statin + 0.12 * (L.age - 55) / 10, 0.2, None)
    k_fu = np.minimum(rng.poisson(rate * years), 30)
    p = np.repeat(n, k_fu)
    rows.add(person=p, day=_uniform_days(rng, L.index_day[p] + 1, np.maximum(L.end_day[p], L.index_day[p] + 1)),
             kind=_FU, los=0)
    for t, kind, los in ((L.t_mi, _MI, (3, 9)), (L.t_cancer, _CA, (0, 1)), (L.t_copd, _COPD, (0, 1))):
        day = L.index_day + pop.event_day_offset(t)
        seen = np.flatnonzero(day <= L.end_day)
        rows.add(person=seen, day=day[seen], kind=kind, los=rng.integers(*los, len(seen)))
    v = rows.concat()
    v["day"] = np.minimum(v["day"], L.end_day[v["person"]])
    order = np.lexsort((v["kind"], v["day"], v["person"]))
    v = {k: a[order] for k, a in v.items()}
    v["id"] = np.arange(1, len(order) + 1)
    v["second"] = np.where(v["kind"] == _MI, rng.integers(0, 86400, len(order)),
                           rng.integers(8 * 3600, 17 * 3600, len(order)))
    return v


def _lab_values(L, rng, person, years_after, name):
    """Measured value of lab `name` at `years_after` index: true value, drift, drug effect, site offset, noise."""
    true = getattr(L, name)[person].copy()
    t = np.maximum(years_after, 0)
    if name in ("sbp", "dbp"):
        true = true + (0.5 if name == "sbp" else 0.2) * t
    elif name == "hba1c":
        true = true + 0.03 * t
    elif name == "fpg":
        true = true + 0.8 * t
    elif name == "egfr":
        true = true - 1.0 * t
    elif name == "ldl":
        true = np.where(L.statin[person] & (years_after > 0), true * 0.65, true)
    elif name == "tc":  # the statin lowers the LDL part
        true = np.where(L.statin[person] & (years_after > 0), true - 0.35 * L.ldl[person], true)
    offset = np.zeros(len(person))
    for site, offsets in pop.SITE_OFFSETS.items():
        offset = np.where(L.site[person] == site, offsets.get(name, 0.0), offset)
    value = true + offset + pop.MEASUREMENT_SD[name] * rng.standard_normal(len(person))
    lo, hi, digits = {"sbp": (70, 250, 0), "dbp": (35, 150, 0), "ldl": (10, 350, 0), "tc": (60, 450, 0),
                      "hba1c": (3.5, 15, 1), "fpg": (50, 500, 0), "egfr": (3, 150, 0), "bmi": (14, 50, 1)}[name]
    return np.round(np.clip(value, lo, hi), digits)


_LAB_META = {  # concept, unit concept, unit source value, source value, range low/high
    "sbp": (C.SBP, C.MMHG, "mmHg", "BP_SYS", 90.0, 120.0),
    "dbp": (C.DBP, C.MMHG, "mmHg", "BP_DIA", 60.0, 80.0),
    "ldl": (C.LDL, C.MG_DL, "mg/dL", "LDL-C", 0.0, 130.0),
    "tc": (C.TOTAL_CHOLESTEROL, C.MG_DL, "mg/dL", "T-CHOL", 0.0, 200.0),
    "hba1c": (C.HBA1C, C.PERCENT, "%", "HbA1c", 4.0, 5.6),
    "fpg": (C.FASTING_GLUCOSE, C.MG_DL, "mg/dL", "FBS", 70.0, 99.0),
    "egfr": (C.EGFR, C.ML_MIN_173, "mL/min/1.73m2", "eGFR(CKD-EPI)", 60.0, 120.0),
    "bmi": (C.BMI, C.KG_M2, "kg/m2", "BMI", 18.5, 23.0),
}


def _measurements(L, v, rng) -> _Rows:
    rows = _Rows()
    person, day = v["person"], v["day"]
    years_after = (day - L.index_day[person]) / pop.YEAR
    idx = v["kind"] == _IDX
    fu = v["kind"] == _FU
    dx = {k: d[person] for k, d in L.diagnosed.items()}
    older = L.age[person] >= 65
    p_measured = {
        "sbp": np.where(idx, 1.0, np.where(fu, 0.9, 0.0)),
        "bmi": np.where(idx, 1.0, 0.0),
        "ldl": np.where(idx, 0.5 + 0.3 * dx["hyperlipidemia"] + 0.15 * dx["diabetes"],
                        np.where(fu, 0.25 + 0.3 * L.statin[person], 0.0)),
        "hba1c": np.where(idx, 0.2 + 0.65 * dx["diabetes"] + 0.1 * (L.bmi[person] > 27),
                          np.where(fu, 0.1 + 0.6 * dx["diabetes"], 0.0)),
        "egfr": np.where(idx, 0.35 + 0.25 * older + 0.25 * dx["diabetes"] + 0.1 * dx["hypertension"],
                         np.where(fu, 0.2 + 0.4 * dx["ckd"] + 0.2 * dx["diabetes"], 0.0)),
    }
    p_measured["fpg"] = np.where(idx, 0.95, np.where(fu, 0.15 + 0.5 * dx["diabetes"], 0.0))
    draws = rng.random((len(p_measured), len(person)))
    for k, name in enumerate(("sbp", "bmi", "ldl", "hba1c", "egfr", "fpg")):
        sel = np.flatnonzero(draws[k] < p_measured[name])
        # blood pressure is taken as a pair, and total cholesterol in the same lipid panel as LDL
        for lab in {"sbp": ("sbp", "dbp"), "ldl": ("ldl", "tc")}.get(name, (name,)):
            concept, unit, unit_src, src, lo, hi = _LAB_META[lab]
            rows.add(person=person[sel], concept=concept.concept_id, day=day[sel], second=v["second"][sel] + 600,
                     visit=v["id"][sel], value=_lab_values(L, rng, person[sel], years_after[sel], lab),
                     unit=unit.concept_id, unit_src=unit_src, src=src, lo=lo, hi=hi)
    mi = np.flatnonzero(v["kind"] == _MI)  # leakage trap: troponin on the day of the infarction
    rows.add(person=person[mi], concept=C.TROPONIN_I.concept_id, day=day[mi], second=v["second"][mi] + 1800,
             visit=v["id"][mi], value=np.round(rng.lognormal(1.5, 1.0, len(mi)), 2), unit=C.NG_ML.concept_id,
             unit_src="ng/mL", src="TnI", lo=0.0, hi=0.04)
    return rows


def _conditions(L, v, rng) -> _Rows:
    rows = _Rows()
    n = np.arange(L.n)
    # a diagnosis known before the index date is recorded at the person's first visit (pre-index if any)
    first_visit = np.full(L.n, len(v["id"]))
    np.minimum.at(first_visit, v["person"], np.arange(len(v["id"])))
    for name, concept in (("diabetes", C.T2DM), ("hypertension", C.HYPERTENSION),
                          ("hyperlipidemia", C.HYPERLIPIDEMIA), ("ckd", C.CKD)):
        who = n[L.diagnosed[name]]
        row = first_visit[who]
        rows.add(person=who, concept=concept.concept_id, day=v["day"][row], visit=v["id"][row], src=name)
    kinds = v["kind"]
    mi = np.flatnonzero(kinds == _MI)
    rows.add(person=v["person"][mi], concept=C.MI.concept_id, day=v["day"][mi], visit=v["id"][mi], src="I21.9")
    # leakage trap: coronary arteriosclerosis at follow-up visits after an infarction
    mi_day = np.full(L.n, np.iinfo(np.int64).max)
    mi_day[v["person"][mi]] = v["day"][mi]
    after = np.flatnonzero((kinds == _FU) & (v["day"] > mi_day[v["person"]]))
    rows.add(person=v["person"][after], concept=C.CAD.concept_id, day=v["day"][after], visit=v["id"][after],
             src="I25.1")
    ca = np.flatnonzero(kinds == _CA)
    p = v["person"][ca]
    rows.add(person=p, concept=np.where(L.lung[p], C.LUNG_CANCER.concept_id, C.STOMACH_CANCER.concept_id),
             day=v["day"][ca], visit=v["id"][ca], src=np.where(L.lung[p], "C34.9", "C16.9"))
    copd = np.flatnonzero(kinds == _COPD)
    rows.add(person=v["person"][copd], concept=C.COPD.concept_id, day=v["day"][copd], visit=v["id"][copd],
             src="J44.9")
    return rows


def _drugs(L, v, rng) -> _Rows:
    rows = _Rows()
    n = np.arange(L.n)
    index_row = np.flatnonzero(v["kind"] == _IDX)  # one per person, in person order
    s = n[L.statin]
    choice = rng.choice(3, size=len(s), p=[0.55, 0.35, 0.10])
    statins = np.array([C.ATORVASTATIN.concept_id, C.ROSUVASTATIN.concept_id, C.SIMVASTATIN.concept_id])
    names = np.array(["atorvastatin 20mg", "rosuvastatin 10mg", "simvastatin 20mg"])
    end = np.minimum(L.index_day[s] + np.ceil(rng.exponential(3 * pop.YEAR, len(s))).astype(np.int64) + 30,
                     L.end_day[s])
    rows.add(person=s, concept=statins[choice], start=L.index_day[s], end=end, visit=v["id"][index_row[s]],
             src=names[choice])
    for name, concept, label in (("diabetes", C.METFORMIN, "metformin 500mg"),
                                 ("hypertension", C.AMLODIPINE, "amlodipine 5mg")):
        who = n[L.diagnosed[name]]
        rows.add(person=who, concept=concept.concept_id, start=np.maximum(L.index_day[who] - 180, L.start_day[who]),
                 end=L.end_day[who], visit=v["id"][index_row[who]], src=label)
    # leakage trap: secondary prevention after an infarction
    mi = np.flatnonzero(v["kind"] == _MI)
    p, d = v["person"][mi], v["day"][mi] + v["los"][mi]
    for concept, label in ((C.CLOPIDOGREL, "clopidogrel 75mg"), (C.ASPIRIN, "aspirin 100mg"),
                           (C.ATORVASTATIN, "atorvastatin 40mg")):
        rows.add(person=p, concept=concept.concept_id, start=np.minimum(d, L.end_day[p]),
                 end=np.minimum(d + 365, L.end_day[p]), visit=v["id"][mi], src=label)
    return rows


def _order(cols: dict[str, np.ndarray], *keys: str) -> dict[str, np.ndarray]:
    order = np.lexsort(tuple(cols[k] for k in reversed(keys)))
    return {k: a[order] for k, a in cols.items()}


def _tables(L: pop.Latent, seed: int, rng_v, rng_m) -> dict[str, "pa.Table"]:
    n = L.n
    ids = np.arange(1, n + 1)
    birth_day = L.index_day - np.floor(L.age * pop.YEAR).astype(np.int64)
    birth = _days(birth_day)
    years = birth.astype("datetime64[Y]").astype(int) + 1970
    months = birth.astype("datetime64[M]").astype(int) % 12 + 1
    t: dict[str, pa.Table] = {}
    t["person"] = to_arrow("person", {
        "person_id": ids, "gender_concept_id": np.where(L.male, C.MALE.concept_id, C.FEMALE.concept_id),
        "year_of_birth": years, "month_of_birth": months, "race_concept_id": np.full(n, C.ASIAN.concept_id),
        "ethnicity_concept_id": np.full(n, C.NOT_HISPANIC.concept_id), "care_site_id": L.site,
        "person_source_value": _pseudonym(seed, ids), "gender_source_value": np.where(L.male, "M", "F"),
        "race_source_value": np.full(n, "Korean")}, n)
    t["observation_period"] = to_arrow("observation_period", {
        "observation_period_id": ids, "person_id": ids, "observation_period_start_date": _days(L.start_day),
        "observation_period_end_date": _days(L.end_day), "period_type_concept_id": np.full(n, C.EHR.concept_id)}, n)

    v = _visits(L, rng_v)
    m = len(v["id"])
    inpatient = v["kind"] == _MI
    end_day = np.minimum(v["day"] + v["los"], L.end_day[v["person"]])
    t["visit_occurrence"] = to_arrow("visit_occurrence", {
        "visit_occurrence_id": v["id"], "person_id": v["person"] + 1,
        "visit_concept_id": np.where(inpatient, C.INPATIENT.concept_id, C.OUTPATIENT.concept_id),
        "visit_start_date": _days(v["day"]), "visit_start_datetime": _stamp(v["day"], v["second"]),
        "visit_end_date": _days(end_day),
        "visit_end_datetime": _stamp(end_day, np.where(inpatient, 11 * 3600, v["second"] + 1200)),
        "visit_type_concept_id": np.full(m, C.EHR.concept_id), "care_site_id": L.site[v["person"]],
        "visit_source_value": np.select([v["kind"] == _IDX, inpatient], ["건강검진", "입원"], "외래")}, m)

    c = _order(_conditions(L, v, rng_m).concat(), "person", "day", "concept")
    k = len(c["person"])
    t["condition_occurrence"] = to_arrow("condition_occurrence", {
        "condition_occurrence_id": np.arange(1, k + 1), "person_id": c["person"] + 1,
        "condition_concept_id": c["concept"], "condition_start_date": _days(c["day"]),
        "condition_type_concept_id": np.full(k, C.EHR.concept_id), "visit_occurrence_id": c["visit"],
        "condition_source_value": c["src"]}, k)

    d = _order(_drugs(L, v, rng_m).concat(), "person", "start", "concept")
    k = len(d["person"])
    t["drug_exposure"] = to_arrow("drug_exposure", {
        "drug_exposure_id": np.arange(1, k + 1), "person_id": d["person"] + 1, "drug_concept_id": d["concept"],
        "drug_exposure_start_date": _days(d["start"]), "drug_exposure_end_date": _days(d["end"]),
        "drug_type_concept_id": np.full(k, C.EHR_PRESCRIPTION.concept_id),
        "days_supply": d["end"] - d["start"] + 1, "visit_occurrence_id": d["visit"],
        "drug_source_value": d["src"], "route_source_value": np.full(k, "PO")}, k)

    r = _order(_measurements(L, v, rng_m).concat(), "person", "day", "concept")
    k = len(r["person"])
    t["measurement"] = to_arrow("measurement", {
        "measurement_id": np.arange(1, k + 1), "person_id": r["person"] + 1, "measurement_concept_id": r["concept"],
        "measurement_date": _days(r["day"]), "measurement_datetime": _stamp(r["day"], r["second"]),
        "measurement_type_concept_id": np.full(k, C.EHR.concept_id), "value_as_number": r["value"],
        "unit_concept_id": r["unit"], "range_low": r["lo"], "range_high": r["hi"], "visit_occurrence_id": r["visit"],
        "measurement_source_value": r["src"], "unit_source_value": r["unit_src"],
        "value_source_value": np.char.mod("%g", r["value"])}, k)

    index_row = np.flatnonzero(v["kind"] == _IDX)
    smokers = np.flatnonzero(L.smoker & (rng_m.random(n) < 0.85))
    k = len(smokers)
    t["observation"] = to_arrow("observation", {
        "observation_id": np.arange(1, k + 1), "person_id": smokers + 1,
        "observation_concept_id": np.full(k, C.SMOKER.concept_id), "observation_date": _days(L.index_day[smokers]),
        "observation_type_concept_id": np.full(k, C.EHR.concept_id), "value_as_string": np.full(k, "current smoker"),
        "visit_occurrence_id": v["id"][index_row[smokers]], "observation_source_value": np.full(k, "흡연: 현재흡연")}, k)

    dead = np.flatnonzero(L.index_day + pop.event_day_offset(L.t_death) <= L.end_day)
    cause = np.select([L.death_cause[dead] == 1, (L.death_cause[dead] == 2) & L.lung[dead],
                       L.death_cause[dead] == 2], [C.MI.concept_id, C.LUNG_CANCER.concept_id,
                                                   C.STOMACH_CANCER.concept_id], 0)
    k = len(dead)
    t["death"] = to_arrow("death", {
        "person_id": dead + 1, "death_date": _days(L.end_day[dead]),
        "death_type_concept_id": np.full(k, C.DEATH_CERTIFICATE.concept_id), "cause_concept_id": cause}, k)
    t["care_site"] = to_arrow("care_site", {
        "care_site_id": [s[0] for s in CARE_SITES], "care_site_name": [s[1] for s in CARE_SITES],
        "care_site_source_value": [s[2] for s in CARE_SITES]}, len(CARE_SITES))
    t["cohort"] = to_arrow("cohort", {
        "cohort_definition_id": np.ones(n, np.int64), "subject_id": ids, "cohort_start_date": _days(L.index_day),
        "cohort_end_date": _days(L.end_day)}, n)
    concepts = sorted(C.ALL, key=lambda x: x.concept_id)
    k = len(concepts)
    t["concept"] = to_arrow("concept", {
        "concept_id": [x.concept_id for x in concepts], "concept_name": [x.concept_name for x in concepts],
        "domain_id": [x.domain_id for x in concepts], "vocabulary_id": [x.vocabulary_id for x in concepts],
        "concept_class_id": [x.concept_class_id for x in concepts],
        "standard_concept": [None if x.domain_id in ("Unit",) else "S" for x in concepts],
        "concept_code": [x.concept_code for x in concepts],
        "valid_start_date": _days(np.zeros(k, np.int64)),
        "valid_end_date": np.full(k, np.datetime64("2099-12-31", "D"))}, k)
    return t


def _rngs(seed: int) -> list[np.random.Generator]:
    return [np.random.default_rng(s) for s in np.random.SeedSequence([seed, 0x0A0F]).spawn(4)]


def latent_cohort(*, persons: int = 10_000, seed: int = 0) -> pop.Latent:
    """The latent cohort behind ``generate_omop(persons=persons, seed=seed)`` (graders and the card only)."""
    persons = check_size("persons", persons, maximum=MAX_PERSONS)
    seed = check_size("seed", seed, minimum=0)
    return pop.sample_latent(persons=persons, rng=_rngs(seed)[0])


def generate_omop(*, persons: int = 10_000, seed: int = 0) -> OmopCohort:
    """A synthetic OMOP CDM v5.4 cohort of `persons` adults from 3 Korean hospitals, reproducible from `seed`.

    Returns the CDM tables (person, observation_period, visit_occurrence, condition_occurrence, drug_exposure,
    measurement, observation, death, care_site, cohort, concept) and the ground truth (graders only)."""
    persons = check_size("persons", persons, maximum=MAX_PERSONS)
    seed = check_size("seed", seed, minimum=0)
    rng_latent, rng_visits, rng_records, rng_truth = _rngs(seed)
    latent = pop.sample_latent(persons=persons, rng=rng_latent)
    tables = _tables(latent, seed, rng_visits, rng_records)
    risk = risk_mi(latent)
    truth = compute_truth(latent, seed=seed, rng=rng_truth, risk=risk)
    return OmopCohort(seed=seed, persons=persons, tables=tables, truth=truth, true_mi_risk=risk)
