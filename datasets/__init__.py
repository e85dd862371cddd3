"""Datasets for the course: seeded synthetic hospital data (OMOP CDM cohort, a raw
export with synthetic PHI, images with masks, ECG), real de-identified data that
ships inside installed packages, the disease-area datasets (spirometry, a cancer registry, ECGs linked to
the OMOP persons), and the registry that ``medai datasets`` builds from.

Everything here is importable from a student's notebook; generators and loaders import their heavy
dependencies (scikit-learn, pyarrow, ...) only when called.
"""
from medai.datasets.access import connect_omop, data_dir, dataset_path, read_omop
from medai.datasets.cancer_registry import generate_cancer_registry
from medai.datasets.deid.raw import generate_raw_export
from medai.datasets.ecg import generate_ecgs, make_ecg
from medai.datasets.ecg_omop import generate_linked_ecgs
from medai.datasets.errors import DatasetError
from medai.datasets.imaging import generate_ct_volumes, generate_mr_slices
from medai.datasets.omop import OmopCohort, Truth, generate_omop
from medai.datasets.packaged import load_breast_cancer, load_diabetes
from medai.datasets.respiratory import generate_spirometry
from medai.datasets.survival import (load_aids_actg320, load_flchain, load_gbsg2, load_veterans_lung_cancer,
                                     load_whas500)

__all__ = [
    "DatasetError", "OmopCohort", "Truth", "connect_omop", "data_dir", "dataset_path", "generate_cancer_registry",
    "generate_ct_volumes", "generate_ecgs", "generate_linked_ecgs", "generate_mr_slices", "generate_omop",
    "generate_raw_export", "generate_spirometry", "make_ecg",
    "load_aids_actg320", "load_breast_cancer", "load_diabetes", "load_flchain", "load_gbsg2",
    "load_veterans_lung_cancer", "load_whas500", "read_omop",
]
