"""Synthetic OMOP CDM v5.4 cohorts with known signal (cardiovascular, cancer, respiratory) and their truth."""
from medai.datasets.omop.generate import OmopCohort, generate_omop
from medai.datasets.omop.truth import Truth

__all__ = ["OmopCohort", "Truth", "generate_omop"]
