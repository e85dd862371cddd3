"""The reference de-identification of a raw hospital export, composed from the toolkit's steps.

1. record numbers and encounter ids -> keyed pseudonyms (HMAC-SHA256, the key kept apart);
2. names, RRNs, phone numbers and street addresses dropped; address -> province; birth date -> age band at the
   export date (10-year bands, 90+ top-coded);
3. every date of a patient shifted by the same secret number of days (intervals preserved);
4. free text scrubbed: known names, names after 환자/보호자, RRNs, phone numbers, dates, ages;
5. patients in equivalence classes smaller than k over (age band, sex, province) suppressed, with all their rows;
6. a report against Safe Harbor and PIPA, given the raw identifiers to prove none survives.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING


from medai.datasets.deid import generalise as gen
from medai.datasets.deid.kanon import Anonymity, measure
from medai.datasets.deid.pseudonymise import pseudonymise, shift_dates
from medai.datasets.deid.raw import EXPORT_DATE, RawExport
from medai.datasets.deid.report import PATTERNS, DeidReport, KnownIdentifiers, deid_report

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

QUASI_IDENTIFIERS = ("age_band", "sex", "province")
SENSITIVE = "main_diagnosis"


@dataclass(frozen=True)
class DeidResult:
    tables: dict[str, "pd.DataFrame"]
    anonymity: Anonymity
    suppressed_patients: int
    report: DeidReport


def scrub_text(texts, *, names=()) -> list[str]:
    """Free text with names, RRNs, phone numbers, dates and ages replaced by [이름], [주민번호], [전화번호], [날짜],
    [나이]."""
    known = KnownIdentifiers(names)
    out = []
    for text in texts:
        text = str(text)
        if known.values:
            text = known.replace(text, "[이름]")
        text = re.sub(r"(환자|보호자|성명|이름)(\s*:?\s*)(?!\[)[가-힣]{2,4}", r"\1\2[이름]", text)
        text = PATTERNS["rrn"].sub("[주민번호]", text)
        text = PATTERNS["phone"].sub("[전화번호]", text)
        text = PATTERNS["exact_date"].sub("[날짜]", text)
        text = re.sub(r"\d{1,3}\s*세", "[나이]", text)
        out.append(text)
    return out


def deidentify_export(raw: RawExport, *, key: bytes, k: int = 5, age_width: int = 10,
                      max_shift_days: int = 365) -> DeidResult:
    import pandas as pd

    p = raw.patients
    pid = dict(zip(p.mrn, pseudonymise(p.mrn, key=key, prefix="P")))
    enc_ids = pseudonymise(raw.encounters.encounter_id, key=key, prefix="E")
    eid = dict(zip(raw.encounters.encounter_id, enc_ids))
    age = gen.age_in_years(p.birth_date, pd.Series([EXPORT_DATE] * len(p)).astype("datetime64[s]"))
    main_dx = raw.encounters.groupby("mrn").icd10.agg(lambda s: s.value_counts().index[0])
    patients = pd.DataFrame({
        "person_pseudonym": [pid[m] for m in p.mrn], "sex": p.sex.to_numpy(),
        "age_band": gen.age_band(age, width=age_width), "province": gen.region(p.address, level=1),
        "first_visit": shift_dates(p.first_visit, p.mrn, key=key, max_days=max_shift_days).to_numpy(),
        SENSITIVE: main_dx.reindex(p.mrn).fillna("none").to_numpy()})
    kept = gen.suppress_small_classes(patients, quasi_identifiers=list(QUASI_IDENTIFIERS), k=k)
    keep_pids = set(kept.frame.person_pseudonym)

    e = raw.encounters
    encounters = pd.DataFrame({
        "person_pseudonym": [pid[m] for m in e.mrn], "encounter_pseudonym": enc_ids,
        "admit_datetime": shift_dates(e.admit_datetime, e.mrn, key=key, max_days=max_shift_days).to_numpy(),
        "discharge_datetime": shift_dates(e.discharge_datetime, e.mrn, key=key, max_days=max_shift_days).to_numpy(),
        "department": e.department.to_numpy(), "icd10": e.icd10.to_numpy(), "diagnosis": e.diagnosis.to_numpy()})
    lab = raw.labs
    labs = pd.DataFrame({
        "person_pseudonym": [pid[m] for m in lab.mrn], "encounter_pseudonym": [eid[i] for i in lab.encounter_id],
        "lab_datetime": shift_dates(lab.lab_datetime, lab.mrn, key=key, max_days=max_shift_days).to_numpy(),
        "test": lab.test.to_numpy(), "value": lab.value.to_numpy(), "unit": lab.unit.to_numpy()})
    n = raw.notes
    notes = pd.DataFrame({
        "person_pseudonym": [pid[m] for m in n.mrn], "encounter_pseudonym": [eid[i] for i in n.encounter_id],
        "note_datetime": shift_dates(n.note_datetime, n.mrn, key=key, max_days=max_shift_days).to_numpy(),
        "text": scrub_text(n.text, names=raw.all_names)})
    tables = {"patients": kept.frame}
    for name, frame in (("encounters", encounters), ("labs", labs), ("notes", notes)):
        tables[name] = frame[frame.person_pseudonym.isin(keep_pids)].reset_index(drop=True)
    known = [*raw.all_names, *p.mrn, *p.rrn, *p.phone, *p.address]
    report = deid_report(tables, quasi_identifiers={"patients": list(QUASI_IDENTIFIERS)},
                         sensitive={"patients": SENSITIVE}, k=k, known_identifiers=known, dates_shifted=True)
    return DeidResult(tables=tables, anonymity=measure(kept.frame, list(QUASI_IDENTIFIERS), sensitive=SENSITIVE),
                      suppressed_patients=kept.removed, report=report)


__all__ = ["DeidResult", "QUASI_IDENTIFIERS", "deidentify_export", "scrub_text"]
