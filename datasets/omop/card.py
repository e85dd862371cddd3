"""The dataset card of the synthetic OMOP cohort (``omop-cohort``)."""
from __future__ import annotations

from medai.datasets.cards import Card
from medai.datasets.omop import concepts as C
from medai.datasets.omop.schema import CDM

_TABLE_NOTES = {
    "person": "one row per person; year and month of birth only (day and birth_datetime are null); "
              "person_source_value is a keyed pseudonym",
    "observation_period": "one per person: from the first record to death or 2024-12-31",
    "visit_occurrence": "outpatient visits (건강검진 = index health screening, 외래 = clinic) and inpatient stays (입원)",
    "condition_occurrence": "diagnoses known before the index date, and incident MI, coronary arteriosclerosis, "
                            "lung/stomach cancer and COPD; source value is the ICD-10 code or the condition name",
    "drug_exposure": "statins started at the index date, metformin and amlodipine for known diabetes and "
                     "hypertension, secondary prevention after MI; one row per treatment episode",
    "measurement": "SBP/DBP, BMI, LDL and total cholesterol, HbA1c, fasting glucose, eGFR at visits (baseline at "
                   "the index visit), troponin I at MI",
    "observation": "current smoking recorded at the index visit (most, not all, smokers)",
    "death": "date and, when due to MI or cancer, cause",
    "care_site": "the three hospitals (sites A, B, C)",
    "cohort": "cohort_definition_id 1: the index date (cohort_start_date) and end of follow-up of every person",
    "concept": "every concept id the data uses, with its name, vocabulary and code",
}

def _pct(x: float | None) -> str:
    return "" if x is None else f"{x:.1f}"


def calibration_markdown(*, seed: int | None = None, size: int | None = None) -> str:
    """The published figures (one table: definition, source, years) and, next to them, what a build of `size`
    persons with `seed` achieved (default: seed 0, 10,000 persons, the registry's default build)."""
    from medai.datasets.omop import calibration as cal
    from medai.datasets.omop.generate import latent_cohort
    from medai.datasets.omop.truth import calibration_rows, condition_status

    seed = 0 if seed is None else seed
    size = 10_000 if size is None else size
    latent = latent_cohort(persons=size, seed=seed)
    lines = ["## Published figures and calibration", "",
             "Conditions are defined as KNHANES defines them and calibrated by sex and 10-year age band to these "
             "figures (general population, within each stratum):", "",
             "| condition | definition | source | survey years | how sure |", "|---|---|---|---|---|"]
    lines += [f"| {t.condition} | {t.definition} | {t.source} | {t.years} | {t.certainty} |" for t in cal.TARGETS]
    lines += ["", "Headline figures (general population): "
              + "; ".join(f"{k}: {v}" for k, v in cal.HEADLINES.items()) + ".", "",
              f"Stated tolerance in every sex x band stratum of at least {cal.MIN_STRATUM} persons: true prevalence "
              f"within {cal.TOLERANCE['prevalence']} and diagnosed share within {cal.TOLERANCE['diagnosed_share']} "
              "percentage points of the target.", "",
              f"### Target vs achieved (this build: seed {seed}, {size:,} persons)", "",
              "| condition | sex | age | persons | prevalence target % | achieved % | diagnosed target % "
              "| achieved % |", "|---|---|---|---|---|---|---|---|"]
    lines += [f"| {r.condition} | {r.sex} | {r.band} | {r.persons:,} | {r.target_prevalence:.0f} | "
              f"{_pct(r.prevalence)} | {_pct(r.target_diagnosed)} | {_pct(r.diagnosed)} |"
              for r in calibration_rows(latent)]
    status, diagnosed = condition_status(latent)
    census = cal.census_weights()
    mix = cal.cohort_weights(age=latent.age, male=latent.male)
    lines += ["", "### Why the cohort's recorded prevalence is not the survey's", "",
              "The hospital sees older people more often (attendance weights by age in "
              "`medai.datasets.omop.population.ATTENDANCE`), so its age mix is older than the census's and every "
              "overall figure is higher; a diagnosis is recorded only for the diagnosed (aware) share. Recorded "
              "prevalence = sum over strata of (the cohort's share of the stratum x target prevalence x target "
              "diagnosed share).", "",
              "| condition | general population (2020 census mix), target % | cohort mix, target % | "
              "cohort, achieved true % | recorded: expected % | recorded: achieved % |",
              "|---|---|---|---|---|---|"]
    for t in cal.TARGETS:
        pop_prev, _ = cal.expected_overall(t.condition, weights=census)
        mix_prev, mix_rec = cal.expected_overall(t.condition, weights=mix)
        rec = diagnosed.get(t.condition)
        lines.append(f"| {t.condition} | {pop_prev:.1f} | {mix_prev:.1f} | {100 * status[t.condition].mean():.1f} | "
                     f"{_pct(mix_rec)} | {_pct(None if rec is None else 100 * float(rec.mean()))} |")
    return "\n".join(lines) + "\n"


OMOP_CARD = Card(
    name="omop-cohort",
    title="Synthetic Korean hospital cohort, OMOP CDM v5.4",
    summary=("Adults aged 30-89 seen at three Korean hospitals between 2010 and 2024, with an index health-screening "
             "visit in 2015-2019 and follow-up to death or 2024-12-31, in OMOP CDM v5.4 tables (Parquet, one file "
             "per table, and one SQLite database `omop.sqlite` with the same tables). Generated from a known model: "
             "correlated risk factors (age, sex, smoking, BMI, SBP, LDL, HbA1c, eGFR) drive myocardial "
             "infarction, cancer, COPD and death through known hazards."),
    source="synthetic: no real person's data; age/sex structure from Statistics Korea's 2020 census by 5-year band",
    licence="CC0 1.0 (generated data); the generator is part of medai (BSD-3-Clause)",
    generator="medai.datasets.omop.generate_omop(persons=..., seed=...)",
    size="persons x ~6 visits, ~14 measurements each (10,000 persons: ~30 MB)",
    schema=tuple((f"{table}", f"{_TABLE_NOTES[table]}. Columns: {', '.join(c for c, _, _ in cols)}")
                 for table, cols in CDM.items()),
    deidentification=("synthetic, so nothing to de-identify; shaped like a PIPA pseudonymised extract: "
                      "person_source_value is an HMAC-SHA256 pseudonym, birth day is dropped, dates are exact"),
    intended_tasks=(
        "SQL over a CDM: cohorts, incidence, baseline tables",
        "predict MI within 1826 days of the index date (label below) from baseline data only",
        "survival analysis: time to MI, cancer, COPD, death (competing risks)",
        "causal inference: effect of starting a statin at the index date on MI (confounded by indication)",
        "missing data (labs at visits only, more for sicker people) and dataset shift across sites",
    ),
    disease_area="cardiovascular, cancer (lung, stomach), respiratory (COPD)",
    notes=(
        "Index date: cohort.cohort_start_date (cohort_definition_id 1). The 5-year MI label: a condition_occurrence "
        "of 4329847 dated 1 to 1826 days after the index date; everyone is followed 1826 days or until death.",
        "Leakage traps: coronary arteriosclerosis diagnoses, clopidogrel, aspirin, new atorvastatin and troponin "
        "tests appear after an MI, and follow-up LDL falls on statins. Use only records dated on or before the "
        "index date as features.",
        "Sites calibrate their laboratories differently and see different patients; compare models across "
        "care_site_id.",
        "Missingness is informative: HbA1c, LDL and eGFR at the index visit are measured more often in people "
        "with known diabetes, hyperlipidaemia or older age.",
        "Ground truth (true coefficients, the statin's true effect, the Bayes-optimal AUC and C-index) is kept for "
        "graders: `medai datasets build` writes it under the course directory's truth/ folder, never here.",
        "Concept ids used (✓ checked against published OHDSI material; ? to be confirmed in Athena): "
        + "; ".join(f"{c.concept_id} {c.concept_name} ({c.vocabulary_id} {c.concept_code}) {'✓' if c.verified else '?'}"
                    for c in sorted(C.ALL, key=lambda x: (x.domain_id, x.concept_id))),
        "Conditions follow the survey's definitions (see the table below): hypertension (condition 320128) is "
        "SBP >= 140 or DBP >= 90 or an antihypertensive; diabetes (201826) fasting glucose >= 126 or HbA1c >= 6.5 "
        "or diagnosed or treated; hypercholesterolaemia (recorded as hyperlipidaemia, 432867) total cholesterol "
        ">= 240 or a lipid-lowering drug (a statin started at the index screening counts); obesity BMI >= 25. "
        "Only the diagnosed share is recorded as a condition before the index date; diagnosed hypertension and "
        "diabetes are treated (amlodipine, metformin), so their measured values are on treatment. A "
        "hyperlipidaemia diagnosis before the index date needs total cholesterol >= 240 (60 % of those have "
        "one); the statin decision at the index screening follows LDL, age, CKD and the known diabetes and "
        "hypertension.",
        "Measurements (LOINC, UCUM units): SBP 8480-6 and DBP 8462-4 (mmHg, as a pair), BMI 39156-5 (kg/m2), "
        "LDL-C 13457-7 and total cholesterol 2093-3 (mg/dL, one lipid panel), HbA1c 4548-4 (%), fasting glucose "
        "1558-6 (mg/dL, at almost every screening), eGFR 62238-1 (mL/min/1.73m2), troponin I 10839-9 (ng/mL).",
        "Byte-identical rebuilds need the same seed, size and library versions (the manifest records them).",
    ),
    appendix=calibration_markdown,
)

