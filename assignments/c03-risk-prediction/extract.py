"""The data engineer's extract for the 5-year myocardial-infarction risk model (read it: it is part of the task).

One row per person of the screening cohort built in the cohort assignment (aged 40-79 at the health-screening
visit, at least 730 days of observation before it, no MI or coronary disease recorded on or before it), with
the columns the engineer thought might be useful and the 5-year MI label. The engineer was not careful about
time: some columns use records made after the index date. The data dictionary is in the notebook.
"""
import pandas as pd

from medai.datasets import connect_omop

_FLAG = ("EXISTS (SELECT 1 FROM {table} r WHERE r.person_id = b.person_id AND +r.{concept_col} IN ({ids})"
         "{when})")
_INDEX_VISIT_LAB = ("(SELECT m.value_as_number FROM measurement m WHERE m.person_id = b.person_id "
                    "AND +m.measurement_concept_id = {concept} AND m.measurement_date = b.index_date "
                    "ORDER BY m.measurement_datetime DESC LIMIT 1)")


def _flag(table, concept_col, date_col, ids, *, baseline=True):
    when = f" AND r.{date_col} <= b.index_date" if baseline else ""
    return _FLAG.format(table=table, concept_col=concept_col, ids=ids, when=when)


COLUMNS = {
    "smoker": _flag("observation", "observation_concept_id", "observation_date", "4298794"),
    "diabetes": _flag("condition_occurrence", "condition_concept_id", "condition_start_date", "201826"),
    "hypertension": _flag("condition_occurrence", "condition_concept_id", "condition_start_date", "320128"),
    "hyperlipidemia": _flag("condition_occurrence", "condition_concept_id", "condition_start_date", "432867"),
    "ckd": _flag("condition_occurrence", "condition_concept_id", "condition_start_date", "46271022"),
    "statin": _flag("drug_exposure", "drug_concept_id", "drug_exposure_start_date", "1545958, 1510813, 1539403"),
    "on_clopidogrel": _flag("drug_exposure", "drug_concept_id", "", "1322184", baseline=False),
    "cad_dx": _flag("condition_occurrence", "condition_concept_id", "", "317576", baseline=False),
    "prior_visits": ("(SELECT COUNT(*) FROM visit_occurrence v WHERE v.person_id = b.person_id "
                     "AND v.visit_start_date < b.index_date)"),
    "n_visits": "(SELECT COUNT(*) FROM visit_occurrence v WHERE v.person_id = b.person_id)",
    "sbp": _INDEX_VISIT_LAB.format(concept=3004249),
    "bmi": _INDEX_VISIT_LAB.format(concept=3038553),
    "ldl": _INDEX_VISIT_LAB.format(concept=3028437),
    "ldl_recent": ("(SELECT m.value_as_number FROM measurement m WHERE m.person_id = b.person_id "
                   "AND +m.measurement_concept_id = 3028437 ORDER BY m.measurement_datetime DESC LIMIT 1)"),
    "hba1c": _INDEX_VISIT_LAB.format(concept=3004410),
    "egfr": _INDEX_VISIT_LAB.format(concept=3049187),
    "mi_5y": ("EXISTS (SELECT 1 FROM condition_occurrence r WHERE r.person_id = b.person_id "
              "AND +r.condition_concept_id = 4329847 "
              "AND julianday(r.condition_start_date) - julianday(b.index_date) BETWEEN 1 AND 1826)"),
}

EXTRACT_SQL = """
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
SELECT b.person_id, b.care_site_id, b.age, b.male, {columns}
FROM b
WHERE b.age BETWEEN 40 AND 79
  AND b.look_back_days >= 730
  AND NOT EXISTS (SELECT 1 FROM condition_occurrence r WHERE r.person_id = b.person_id
                  AND +r.condition_concept_id IN (4329847, 317576) AND r.condition_start_date <= b.index_date)
ORDER BY b.person_id
""".format(columns=",\n       ".join(f"{sql} AS {name}" for name, sql in COLUMNS.items()))


def load_extract(con=None) -> pd.DataFrame:
    """The extract as a DataFrame (from the course's OMOP database unless another connection is given)."""
    con = connect_omop() if con is None else con
    return pd.read_sql(EXTRACT_SQL, con)
