"""The OMOP cohort's marginals follow the published figures: conditions defined as KNHANES defines them, true
prevalence and diagnosed share by sex and 10-year band within the stated tolerance of the one table of targets,
the new measurements LOINC-coded with UCUM units, and the card printing target next to achieved."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from medai.datasets import generate_omop
from medai.datasets.omop import calibration as cal
from medai.datasets.omop import concepts as C
from medai.datasets.omop.generate import latent_cohort

PERSONS = 50_000


@pytest.fixture(scope="module")
def latent():
    return latent_cohort(persons=PERSONS, seed=21)


@pytest.fixture(scope="module")
def small():
    return generate_omop(persons=3_000, seed=5)


def _band(age):
    return np.clip(np.floor(age / 10).astype(int) - 3, 0, 5)


def _survey_status(L) -> dict[str, np.ndarray]:
    """The survey's definitions, written out again here from the true values and treatment."""
    treated_htn, treated_dm = L.diagnosed["hypertension"], L.diagnosed["diabetes"]  # diagnosed ones are treated
    return {"hypertension": (L.sbp >= 140) | (L.dbp >= 90) | treated_htn,
            "diabetes": (L.fpg >= 126) | (L.hba1c >= 6.5) | L.diagnosed["diabetes"] | treated_dm,
            "hypercholesterolaemia": (L.tc >= 240) | L.statin,
            "obesity": L.bmi >= 25, "current_smoking": L.smoker}


def _strata(L):
    band = _band(L.age)
    for sex, is_male in (("M", True), ("F", False)):
        for b in range(6):
            idx = np.flatnonzero((band == b) & (L.male == is_male))
            if len(idx) >= cal.MIN_STRATUM:
                yield sex, b, idx


def test_true_prevalence_by_sex_and_band_is_within_tolerance_of_the_published_table(latent):
    status = _survey_status(latent)
    checked = 0
    for t in cal.TARGETS:
        for sex, b, idx in _strata(latent):
            got = 100 * status[t.condition][idx].mean()
            want = t.prevalence[sex][b]
            assert abs(got - want) <= cal.TOLERANCE["prevalence"], (t.condition, sex, cal.BAND_LABELS[b], got, want)
            checked += 1
    assert checked >= 5 * 12  # every condition, every stratum of 50,000 persons is large enough


def test_diagnosed_share_by_sex_and_band_is_within_tolerance(latent):
    status = _survey_status(latent)
    recorded = {"hypertension": latent.diagnosed["hypertension"], "diabetes": latent.diagnosed["diabetes"],
                "hypercholesterolaemia": latent.diagnosed["hyperlipidemia"]}
    for t in cal.TARGETS:
        if t.diagnosed_share is None:
            continue
        for sex, b, idx in _strata(latent):
            cases = idx[status[t.condition][idx]]
            got = 100 * recorded[t.condition][cases].mean()
            assert abs(got - t.diagnosed_share[sex][b]) <= cal.TOLERANCE["diagnosed_share"], (t.condition, sex, b)
            assert not recorded[t.condition][idx[~status[t.condition][idx]]].any(), "diagnosed only if true"


def test_a_known_high_cholesterol_needs_total_cholesterol_of_240_and_does_not_stand_in_for_the_statin(latent):
    dx = latent.diagnosed["hyperlipidemia"]
    assert not dx[latent.tc < 240].any()
    assert abs(dx[latent.tc >= 240].mean() - 0.60) < 0.02
    # the statin decision at the screening follows LDL and the known diagnoses, not the recorded lipid diagnosis
    # alone: among statin starters, most have no lipid diagnosis recorded before
    assert dx[latent.statin].mean() < 0.5


def test_the_targets_follow_the_published_pattern_and_headline_figures():
    """Sanity of the table itself: more disease with age, the sex gaps the survey reports, and overall figures
    for the census mix close to the fact sheets' headline numbers."""
    for name in ("hypertension", "diabetes"):
        for sex in cal.SEXES:
            assert list(cal.BY_CONDITION[name].prevalence[sex]) == sorted(cal.BY_CONDITION[name].prevalence[sex])
    smoking = cal.BY_CONDITION["current_smoking"].prevalence
    assert all(m > 3 * f for m, f in zip(smoking["M"], smoking["F"]))
    chol = cal.BY_CONDITION["hypercholesterolaemia"].prevalence
    assert chol["F"][3] > chol["M"][3]  # after menopause women overtake men
    census = cal.census_weights()
    assert 27 <= cal.expected_overall("hypertension", weights=census)[0] <= 32
    assert 14 <= cal.expected_overall("diabetes", weights=census)[0] <= 18
    assert 20 <= cal.expected_overall("hypercholesterolaemia", weights=census)[0] <= 26
    for t in cal.TARGETS:
        assert t.source and t.years and t.definition and t.certainty


def test_the_hospital_mix_raises_recorded_prevalence_as_the_card_explains(latent):
    census = cal.census_weights()
    mix = cal.cohort_weights(age=latent.age, male=latent.male)
    population, _ = cal.expected_overall("hypertension", weights=census)
    cohort, recorded = cal.expected_overall("hypertension", weights=mix)
    assert cohort > population + 2  # older than the census
    assert abs(100 * latent.diagnosed["hypertension"].mean() - recorded) < 0.5
    assert abs(100 * latent.hypertension.mean() - cohort) < 0.5


def test_new_measurements_have_loinc_concepts_and_ucum_units(small):
    m = small.frame("measurement")
    concept = small.frame("concept").set_index("concept_id")
    expect = {C.FASTING_GLUCOSE: ("1558-6", C.MG_DL, "mg/dL", (50, 500)),
              C.DBP: ("8462-4", C.MMHG, "mmHg", (35, 150)),
              C.TOTAL_CHOLESTEROL: ("2093-3", C.MG_DL, "mg/dL", (60, 450))}
    for c, (code, unit, unit_src, (lo, hi)) in expect.items():
        rows = m[m.measurement_concept_id == c.concept_id]
        assert len(rows) > 1_000, c.concept_name
        assert concept.loc[c.concept_id, "vocabulary_id"] == "LOINC"
        assert concept.loc[c.concept_id, "concept_code"] == code
        assert set(rows.unit_concept_id) == {unit.concept_id} and set(rows.unit_source_value) == {unit_src}
        assert rows.value_as_number.between(lo, hi).all()
        assert concept.loc[unit.concept_id, "vocabulary_id"] == "UCUM"


def test_measured_values_track_the_true_ones_and_fasting_glucose_is_at_most_screenings(small):
    m = small.frame("measurement").merge(small.frame("cohort"), left_on="person_id", right_on="subject_id")
    at_index = m[m.measurement_date == m.cohort_start_date]
    L = latent_cohort(persons=3_000, seed=5)
    for c, true in ((C.FASTING_GLUCOSE, L.fpg), (C.DBP, L.dbp), (C.TOTAL_CHOLESTEROL, L.tc)):
        rows = at_index[at_index.measurement_concept_id == c.concept_id].drop_duplicates("person_id")
        r = np.corrcoef(rows.value_as_number, true[rows.person_id.to_numpy() - 1])[0, 1]
        assert r > 0.7, (c.concept_name, r)  # one measurement: biological and analytical noise
    fpg = at_index[at_index.measurement_concept_id == C.FASTING_GLUCOSE.concept_id]
    assert 0.9 < fpg.person_id.nunique() / 3_000 < 1.0


def test_same_seed_same_calibration_different_seed_different_people():
    a, b = latent_cohort(persons=4_000, seed=3), latent_cohort(persons=4_000, seed=3)
    assert np.array_equal(a.fpg, b.fpg) and np.array_equal(a.diagnosed["diabetes"], b.diagnosed["diabetes"])
    c = latent_cohort(persons=4_000, seed=4)
    assert not np.array_equal(a.fpg, c.fpg)


def test_truth_carries_target_next_to_achieved(small):
    rows = pd.DataFrame(small.truth.calibration)
    assert set(rows.condition) == {t.condition for t in cal.TARGETS}
    assert len(rows) == len(cal.TARGETS) * 12
    from medai.datasets.omop.truth import calibration_rows

    again = pd.DataFrame([r.__dict__ for r in calibration_rows(latent_cohort(persons=3_000, seed=5))])
    pd.testing.assert_frame_equal(rows, again)
    assert (rows.persons.sum() == 3_000 * len(cal.TARGETS))


def test_card_prints_the_published_table_and_target_vs_achieved():
    from medai.datasets.registry import get

    card = get("omop-cohort").card.to_markdown(seed=2, size=2_000)
    assert "## Published figures and calibration" in card and "KNHANES" in card
    assert "Target vs achieved (this build: seed 2, 2,000 persons)" in card
    line = next(x for x in card.splitlines() if x.startswith("| diabetes | M | 50-59 |"))
    cells = [c.strip() for c in line.strip("|").split("|")]
    assert float(cells[4]) == cal.BY_CONDITION["diabetes"].prevalence["M"][2]
    assert abs(float(cells[5]) - float(cells[4])) < 5  # achieved, in a small build
    assert "attendance" in card and "recorded" in card


@pytest.mark.slow
def test_recorded_conditions_and_drugs_in_a_50000_person_build_follow_the_targets():
    """What a student sees: diagnoses recorded on or before the index date and antihypertensive / antidiabetic
    treatment, by sex and band, against the table (true prevalence x diagnosed share)."""
    cohort = generate_omop(persons=PERSONS, seed=21)
    L = latent_cohort(persons=PERSONS, seed=21)
    idx_date = cohort.frame("cohort").set_index("subject_id").cohort_start_date
    cond = cohort.frame("condition_occurrence")
    cond = cond[cond.condition_start_date <= idx_date.loc[cond.person_id].to_numpy()]
    drugs = cohort.frame("drug_exposure")
    pid = np.arange(1, PERSONS + 1)
    for name, concept, drug in (("hypertension", C.HYPERTENSION, C.AMLODIPINE), ("diabetes", C.T2DM, C.METFORMIN)):
        recorded = np.isin(pid, cond.person_id[cond.condition_concept_id == concept.concept_id])
        treated = np.isin(pid, drugs.person_id[drugs.drug_concept_id == drug.concept_id])
        assert np.array_equal(recorded, treated)
        t = cal.BY_CONDITION[name]
        for sex, b, idx in _strata(L):
            want = t.prevalence[sex][b] * t.diagnosed_share[sex][b] / 100
            assert abs(100 * recorded[idx].mean() - want) <= cal.TOLERANCE["prevalence"], (name, sex, b)


def test_cli_card_prints_target_vs_achieved_for_a_build(capsys):
    from medai.cli import main

    assert main(["datasets", "card", "omop-cohort", "--seed", "3", "--size", "1500"]) == 0
    out = capsys.readouterr().out
    assert "Target vs achieved (this build: seed 3, 1,500 persons)" in out
    assert "| hypertension | F | 60-69 |" in out and "Why the cohort's recorded prevalence" in out
    assert main(["datasets", "card", "omop-cohort", "--size", "0"]) == 2
    assert "persons" in capsys.readouterr().err
