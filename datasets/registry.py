"""The one registry of datasets: name -> card, how to write it, its default size.

``medai datasets list | build | card`` and :func:`medai.datasets.build.build_datasets` read only this.
A writer gets a :class:`BuildContext` (an empty directory, the seed, the size) and returns :class:`Written`
(the grader-only truth as JSON, if the dataset has one). Nothing here does I/O at import.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from medai.datasets.cards import Card
from medai.datasets.errors import DatasetError, said
from medai.datasets.ecg_build import ECG_CARD
from medai.datasets.imaging_build import CT_CARD, MR_CARD
from medai.datasets.deid.card import RAW_EXPORT_CARD
from medai.datasets.disease_areas import ECG_OMOP_CARD, REGISTRY_CARD, SPIROMETRY_CARD
from medai.datasets.omop.card import OMOP_CARD


@dataclass(frozen=True)
class BuildContext:
    out: Path          # an empty directory that becomes the dataset's directory
    seed: int
    size: int | None   # persons / images / records for generated datasets; None for packaged data


@dataclass(frozen=True)
class Written:
    truth: str | None = None  # JSON for graders only; never written under `out`


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    kind: str                      # "synthetic" or "packaged"
    card: Card
    writer: Callable[[BuildContext], Written]
    size_unit: str | None = None   # what --size counts, for synthetic data
    default_size: int | None = None
    max_size: int | None = None


def _write_omop(ctx: BuildContext) -> Written:
    from medai.datasets.omop import generate_omop
    from medai.datasets.omop.write import SQLITE_NAME, write_parquet, write_sqlite

    cohort = generate_omop(persons=ctx.size, seed=ctx.seed)
    write_parquet(cohort.tables, ctx.out / "parquet")
    write_sqlite(cohort.tables, ctx.out / SQLITE_NAME)
    return Written(truth=cohort.truth.to_json())


def _write_raw_export(ctx: BuildContext) -> Written:
    from medai.datasets.deid.raw import generate_raw_export

    raw = generate_raw_export(patients=ctx.size, seed=ctx.seed)
    for name, frame in raw.tables().items():
        frame.to_csv(ctx.out / f"{name}.csv", index=False, lineterminator="\n")
    return Written()


def _imaging_writer(kind: str) -> Callable[[BuildContext], Written]:
    def write(ctx: BuildContext) -> Written:
        from medai.datasets.imaging_build import write_imaging

        write_imaging(ctx.out, kind=kind, cases=ctx.size, seed=ctx.seed)
        return Written()

    return write


def _write_ecgs(ctx: BuildContext) -> Written:
    from medai.datasets.ecg_build import write_ecgs

    write_ecgs(ctx.out, records=ctx.size, seed=ctx.seed)
    return Written()


def _disease_writer(function: str, unit: str) -> Callable[[BuildContext], Written]:
    def write(ctx: BuildContext) -> Written:
        from medai.datasets import disease_areas

        return Written(truth=getattr(disease_areas, function)(ctx.out, seed=ctx.seed, **{unit: ctx.size}))

    return write


def _packaged_writer(module: str, function: str) -> Callable[[BuildContext], Written]:
    def write(ctx: BuildContext) -> Written:
        import importlib

        frame = getattr(importlib.import_module(module), function)()
        frame.to_csv(ctx.out / "data.csv", index=False, lineterminator="\n")
        frame.to_parquet(ctx.out / "data.parquet", index=False, compression="zstd")
        return Written()

    return write


def _packaged(name: str, title: str, function: str, *, module: str, summary: str, source: str, licence: str,
              size: str, schema: tuple[tuple[str, str], ...], area: str, tasks: tuple[str, ...],
              notes: tuple[str, ...] = ()) -> DatasetSpec:
    card = Card(name=name, title=title, summary=summary, source=source, licence=licence,
                generator=f"medai.datasets.{function}() (bundled in an installed package; no download)",
                size=size, schema=schema + (("files", "data.csv and data.parquet, the same table"),),
                deidentification="de-identified at source: no direct identifiers, no dates",
                intended_tasks=tasks, disease_area=area, notes=notes)
    return DatasetSpec(name=name, kind="packaged", card=card, writer=_packaged_writer(f"medai.datasets.{module}",
                                                                                     function))


_SKSURV = ("redistributed inside scikit-survival (GPL-3.0) as an ARFF file; published for teaching and research "
           "by the original authors; check the original terms before use outside teaching")
_SKLEARN = "distributed with scikit-learn (BSD-3-Clause)"

SPECS: tuple[DatasetSpec, ...] = (
    DatasetSpec(name="omop-cohort", kind="synthetic", card=OMOP_CARD, writer=_write_omop, size_unit="persons",
                default_size=10_000, max_size=2_000_000),
    DatasetSpec(name="raw-ehr-export", kind="synthetic", card=RAW_EXPORT_CARD, writer=_write_raw_export,
                size_unit="patients", default_size=2_000, max_size=1_000_000),
    DatasetSpec(name="mr-lesions-2d", kind="synthetic", card=MR_CARD, writer=_imaging_writer("mr"),
                size_unit="images", default_size=200, max_size=100_000),
    DatasetSpec(name="ct-lesions-3d", kind="synthetic", card=CT_CARD, writer=_imaging_writer("ct"),
                size_unit="volumes", default_size=12, max_size=2_000),
    DatasetSpec(name="ecg-rhythms", kind="synthetic", card=ECG_CARD, writer=_write_ecgs, size_unit="records",
                default_size=200, max_size=20_000),
    DatasetSpec(name="spirometry-copd", kind="synthetic", card=SPIROMETRY_CARD,
                writer=_disease_writer("write_spirometry", "persons"), size_unit="persons", default_size=5_000,
                max_size=500_000),
    DatasetSpec(name="cancer-registry", kind="synthetic", card=REGISTRY_CARD,
                writer=_disease_writer("write_cancer_registry", "patients"), size_unit="patients",
                default_size=5_000, max_size=1_000_000),
    DatasetSpec(name="ecg-omop", kind="synthetic", card=ECG_OMOP_CARD,
                writer=_disease_writer("write_ecg_omop", "records"),
                size_unit="records", default_size=200, max_size=20_000),
    _packaged("breast-cancer-wisconsin", "Breast cancer Wisconsin (Diagnostic)", "load_breast_cancer",
              module="packaged", summary="569 fine-needle aspirates of breast masses: 30 nucleus measurements and "
              "the pathology result.", source="Wolberg, Street and Mangasarian, University of Wisconsin Hospitals "
              "(1995), UCI Machine Learning Repository (doi:10.24432/C5DW2B)", licence=_SKLEARN + "; UCI: CC BY 4.0",
              size="569 rows x 31 columns", area="cancer",
              schema=(("mean_*, *_error, worst_*", "radius, texture, perimeter, area, smoothness, compactness, "
                                                  "concavity, concave points, symmetry, fractal dimension (float)"),
                      ("malignant", "1 = malignant (212), 0 = benign (357)")),
              tasks=("diagnostic accuracy: sensitivity, specificity, ROC", "classification")),
    _packaged("diabetes-progression", "Diabetes progression (Efron et al.)", "load_diabetes", module="packaged",
              summary="442 diabetes patients: 10 baseline variables and disease progression after one year.",
              source="Efron, Hastie, Johnstone and Tibshirani, Annals of Statistics 32(2), 2004",
              licence=_SKLEARN, size="442 rows x 11 columns", area="metabolic",
              schema=(("age, sex, bmi, bp", "age (years), sex (1/2), BMI, mean arterial pressure"),
                      ("total_cholesterol, ldl, hdl, cholesterol_hdl_ratio, log_triglycerides, glucose",
                       "blood serum measurements"), ("progression", "disease progression after one year (25-346)")),
              tasks=("regression", "regularisation and variable selection")),
    _packaged("whas500", "Worcester Heart Attack Study (WHAS500)", "load_whas500", module="survival",
              summary="500 patients admitted with acute myocardial infarction, followed for death.",
              source="Hosmer, Lemeshow and May, Applied Survival Analysis, 2nd ed., Wiley 2008", licence=_SKSURV,
              size="500 rows x 16 columns", area="cardiovascular",
              schema=(("age, gender, bmi, heart_rate, systolic_bp, diastolic_bp, ...", "admission covariates; "
                       "binary ones 0/1"), ("died", "1 = died"), ("followup_days", "days from admission")),
              tasks=("Kaplan-Meier, log-rank, Cox regression", "C-index")),
    _packaged("gbsg2", "German Breast Cancer Study Group 2", "load_gbsg2", module="survival",
              summary="686 women with node-positive breast cancer, followed for recurrence or death.",
              source="Schumacher et al., J Clin Oncol 12:2086-2093 (1994), via R package TH.data", licence=_SKSURV,
              size="686 rows x 10 columns", area="cancer",
              schema=(("age, hormonal_therapy, menopausal_status, positive_nodes, tumour_grade, tumour_size_mm, "
                       "estrogen_receptor, progesterone_receptor", "baseline covariates"),
                      ("recurrence_or_death", "1 = event"), ("time_days", "days to event or censoring")),
              tasks=("treatment effect (hormonal therapy) in survival", "Cox regression, random survival forests")),
    _packaged("flchain", "Serum free light chains and mortality", "load_flchain", module="survival",
              summary="7,874 residents of Olmsted County, Minnesota, with serum free light chain assays.",
              source="Dispenzieri et al., Mayo Clin Proc 87:517-523 (2012), via R package survival",
              licence=_SKSURV, size="7,874 rows x 11 columns", area="haematology, all-cause mortality",
              schema=(("age, sex, creatinine, kappa_flc, lambda_flc, flc_group, mgus, sample_year",
                       "baseline covariates (creatinine partly missing)"),
                      ("death_cause_chapter", "ICD chapter of the cause of death (missing if alive): a leakage "
                       "trap"), ("died", "1 = died"), ("followup_days", "days")),
              tasks=("survival prediction", "spotting leakage (death_cause_chapter)")),
    _packaged("veterans-lung-cancer", "Veterans' Administration lung cancer trial", "load_veterans_lung_cancer",
              module="survival", summary="137 men with advanced inoperable lung cancer randomised to standard or "
              "test chemotherapy.", source="Kalbfleisch and Prentice, The Statistical Analysis of Failure Time "
              "Data, Wiley 1980", licence=_SKSURV, size="137 rows x 8 columns", area="cancer, respiratory",
              schema=(("age, celltype, karnofsky_score, months_from_diagnosis, prior_therapy, treatment",
                       "baseline covariates"), ("died", "1 = died"), ("survival_days", "days")),
              tasks=("randomised comparison of survival", "proportional hazards checks")),
    _packaged("aids-actg320", "AIDS Clinical Trials Group study 320", "load_aids_actg320", module="survival",
              summary="1,151 HIV-infected patients randomised to two or three antiretroviral drugs.",
              source="Hammer et al., N Engl J Med 337:725-733 (1997), via Hosmer, Lemeshow and May (2008)",
              licence=_SKSURV, size="1,151 rows x 13 columns", area="infectious disease",
              schema=(("age, cd4, sex, race_ethnicity, ivdrug, hemophilia, karnofsky_score, prior_zdv_months, "
                       "strat2, treatment_includes_idv, treatment_group", "baseline covariates"),
                      ("aids_or_death", "1 = AIDS-defining event or death"), ("time_days", "days")),
              tasks=("treatment effect in a randomised trial", "rare events")),
)

REGISTRY: dict[str, DatasetSpec] = {spec.name: spec for spec in SPECS}


def names() -> list[str]:
    return list(REGISTRY)


def get(name: str) -> DatasetSpec:
    try:
        return REGISTRY[name]
    except KeyError:
        raise DatasetError(said("unknown dataset {name!r}; known: {known}", name=name, known=", ".join(REGISTRY))) \
            from None
