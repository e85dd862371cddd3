"""De-identification: synthetic PHI that looks real, and a pipeline after which no direct identifier survives,
intervals are unchanged and k-anonymity reaches the k asked for."""
from __future__ import annotations

import hashlib
import re
import stat

import numpy as np
import pandas as pd
import pytest

from medai.datasets import DatasetError
from medai.datasets.deid import (age_band, deid_report, deidentify_export, generate_raw_export, k_anonymity,
                                 l_diversity, load_key, new_key, pseudonymise, region, save_key, shift_dates,
                                 suppress_small_classes, top_code)
from medai.datasets.deid.phi import rrn_check_digit, rrn_is_valid

# as they appear in text: not glued to letters or digits (a hex pseudonym may contain 13 digits in a row)
RRN = re.compile(r"(?<![0-9A-Za-z])\d{6}-?[1-8]\d{6}(?![0-9A-Za-z])")
PHONE = re.compile(r"(?<![0-9A-Za-z])(?:01[016789]-?\d{3,4}-?\d{4}|02-\d{3,4}-\d{4})(?![0-9A-Za-z])")
KEY = bytes(range(32))


@pytest.fixture(scope="module")
def raw():
    return generate_raw_export(patients=1500, seed=5)


@pytest.fixture(scope="module")
def result(raw):
    return deidentify_export(raw, key=KEY, k=5)


def test_raw_export_carries_realistic_phi(raw):
    p = raw.patients
    assert all(rrn_is_valid(r) for r in p.rrn) and p.rrn.str.fullmatch(r"\d{6}-[1-4]\d{6}").all()
    assert rrn_check_digit("880101123456") == 8  # weighted sum 146; (11 - 146 % 11) % 10, worked by hand
    assert rrn_is_valid("880101-1234568") and not rrn_is_valid("880101-1234560")
    born_2000s = p.birth_date.dt.year >= 2000
    seventh = p.rrn.str[7].astype(int)
    assert ((seventh >= 3) == born_2000s).all() and (((seventh % 2) == 1) == (p.sex == "M")).all()
    assert p.rrn.str[:6].tolist() == p.birth_date.dt.strftime("%y%m%d").tolist()
    assert p.name.str.fullmatch(r"[가-힣]{3}").all() and p.name.str[0].isin(list("김이박최정")).mean() > 0.4
    assert p.phone.str.fullmatch(r"01[016789]-\d{4}-\d{4}|02-\d{3}-\d{4}").all() and p.address.str.contains(r"(?:로|길) \d+").all()
    assert p.postal_code.str.fullmatch(r"\d{5}").all() and p.mrn.is_unique
    assert raw.notes.text.str.contains(RRN).any() and raw.notes.text.str.contains("보호자").all()
    again = generate_raw_export(patients=1500, seed=5)
    pd.testing.assert_frame_equal(again.notes, raw.notes)
    assert not generate_raw_export(patients=1500, seed=6).patients.name.equals(p.name)


def test_no_direct_identifier_survives_the_pipeline(raw, result):
    known = set(raw.all_names) | set(raw.patients.mrn) | set(raw.patients.rrn) | set(raw.patients.phone)
    digits = {x.replace("-", "") for x in raw.patients.rrn} | {x.replace("-", "") for x in raw.patients.phone}
    hashes = {hashlib.sha256(m.encode()).hexdigest()[:16] for m in raw.patients.mrn}
    for name, frame in result.tables.items():
        assert not {"name", "rrn", "phone", "address", "mrn", "birth_date", "postal_code"} & set(frame.columns)
        for column in frame.columns:
            cells = frame[column].astype(str)
            joined = "\n".join(cells)
            assert not RRN.search(joined), (name, column)
            assert not PHONE.search(joined), (name, column)
            assert not any(n in joined for n in raw.all_names), (name, column)
            assert not (set(cells) & (known | digits | hashes)), (name, column)
    notes = result.tables["notes"].text
    assert notes.str.contains(r"\[이름\]").all() and notes.str.contains(r"\[전화번호\]").all()
    assert result.report.passed, result.report.to_markdown()


def test_intervals_between_a_patients_dates_are_unchanged(raw, result):
    pid = dict(zip(raw.patients.mrn, pseudonymise(raw.patients.mrn, key=KEY, prefix="P")))
    before = raw.encounters.assign(person=raw.encounters.mrn.map(pid))
    after = result.tables["encounters"]
    merged = after.merge(before[["person", "admit_datetime", "discharge_datetime"]].reset_index(),
                         left_index=False, right_index=False, how="inner",
                         left_on=after.encounter_pseudonym,
                         right_on=pd.Series(pseudonymise(raw.encounters.encounter_id, key=KEY, prefix="E")))
    assert len(merged) == len(after) > 0
    shift = (merged.admit_datetime_x - merged.admit_datetime_y).dt.days
    assert (shift != 0).all() and (shift.abs() <= 365).all()
    assert (merged.groupby("person_pseudonym").apply(lambda g: (g.admit_datetime_x - g.admit_datetime_y).nunique(),
                                                     include_groups=False) == 1).all()
    stay_before = merged.discharge_datetime_y - merged.admit_datetime_y
    stay_after = merged.discharge_datetime_x - merged.admit_datetime_x
    assert (stay_before == stay_after).all()
    # the raw calendar dates do not survive
    assert not (merged.admit_datetime_x == merged.admit_datetime_y).any()


def test_k_anonymity_reaches_the_k_asked_for(raw):
    suppressed = {}
    for k in (2, 10):
        out = deidentify_export(raw, key=KEY, k=k)
        suppressed[k] = out.suppressed_patients
        patients = out.tables["patients"]
        assert k_anonymity(patients, ["age_band", "sex", "province"]) >= k
        assert out.anonymity.k >= k and out.suppressed_patients + len(patients) == len(raw.patients)
        assert set(out.tables["encounters"].person_pseudonym) <= set(patients.person_pseudonym)
    assert suppressed[10] > suppressed[2]


def test_measures_on_a_worked_example():
    frame = pd.DataFrame({"age": ["40-49"] * 3 + ["50-59"] * 2 + ["60-69"], "sex": list("FFFMMM"),
                          "dx": ["I10", "E11", "I10", "I10", "I10", "J44"]})
    assert k_anonymity(frame, ["age", "sex"]) == 1 and l_diversity(frame, ["age", "sex"], "dx") == 1
    kept = suppress_small_classes(frame, quasi_identifiers=["age", "sex"], k=2)
    assert kept.removed == 1 and kept.classes_removed == 1
    assert k_anonymity(kept.frame, ["age", "sex"]) == 2 and l_diversity(kept.frame, ["age", "sex"], "dx") == 1
    assert list(age_band([0, 44, 89, 90, 103], width=10)) == ["0-9", "40-49", "80-89", "90+", "90+"]
    assert list(top_code([30, 89, 95])) == [30, 89, 90]
    assert list(region(["서울특별시 강남구 테헤란로 1"], level=1)) == ["서울특별시"]
    with pytest.raises(DatasetError, match="no such columns"):
        k_anonymity(frame, ["zip"])


def test_pseudonyms_are_keyed_and_the_key_is_kept_apart(tmp_path):
    ids = ["12345678", "87654321"]
    assert pseudonymise(ids, key=KEY) == pseudonymise(ids, key=KEY)
    assert pseudonymise(ids, key=KEY) != pseudonymise(ids, key=new_key())
    assert pseudonymise(ids, key=KEY)[0] != hashlib.sha256(ids[0].encode()).hexdigest()[:16]
    with pytest.raises(DatasetError, match="at least 16"):
        pseudonymise(ids, key=b"short")
    path = save_key(KEY, tmp_path / "secret" / "pseudonym.key")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and load_key(path) == KEY
    path.chmod(0o644)
    with pytest.raises(DatasetError, match="readable by others"):
        load_key(path)
    shifted = shift_dates(pd.to_datetime(["2020-01-01", "2020-01-11", "2021-06-01"]), ["a", "a", "b"], key=KEY)
    assert (shifted[1] - shifted[0]).days == 10


def test_report_flags_a_raw_table_and_a_plain_hash():
    raw = generate_raw_export(patients=200, seed=1)
    report = deid_report(raw.tables(), quasi_identifiers={"patients": ["sex", "postal_code"]}, k=5,
                         known_identifiers=raw.patients.mrn)
    assert not report.passed
    rules = {(f.rule, f.table, f.column) for f in report.findings}
    assert {("rrn", "patients", "rrn"), ("phone", "patients", "phone"), ("address", "patients", "address"),
            ("rrn", "notes", "text"), ("name_in_text", "notes", "text")} <= rules
    hashed = pd.DataFrame({"id": [hashlib.sha256(m.encode()).hexdigest() for m in raw.patients.mrn]})
    report = deid_report({"t": hashed}, known_identifiers=raw.patients.mrn)
    assert ("unkeyed hash of an identifier", "t", "id") in {(f.rule, f.table, f.column) for f in report.findings}
    keyed = pd.DataFrame({"id": pseudonymise(raw.patients.mrn, key=KEY)})
    assert not deid_report({"t": keyed}, known_identifiers=raw.patients.mrn).findings
    text = report.to_markdown()
    assert "Safe Harbor" in text and "PIPA" in text and "FAIL" in text


def test_bad_sizes_are_clear_errors():
    with pytest.raises(DatasetError, match="patients"):
        generate_raw_export(patients=-1)
    assert np.isclose(len(generate_raw_export(patients=1).patients), 1)
