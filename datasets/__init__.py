"""Datasets for the course: loaders for real de-identified data that ships inside packages."""
from medai.datasets.packaged import load_breast_cancer, load_diabetes

__all__ = ["load_breast_cancer", "load_diabetes"]
