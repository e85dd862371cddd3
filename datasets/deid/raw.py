"""A synthetic "raw hospital export" full of (made-up) personal information: the input of the de-identification
assignment. Four tables, as a hospital's data warehouse would hand them over before any pseudonymisation:

* ``patients``: mrn (병록번호), name, rrn (주민등록번호, valid check digit), birth_date, sex, phone, address,
  postal_code, first_visit;
* ``encounters``: encounter_id, mrn, admit_datetime, discharge_datetime, department, icd10, diagnosis;
* ``labs``: lab_id, mrn, encounter_id, lab_datetime, test, value, unit;
* ``notes``: note_id, mrn, encounter_id, note_datetime, text — short Korean notes that mention the patient's
  name, age, phone number, a guardian's name and sometimes the RRN.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from medai.datasets.deid import phi
from medai.datasets.errors import check_size

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

MAX_PATIENTS = 1_000_000
EXPORT_DATE = np.datetime64("2024-12-31", "D")
DIAGNOSES = (  # ICD-10, Korean name, department, share
    ("I10", "본태성 고혈압", "순환기내과", 0.30), ("E11.9", "2형 당뇨병", "내분비내과", 0.25),
    ("I21.9", "급성 심근경색증", "순환기내과", 0.10), ("J44.9", "만성 폐쇄성 폐질환", "호흡기내과", 0.12),
    ("C34.9", "폐의 악성 신생물", "종양내과", 0.08), ("C16.9", "위의 악성 신생물", "종양내과", 0.08),
    ("J45.9", "천식", "호흡기내과", 0.07))
LABS = (("HbA1c", "%", 5.8, 1.0), ("LDL-C", "mg/dL", 118.0, 32.0), ("eGFR", "mL/min/1.73m2", 85.0, 18.0),
        ("Hb", "g/dL", 13.5, 1.6))
COMPLAINTS = ("흉통", "호흡곤란", "기침", "체중감소", "다뇨", "두통", "피로감", "소화불량")
TABLES = ("patients", "encounters", "labs", "notes")


@dataclass(frozen=True)
class RawExport:
    patients: "pd.DataFrame"
    encounters: "pd.DataFrame"
    labs: "pd.DataFrame"
    notes: "pd.DataFrame"
    #: every personal name in the export, patients' and guardians' (for checking de-identification)
    all_names: tuple[str, ...]

    def tables(self) -> dict[str, "pd.DataFrame"]:
        return {name: getattr(self, name) for name in TABLES}


def _ts(days, seconds):
    return (np.asarray(days).astype("datetime64[D]").astype("datetime64[s]")
            + np.asarray(seconds, dtype="int64").astype("timedelta64[s]"))


def generate_raw_export(*, patients: int = 2_000, seed: int = 0) -> RawExport:
    """A raw export of `patients` patients with synthetic PHI, reproducible from `seed`."""
    import pandas as pd

    n = check_size("patients", patients, maximum=MAX_PATIENTS)
    seed = check_size("seed", seed, minimum=0)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0xDE1D]))
    who_ = phi.people(rng, n, at=EXPORT_DATE)  # ages 20-96: a few over 89, for Safe Harbor's top-coding
    sex, birth, name, mrn = who_["sex"], who_["birth_date"], who_["name"], who_["mrn"]
    first_visit = EXPORT_DATE - rng.integers(30, 10 * 365, n).astype("timedelta64[D]")
    patients_df = pd.DataFrame({
        "mrn": mrn, "name": name, "rrn": who_["rrn"], "birth_date": birth.astype("datetime64[s]"), "sex": sex,
        "phone": who_["phone"], "address": who_["address"], "postal_code": who_["postal_code"],
        "first_visit": first_visit.astype("datetime64[s]")})

    k = rng.integers(1, 5, n)
    who = np.repeat(np.arange(n), k)
    span = (EXPORT_DATE - first_visit).astype(int)[who]
    day = first_visit[who] + np.floor(rng.random(len(who)) * span).astype("timedelta64[D]")
    order = np.lexsort((day, who))
    who, day = who[order], day[order]
    share = np.array([d[3] for d in DIAGNOSES])
    dx = rng.choice(len(DIAGNOSES), len(who), p=share / share.sum())
    stay = np.where(np.isin(dx, [2, 4, 5]), rng.integers(2, 12, len(who)), 0)
    admit = _ts(day, rng.integers(8 * 3600, 18 * 3600, len(who)))
    encounters = pd.DataFrame({
        "encounter_id": np.arange(1, len(who) + 1), "mrn": mrn[who], "admit_datetime": admit,
        "discharge_datetime": admit + (stay * 86400 + rng.integers(1800, 7200, len(who))).astype("timedelta64[s]"),
        "department": np.array([d[2] for d in DIAGNOSES])[dx], "icd10": np.array([d[0] for d in DIAGNOSES])[dx],
        "diagnosis": np.array([d[1] for d in DIAGNOSES])[dx]})

    per = rng.integers(0, 4, len(who))
    enc = np.repeat(np.arange(len(who)), per)
    test = rng.integers(0, len(LABS), len(enc))
    mean, sd = np.array([t[2] for t in LABS])[test], np.array([t[3] for t in LABS])[test]
    labs = pd.DataFrame({
        "lab_id": np.arange(1, len(enc) + 1), "mrn": mrn[who][enc], "encounter_id": enc + 1,
        "lab_datetime": admit[enc] + rng.integers(600, 7200, len(enc)).astype("timedelta64[s]"),
        "test": np.array([t[0] for t in LABS])[test], "value": np.round(mean + sd * rng.standard_normal(len(enc)), 1),
        "unit": np.array([t[1] for t in LABS])[test]})

    guardian_sex = np.where(rng.random(len(who)) < 0.5, "M", "F")
    guardian = phi.names(rng, guardian_sex)
    age = ((day - birth[who]).astype(int) // 365.25).astype(int)
    complaint = rng.choice(COMPLAINTS, len(who))
    guardian_phone = phi.phones(rng, len(who))
    with_rrn = rng.random(len(who)) < 0.3
    sex_ko = np.where(sex[who] == "M", "남", "여")
    texts = []
    for i in range(len(who)):
        p = who[i]
        text = (f"환자 {name[p]}({age[i]}세/{sex_ko[i]}) {complaint[i]} 주소로 {str(day[i])} 내원. "
                f"진단: {encounters.diagnosis.iat[i]}. 보호자 {guardian[i]} 연락처 {guardian_phone[i]}, "
                f"본인 {patients_df.phone.iat[p]}.")
        if with_rrn[i]:
            text += f" 주민번호 {patients_df.rrn.iat[p]} 확인함."
        texts.append(text)
    notes = pd.DataFrame({
        "note_id": np.arange(1, len(who) + 1), "mrn": mrn[who], "encounter_id": np.arange(1, len(who) + 1),
        "note_datetime": admit + np.int64(3600).astype("timedelta64[s]"), "text": texts})
    return RawExport(patients=patients_df, encounters=encounters, labs=labs, notes=notes,
                     all_names=tuple(sorted(str(x) for x in set(name) | set(guardian))))
