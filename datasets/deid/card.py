"""The dataset card of the synthetic raw hospital export (``raw-ehr-export``)."""
from __future__ import annotations

from medai.datasets.cards import Card

RAW_EXPORT_CARD = Card(
    name="raw-ehr-export",
    title="Raw hospital export with synthetic personal information (for de-identification)",
    summary=("What a Korean hospital's data warehouse hands over before pseudonymisation: patients with names, "
             "resident registration numbers (valid check digits), birth dates, phone numbers and street addresses, "
             "their encounters, lab results and short Korean clinical notes that repeat names, phone numbers and "
             "sometimes RRNs. Every value is made up: the input of the de-identification assignment."),
    source="synthetic: surname shares from Statistics Korea (2015 census), provinces by population, real district "
           "and postal-code prefixes; names, numbers and addresses are random combinations",
    licence="CC0 1.0 (generated data); the generator is part of medai (BSD-3-Clause)",
    generator="medai.datasets.deid.generate_raw_export(patients=..., seed=...)",
    size="patients x ~2.5 encounters, ~3.7 lab results, one note per encounter (2,000 patients: ~1.5 MB)",
    schema=(
        ("patients.csv", "mrn, name, rrn, birth_date, sex, phone, address, postal_code, first_visit"),
        ("encounters.csv", "encounter_id, mrn, admit_datetime, discharge_datetime, department, icd10, diagnosis"),
        ("labs.csv", "lab_id, mrn, encounter_id, lab_datetime, test (HbA1c, LDL-C, eGFR, Hb), value, unit"),
        ("notes.csv", "note_id, mrn, encounter_id, note_datetime, text (Korean free text with identifiers)"),
    ),
    deidentification=("none: this is the identified input. medai.datasets.deid.deidentify_export(raw, key=...) is "
                      "the reference pipeline (HMAC pseudonyms, per-patient date shifts, age bands with 90+, "
                      "province only, scrubbed notes, suppression to k-anonymity) and deid_report checks the "
                      "result against HIPAA Safe Harbor and PIPA pseudonymisation rules"),
    intended_tasks=("find every direct identifier, including in free text",
                    "keyed pseudonymisation with a secret kept apart; why a plain hash is not enough",
                    "date shifting that preserves intervals; generalisation and suppression",
                    "measure k-anonymity and l-diversity; the utility lost to reach k"),
    disease_area="cardiovascular, endocrine, respiratory, cancer",
    notes=("Ages run to 96, so top-coding over 89 matters.",
           "Guardians' names appear only in notes, never in the patients table.",
           "The pseudonymisation key belongs in its own file (medai.datasets.deid.save_key writes it 0600), never "
           "next to the data."),
)
