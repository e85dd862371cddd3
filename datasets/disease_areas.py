"""The disease-area datasets as files, and their cards: respiratory (``spirometry-copd``), cancer
(``cancer-registry``) and cardiovascular (``ecg-omop``, ECGs linked to the OMOP cohort's persons).

Each writer puts student-readable tables in the dataset's directory and returns the grader-only truth as JSON
(:mod:`medai.datasets.build` writes it to the graders' truth directory, never next to the data).
"""
from __future__ import annotations

import json
from pathlib import Path

from medai.datasets.cards import Card
from medai.datasets.errors import DatasetError

_SYNTHETIC_LICENCE = "CC0 1.0 (generated data); the generator is part of medai (BSD-3-Clause)"
_NO_PII = "synthetic; no personal information"


def _table(frame, out: Path, name: str) -> None:
    frame.to_csv(out / f"{name}.csv", index=False, lineterminator="\n")
    frame.to_parquet(out / f"{name}.parquet", index=False, compression="zstd")


def write_spirometry(out: Path, *, persons: int, seed: int) -> str:
    from medai.datasets.respiratory import generate_spirometry

    result = generate_spirometry(persons=persons, seed=seed)
    _table(result.table, out, "spirometry")
    return result.truth.to_json()


def write_cancer_registry(out: Path, *, patients: int, seed: int) -> str:
    from medai.datasets.cancer_registry import generate_cancer_registry

    result = generate_cancer_registry(patients=patients, seed=seed)
    _table(result.table, out, "registry")
    return result.truth.to_json()


def omop_build_of(data_dir: Path) -> tuple[int, int]:
    """(persons, seed) of the omop-cohort built in `data_dir`; DatasetError if there is none."""
    manifest = data_dir / "omop-cohort" / "manifest.json"
    try:
        meta = json.loads(manifest.read_text(encoding="utf-8"))
        return int(meta["size"]), int(meta["seed"])
    except (OSError, ValueError, KeyError, TypeError):
        raise DatasetError(f"ecg-omop links ECGs to the persons of omop-cohort: build omop-cohort into "
                           f"{data_dir} first (`medai datasets build omop-cohort ecg-omop`)") from None


def write_ecg_omop(out: Path, *, records: int, seed: int) -> str:
    from medai.datasets.ecg_build import write_ecg_files
    from medai.datasets.ecg_omop import generate_linked_ecgs

    persons, omop_seed = omop_build_of(out.parent)
    result = generate_linked_ecgs(omop_persons=persons, omop_seed=omop_seed, records=min(records, persons),
                                  seed=seed)
    write_ecg_files(out, result.ecgs, result.records)
    (out / "omop_build.json").write_text(json.dumps({"omop_seed": omop_seed, "omop_persons": persons}) + "\n",
                                         encoding="utf-8")
    return result.truth.to_json()


def _spirometry_card() -> Card:
    from medai.datasets import respiratory as R
    from medai.datasets.omop import calibration as cal

    rows = "; ".join(f"{sex} " + ", ".join(f"{band} {v}" for band, v in zip(R.BANDS, R.COPD_PREVALENCE[sex]))
                     for sex in ("M", "F"))
    return Card(
        name="spirometry-copd", title="Synthetic spirometry of Korean adults 40-89 with GOLD grades of COPD",
        summary="One spirometry session per person (FEV1, FVC, FEV1/FVC, % predicted), smoking history "
                "(never/former/current, pack-years), respiratory symptoms and whether a doctor ever diagnosed "
                "COPD. Airflow limitation comes from smoking and age and is calibrated by sex and 10-year band to "
                "published prevalence; most of it was never diagnosed, as in Korea.",
        source="synthetic (medai.datasets.respiratory); figures from " + R.SOURCE,
        licence=_SYNTHETIC_LICENCE, generator="medai.datasets.respiratory.generate_spirometry(persons=..., seed=...)",
        size="persons x 17 columns (5,000 persons: under 1 MB)",
        schema=(("person_id, age, sex, height_cm", "demographics (age in whole years)"),
                ("smoking_status, pack_years", "never / former / current; pack-years (0 for never smokers)"),
                ("fev1_l, fvc_l, fev1_fvc", f"measured post-bronchodilator values, litres and ratio (LOINC "
                                            f"{R.LOINC['fev1_l']}, {R.LOINC['fvc_l']}, {R.LOINC['fev1_fvc']})"),
                ("fev1_pred_l, fvc_pred_l, fev1_pct_pred, fvc_pct_pred",
                 f"predicted values (Crapo et al. 1981 x {R.ASIAN_FACTOR}) and percent predicted"),
                ("chronic_cough, chronic_sputum, mmrc_dyspnoea", "symptoms (0/1) and mMRC dyspnoea grade 0-4"),
                ("copd_diagnosed_by_doctor", "1 if ever told by a doctor (very few)"),
                ("files", "spirometry.csv and spirometry.parquet, the same table")),
        deidentification=_NO_PII,
        intended_tasks=("GOLD staging: FEV1/FVC < 0.70, then grade by FEV1 % predicted",
                        "underdiagnosis: spirometric COPD vs doctor's diagnosis",
                        "prediction of airflow limitation from age, sex, smoking and symptoms (case finding)",
                        "measurement error: one session vs the true values (graders' truth)"),
        disease_area="respiratory (COPD)",
        notes=(f"COPD: post-bronchodilator FEV1/FVC < 0.70 (GOLD fixed ratio); grades 1-4: FEV1 % predicted >= 80, "
               "50-79, 30-49, < 30.",
               f"Published figures (airflow limitation, % by sex and band): {rows}. Source: {R.SOURCE}; how sure: "
               f"{R.CAVEAT}.",
               "Current smoking by sex and band follows the OMOP cohort's table (" + cal.KNHANES + ", 2021).",
               "Predicted values use Crapo's equations scaled for Asian adults, not Korea's own reference "
               "equations (Choi et al. 2005): % predicted is approximate.",
               "Truth for graders (written to the course's truth/ folder, never here): the noise-free FEV1/FVC, "
               "true COPD and GOLD grade of every person, the model and the calibration achieved."))


def _registry_card() -> Card:
    from medai.datasets import cancer_registry as K

    survival = "; ".join(f"{site} " + "/".join(str(v) for v in K.RELATIVE_SURVIVAL_5Y[site][:3])
                         for site in K.SITES)
    stages = "; ".join(f"{site} " + "/".join(str(v) for v in K.STAGE_SHARE[site]) for site in K.SITES)
    return Card(
        name="cancer-registry",
        title="Synthetic Korean cancer registry: seven common sites, stage, treatment, survival",
        summary="First primary cancers diagnosed 2015-2019 at Korea's seven most common sites (thyroid, lung, "
                "colorectal, stomach, breast, prostate, liver) with SEER summary stage, first-course treatment and "
                "follow-up to death or 2024-12-31, including the cause of death. Survival depends on site and "
                "stage, following published 5-year relative survival; treatment follows stage.",
        source="synthetic (medai.datasets.cancer_registry); figures from " + K.SOURCE,
        licence=_SYNTHETIC_LICENCE,
        generator="medai.datasets.cancer_registry.generate_cancer_registry(patients=..., seed=...)",
        size="patients x 14 columns (5,000 patients: under 1 MB)",
        schema=(("patient_id, sex, age_at_diagnosis, diagnosis_date", "one row per patient"),
                ("site, icd10", "thyroid C73, lung C34, colorectal C18-C20, stomach C16, breast C50, prostate C61, "
                                "liver C22"),
                ("summary_stage", "localised, regional, distant, unknown (SEER summary stage, as KCCR reports)"),
                ("surgery, chemotherapy, radiotherapy", "first-course treatment (0/1)"),
                ("site_specific_treatment",
                 "radioactive iodine, hormone therapy, androgen deprivation, TACE, or empty"),
                ("vital_status, followup_days, cause_of_death", "dead/alive at 2024-12-31, days from diagnosis, "
                                                                "cancer / other / empty if alive"),
                ("files", "registry.csv and registry.parquet, the same table")),
        deidentification=_NO_PII,
        intended_tasks=("Kaplan-Meier by site and stage; log-rank tests", "Cox regression with stage and age",
                        "net survival: censor deaths from other causes",
                        "confounding by stage: treated vs untreated survival is not a treatment effect"),
        disease_area="cancer",
        notes=(f"Published 5-year relative survival (%, localised/regional/distant): {survival}.",
               f"Stage mix at diagnosis (%, localised/regional/distant/unknown): {stages}.",
               f"Source: {K.SOURCE}; how sure: {K.CAVEAT}.",
               "Deaths from other causes follow Gompertz background mortality by sex and age (about Korea's life "
               "table); a cause-specific Kaplan-Meier curve at 5 years estimates the net survival set by the table.",
               "Treatment does not change survival in the generating model (graders' truth): any difference between "
               "treated and untreated patients is confounding by stage and age.",
               "Truth for graders (never here): each site and stage's excess hazard and the net survival achieved."))


def _ecg_omop_card() -> Card:
    from medai.datasets import ecg_omop as E

    return Card(
        name="ecg-omop", title="12-lead ECGs of the OMOP cohort's persons, linked by person_id",
        summary="Resting 12-lead ECGs (10 s, 500 Hz) taken at the index health-screening visit of persons of "
                "omop-cohort, built from the same data directory's omop-cohort (its seed and size), so that ECG "
                "features and EHR records can be used together. Atrial fibrillation depends on the person's age, "
                "sex, hypertension and obesity; the archive is enriched for AF.",
        source="synthetic (medai.datasets.ecg_omop, signals by medai.datasets.ecg); AF figures: " + E.AF_SOURCE,
        licence=_SYNTHETIC_LICENCE,
        generator="medai.datasets.ecg_omop.generate_linked_ecgs(omop_persons=..., omop_seed=..., records=..., "
                  "seed=...)",
        size="records x 12 x 5000 int16 (200 records: 24 MB); at most one record per person",
        schema=(("signals.npy", "int16 microvolts, shape (records, 12, 5000), leads I, II, III, aVR, aVL, aVF, "
                                "V1-V6"),
                ("records.csv", "record_id (row order of signals.npy), person_id (omop-cohort's person_id), "
                                "ecg_date (the person's cohort_start_date), rhythm, heart_rate_bpm, beats, fs_hz, "
                                "seconds"),
                ("r_peaks.csv", "record_id, sample, beat (N normal, V premature ventricular)"),
                ("omop_build.json", "the seed and persons of the omop-cohort build these ECGs belong to")),
        deidentification=_NO_PII,
        intended_tasks=("join ECGs to OMOP persons (person_id, ecg_date = index date)",
                        "AF from the ECG (RR irregularity) vs AF risk from the EHR (age, sex, hypertension, BMI)",
                        "multimodal models: ECG features with baseline EHR features",
                        "sampling bias: an AF-enriched archive is not the population"),
        disease_area="cardiovascular (arrhythmia, with the OMOP cohort's MI outcomes)",
        notes=(f"AF odds: {E.AF_LOGIT} (age per 10 years from 65; hypertension and obesity as the OMOP cohort "
               f"defines them). Sampling weight of a person with AF: {E.AF_ENRICHMENT:g} x.",
               "Build omop-cohort first into the same data directory (`medai datasets build` builds it first), and "
               "rebuild ecg-omop after rebuilding omop-cohort with another seed or size (omop_build.json says "
               "which build the records belong to).",
               "Truth for graders (never here): each record's true probability of AF, the prevalence of AF in "
               "the whole cohort and in the archive."))


SPIROMETRY_CARD = _spirometry_card()
REGISTRY_CARD = _registry_card()
ECG_OMOP_CARD = _ecg_omop_card()
