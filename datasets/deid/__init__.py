"""De-identification toolkit: synthetic raw exports with PHI, keyed pseudonymisation, date shifting,
generalisation, suppression, k-anonymity / l-diversity, and a Safe Harbor / PIPA report."""
from medai.datasets.deid.generalise import (age_band, age_in_years, postal_prefix, region, suppress_small_classes,
                                            top_code)
from medai.datasets.deid.kanon import equivalence_class_sizes, k_anonymity, l_diversity, measure
from medai.datasets.deid.pipeline import DeidResult, deidentify_export, scrub_text
from medai.datasets.deid.pseudonymise import load_key, new_key, pseudonymise, save_key, shift_dates, shift_days
from medai.datasets.deid.raw import RawExport, generate_raw_export
from medai.datasets.deid.report import DeidReport, deid_report

__all__ = [
    "DeidReport", "DeidResult", "RawExport", "age_band", "age_in_years", "deid_report", "deidentify_export",
    "equivalence_class_sizes", "generate_raw_export", "k_anonymity", "l_diversity", "load_key", "measure",
    "new_key", "postal_prefix", "pseudonymise", "region", "save_key", "scrub_text", "shift_dates", "shift_days",
    "suppress_small_classes", "top_code",
]
