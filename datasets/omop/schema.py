"""OMOP CDM v5.4 column names and types for the tables the synthetic cohort fills.

Types follow the CDM v5.4 DDL: ``integer`` -> int64, ``date`` -> date32, ``datetime`` -> timestamp[s],
``float`` -> float64, ``varchar`` -> string. In SQLite, dates are ISO-8601 TEXT ('2019-03-01') and datetimes
'2019-03-01 09:30:00', which SQLite's date functions read directly. ``cohort`` is the CDM results table that
holds the index date of every person (cohort_definition_id 1); ``concept`` is a subset of the vocabulary with
every concept the data uses.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa

I, D, T, F, S = "integer", "date", "datetime", "float", "varchar"

#: table -> ordered (column, CDM type, required)
CDM: dict[str, tuple[tuple[str, str, bool], ...]] = {
    "person": (
        ("person_id", I, True), ("gender_concept_id", I, True), ("year_of_birth", I, True),
        ("month_of_birth", I, False), ("day_of_birth", I, False), ("birth_datetime", T, False),
        ("race_concept_id", I, True), ("ethnicity_concept_id", I, True), ("location_id", I, False),
        ("provider_id", I, False), ("care_site_id", I, False), ("person_source_value", S, False),
        ("gender_source_value", S, False), ("gender_source_concept_id", I, False), ("race_source_value", S, False),
        ("race_source_concept_id", I, False), ("ethnicity_source_value", S, False),
        ("ethnicity_source_concept_id", I, False)),
    "observation_period": (
        ("observation_period_id", I, True), ("person_id", I, True), ("observation_period_start_date", D, True),
        ("observation_period_end_date", D, True), ("period_type_concept_id", I, True)),
    "visit_occurrence": (
        ("visit_occurrence_id", I, True), ("person_id", I, True), ("visit_concept_id", I, True),
        ("visit_start_date", D, True), ("visit_start_datetime", T, False), ("visit_end_date", D, True),
        ("visit_end_datetime", T, False), ("visit_type_concept_id", I, True), ("provider_id", I, False),
        ("care_site_id", I, False), ("visit_source_value", S, False), ("visit_source_concept_id", I, False),
        ("admitted_from_concept_id", I, False), ("admitted_from_source_value", S, False),
        ("discharged_to_concept_id", I, False), ("discharged_to_source_value", S, False),
        ("preceding_visit_occurrence_id", I, False)),
    "condition_occurrence": (
        ("condition_occurrence_id", I, True), ("person_id", I, True), ("condition_concept_id", I, True),
        ("condition_start_date", D, True), ("condition_start_datetime", T, False), ("condition_end_date", D, False),
        ("condition_end_datetime", T, False), ("condition_type_concept_id", I, True),
        ("condition_status_concept_id", I, False), ("stop_reason", S, False), ("provider_id", I, False),
        ("visit_occurrence_id", I, False), ("visit_detail_id", I, False), ("condition_source_value", S, False),
        ("condition_source_concept_id", I, False), ("condition_status_source_value", S, False)),
    "drug_exposure": (
        ("drug_exposure_id", I, True), ("person_id", I, True), ("drug_concept_id", I, True),
        ("drug_exposure_start_date", D, True), ("drug_exposure_start_datetime", T, False),
        ("drug_exposure_end_date", D, True), ("drug_exposure_end_datetime", T, False), ("verbatim_end_date", D, False),
        ("drug_type_concept_id", I, True), ("stop_reason", S, False), ("refills", I, False), ("quantity", F, False),
        ("days_supply", I, False), ("sig", S, False), ("route_concept_id", I, False), ("lot_number", S, False),
        ("provider_id", I, False), ("visit_occurrence_id", I, False), ("visit_detail_id", I, False),
        ("drug_source_value", S, False), ("drug_source_concept_id", I, False), ("route_source_value", S, False),
        ("dose_unit_source_value", S, False)),
    "measurement": (
        ("measurement_id", I, True), ("person_id", I, True), ("measurement_concept_id", I, True),
        ("measurement_date", D, True), ("measurement_datetime", T, False), ("measurement_time", S, False),
        ("measurement_type_concept_id", I, True), ("operator_concept_id", I, False), ("value_as_number", F, False),
        ("value_as_concept_id", I, False), ("unit_concept_id", I, False), ("range_low", F, False),
        ("range_high", F, False), ("provider_id", I, False), ("visit_occurrence_id", I, False),
        ("visit_detail_id", I, False), ("measurement_source_value", S, False),
        ("measurement_source_concept_id", I, False), ("unit_source_value", S, False),
        ("unit_source_concept_id", I, False), ("value_source_value", S, False), ("measurement_event_id", I, False),
        ("meas_event_field_concept_id", I, False)),
    "observation": (
        ("observation_id", I, True), ("person_id", I, True), ("observation_concept_id", I, True),
        ("observation_date", D, True), ("observation_datetime", T, False), ("observation_type_concept_id", I, True),
        ("value_as_number", F, False), ("value_as_string", S, False), ("value_as_concept_id", I, False),
        ("qualifier_concept_id", I, False), ("unit_concept_id", I, False), ("provider_id", I, False),
        ("visit_occurrence_id", I, False), ("visit_detail_id", I, False), ("observation_source_value", S, False),
        ("observation_source_concept_id", I, False), ("unit_source_value", S, False),
        ("qualifier_source_value", S, False), ("value_source_value", S, False), ("observation_event_id", I, False),
        ("obs_event_field_concept_id", I, False)),
    "death": (
        ("person_id", I, True), ("death_date", D, True), ("death_datetime", T, False),
        ("death_type_concept_id", I, False), ("cause_concept_id", I, False), ("cause_source_value", S, False),
        ("cause_source_concept_id", I, False)),
    "care_site": (
        ("care_site_id", I, True), ("care_site_name", S, False), ("place_of_service_concept_id", I, False),
        ("location_id", I, False), ("care_site_source_value", S, False), ("place_of_service_source_value", S, False)),
    "cohort": (
        ("cohort_definition_id", I, True), ("subject_id", I, True), ("cohort_start_date", D, True),
        ("cohort_end_date", D, True)),
    "concept": (
        ("concept_id", I, True), ("concept_name", S, True), ("domain_id", S, True), ("vocabulary_id", S, True),
        ("concept_class_id", S, True), ("standard_concept", S, False), ("concept_code", S, True),
        ("valid_start_date", D, True), ("valid_end_date", D, True), ("invalid_reason", S, False)),
}

TABLES: tuple[str, ...] = tuple(CDM)
_SQL = {I: "INTEGER", D: "TEXT", T: "TEXT", F: "REAL", S: "TEXT"}
#: indexes created in the SQLite database, for the joins students write
INDEXES: tuple[tuple[str, str], ...] = (
    ("person", "person_id"), ("visit_occurrence", "person_id"), ("condition_occurrence", "person_id"),
    ("condition_occurrence", "condition_concept_id"), ("drug_exposure", "person_id"),
    ("measurement", "person_id"), ("measurement", "measurement_concept_id"), ("observation", "person_id"),
    ("death", "person_id"), ("cohort", "subject_id"))


def arrow_type(cdm_type: str) -> "pa.DataType":
    import pyarrow as pa

    return {I: pa.int64(), D: pa.date32(), T: pa.timestamp("s"), F: pa.float64(), S: pa.string()}[cdm_type]


def arrow_schema(table: str) -> "pa.Schema":
    import pyarrow as pa

    return pa.schema([pa.field(name, arrow_type(kind), nullable=not required) for name, kind, required in CDM[table]])


def to_arrow(table: str, columns: dict[str, object], rows: int) -> "pa.Table":
    """A full CDM table of `rows` rows: the given columns (numpy arrays or lists; a masked or NaT value is
    null) in CDM order and type, every other column all null. Unknown column names are an error."""
    import pyarrow as pa

    unknown = set(columns) - {name for name, _, _ in CDM[table]}
    if unknown:
        raise KeyError(f"{table}: not CDM v5.4 columns: {sorted(unknown)}")
    arrays = []
    for name, kind, _ in CDM[table]:
        typ = arrow_type(kind)
        if name not in columns:
            arrays.append(pa.nulls(rows, type=typ))
            continue
        values = columns[name]
        if isinstance(values, np.ndarray) and values.dtype.kind == "M":
            unit = "D" if kind == D else "s"
            mask = np.isnat(values)
            arrays.append(pa.array(values.astype(f"datetime64[{unit}]"), type=typ, mask=mask if mask.any() else None))
        elif isinstance(values, np.ndarray) and values.dtype.kind == "f" and kind == I:
            mask = np.isnan(values)
            arrays.append(pa.array(np.where(mask, 0, values).astype("int64"), type=typ, mask=mask))
        else:
            arrays.append(pa.array(values, type=typ))
        if len(arrays[-1]) != rows:
            raise ValueError(f"{table}.{name}: {len(arrays[-1])} values, expected {rows}")
    return pa.Table.from_arrays(arrays, schema=arrow_schema(table))


def sqlite_ddl(table: str) -> str:
    cols = ",\n  ".join(f"{name} {_SQL[kind]}{' NOT NULL' if required else ''}" for name, kind, required in CDM[table])
    return f"CREATE TABLE {table} (\n  {cols}\n)"
