"""A contest's task: one table (an `id` column, a `group` column, features, `label`), built from data that only
the course directory holds (the contest's private `source/` folder; see medai.grader.contest.paths): never from the
students' data directory, where every label of every site would be readable (by the students, and by a
submission in the sandbox, which may read datasets).

`omop-mi`: a synthetic OMOP cohort of the contest's own (medai.datasets' generator, `persons` people, the
contest's private seed: not the cohort students work with), built into `source/`; its screening population (aged 40-79 at the index date, at least 730 days of
observation before it, no MI or coronary disease on or before it), features known on the index date only, and the
label "myocardial infarction 1 to 365 days after the index date". The group is the care site (1, 2, 3): a contest
that tests at one site and trains at the others measures dataset shift (the sites' laboratories differ).

`table`: a Parquet file of a dataset with its label column (and a group column if the split is by group).

`mr-lesions`: lesion segmentation on synthetic brain MR slices of the contest's own (medai.datasets.imaging's
generator, `cases` slices of `image_size` pixels, the contest's private seed), one row per slice: `image` (the
pixels, flattened), `label` (the lesion mask, flattened) and `shape`. The hidden inputs reach predict() as images
of that shape (medai.grader.contest.sandboxed); its masks are scored with MONAI's Dice per image.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Callable

from medai.course.model import ContestData
from medai.datasets.access import OMOP, connect_omop
from medai.datasets.errors import DatasetError
from medai.grader.contest.paths import ID

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

GROUP, LABEL = "group", "label"
IMAGE, SHAPE = "image", "shape"  # segmentation tasks: flattened pixels and each image's shape

_FLAG = ("EXISTS (SELECT 1 FROM {table} r WHERE r.person_id = b.person_id AND +r.{col} IN ({ids}) "
         "AND r.{date} <= b.index_date)")
_LAB = ("(SELECT m.value_as_number FROM measurement m WHERE m.person_id = b.person_id "
        "AND +m.measurement_concept_id = {concept} AND m.measurement_date = b.index_date "
        "ORDER BY m.measurement_datetime DESC LIMIT 1)")
OMOP_FEATURES = {
    "smoker": _FLAG.format(table="observation", col="observation_concept_id", date="observation_date", ids="4298794"),
    "diabetes": _FLAG.format(table="condition_occurrence", col="condition_concept_id", date="condition_start_date",
                             ids="201826"),
    "hypertension": _FLAG.format(table="condition_occurrence", col="condition_concept_id",
                                 date="condition_start_date", ids="320128"),
    "hyperlipidemia": _FLAG.format(table="condition_occurrence", col="condition_concept_id",
                                   date="condition_start_date", ids="432867"),
    "ckd": _FLAG.format(table="condition_occurrence", col="condition_concept_id", date="condition_start_date",
                        ids="46271022"),
    "statin": _FLAG.format(table="drug_exposure", col="drug_concept_id", date="drug_exposure_start_date",
                           ids="1545958, 1510813, 1539403"),
    "prior_visits": ("(SELECT COUNT(*) FROM visit_occurrence v WHERE v.person_id = b.person_id "
                     "AND v.visit_start_date < b.index_date)"),
    "sbp": _LAB.format(concept=3004249),
    "bmi": _LAB.format(concept=3038553),
    "ldl": _LAB.format(concept=3028437),
    "hba1c": _LAB.format(concept=3004410),
    "egfr": _LAB.format(concept=3049187),
}
OMOP_LABEL = ("EXISTS (SELECT 1 FROM condition_occurrence r WHERE r.person_id = b.person_id "
              "AND +r.condition_concept_id = 4329847 "
              "AND julianday(r.condition_start_date) - julianday(b.index_date) BETWEEN 1 AND {horizon})")
OMOP_SQL = """
WITH b AS (
    SELECT c.subject_id AS person_id, c.cohort_start_date AS index_date, p.care_site_id,
           CAST(strftime('%Y', c.cohort_start_date) AS INTEGER) - p.year_of_birth
             - (CAST(strftime('%m', c.cohort_start_date) AS INTEGER) < p.month_of_birth) AS age,
           p.gender_concept_id = 8507 AS male,
           julianday(c.cohort_start_date) - julianday(op.observation_period_start_date) AS look_back_days
    FROM cohort c
    JOIN person p ON p.person_id = c.subject_id
    JOIN observation_period op ON op.person_id = c.subject_id
    WHERE c.cohort_definition_id = 1
)
SELECT b.person_id AS id, b.care_site_id AS "group", b.age, b.male, {features}, {label} AS label
FROM b
WHERE b.age BETWEEN 40 AND 79 AND b.look_back_days >= 730
  AND NOT EXISTS (SELECT 1 FROM condition_occurrence r WHERE r.person_id = b.person_id
                  AND +r.condition_concept_id IN (4329847, 317576) AND r.condition_start_date <= b.index_date)
ORDER BY b.person_id
"""


def _omop_mi(data: ContestData, source: Path, seed: int) -> "pd.DataFrame":
    import pandas as pd

    from medai.datasets.build import build_datasets

    built = source / "data"
    build_datasets(out_dir=built, truth_dir=source / "truth", names=[OMOP], seed=seed, size=data.persons)
    sql = OMOP_SQL.format(features=", ".join(f"{sql} AS {name}" for name, sql in OMOP_FEATURES.items()),
                          label=OMOP_LABEL.format(horizon=int(data.horizon_days)))
    con = connect_omop(root=built)
    try:
        frame = pd.read_sql(sql, con)
    finally:
        con.close()
    frame[ID] = frame[ID].astype(str)
    return frame


def _table(data: ContestData, source: Path, seed: int) -> "pd.DataFrame":
    import pandas as pd

    path = source / (data.table or "")
    if not path.is_file():
        raise DatasetError(f"contest table {path} does not exist: put the task's table there (the course "
                           "directory only; never under the students' data directory)")
    frame = pd.read_parquet(path)
    missing = [c for c in (ID, data.label, data.group) if c and c not in frame.columns]
    if missing:
        raise DatasetError(f"{path}: no column(s) {', '.join(missing)}")
    frame = frame.rename(columns={data.label: LABEL, **({data.group: GROUP} if data.group else {})})
    frame[ID] = frame[ID].astype(str)
    return frame


def _mr_lesions(data: ContestData, source: Path, seed: int) -> "pd.DataFrame":
    import pandas as pd

    from medai.datasets.imaging import generate_mr_slices

    images = generate_mr_slices(cases=data.cases, seed=seed, size=data.image_size)
    return pd.DataFrame({ID: [im.case_id for im in images], IMAGE: [im.pixels.ravel() for im in images],
                         LABEL: [im.mask.ravel() for im in images], SHAPE: [list(im.pixels.shape) for im in images]})


def masks(frame: "pd.DataFrame", column: str = LABEL):
    """A segmentation table's masks (or images) as one array (rows, *shape); every row has the same shape."""
    import numpy as np

    return np.stack([np.asarray(v).reshape(tuple(s)) for v, s in zip(frame[column], frame[SHAPE])])


TASKS: dict[str, Callable[[ContestData, Path, int], "pd.DataFrame"]] = {"omop-mi": _omop_mi, "table": _table,
                                                                        "mr-lesions": _mr_lesions}


def task_table(data: ContestData, source: Path, seed: int) -> "pd.DataFrame":
    """The task's whole table (labels included), from the contest's private `source` folder: `prepare` only."""
    return TASKS[data.task](data, source, seed)
