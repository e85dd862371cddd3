"""The screening cohort for the model evaluation (read it to see how each column was made).

One row per person aged 40-79 at the health-screening visit (the index date, OMOP ``cohort`` table,
cohort_definition_id 1) in the three hospitals of the OMOP network, with the values recorded on or before
that visit and the outcome: a myocardial infarction (MI) recorded 1-1826 days after it (everyone is followed
that long or until death).
"""
import pandas as pd

from medai.datasets import read_omop

DIAGNOSES = {"diabetes": 201826, "hypertension": 320128, "hyperlipidemia": 432867, "ckd": 46271022}
LABS = {"sbp": 3004249, "bmi": 3038553, "ldl": 3028437, "hba1c": 3004410, "egfr": 3049187}
SMOKER, MI = 4298794, 4329847
HORIZON_DAYS = 1826
COLUMNS = ["person_id", "care_site_id", "index_date", "age", "male", "smoker", *DIAGNOSES, *LABS, "mi_5y"]


def _dated(frame, column):
    frame = frame.copy()
    frame[column] = pd.to_datetime(frame[column])
    return frame


def screening_table(tables) -> pd.DataFrame:
    """The cohort from a dict of OMOP tables (DataFrames: cohort, person, observation, condition_occurrence,
    measurement)."""
    cohort = tables["cohort"]
    cohort = cohort[cohort["cohort_definition_id"] == 1]
    people = _dated(cohort.rename(columns={"subject_id": "person_id", "cohort_start_date": "index_date"}),
                    "index_date")[["person_id", "index_date"]]
    data = people.merge(tables["person"][["person_id", "care_site_id", "year_of_birth", "month_of_birth",
                                          "gender_concept_id"]], on="person_id", how="left")
    before_birthday = data["index_date"].dt.month < data["month_of_birth"]
    data["age"] = data["index_date"].dt.year - data["year_of_birth"] - before_birthday.astype(int)
    data["male"] = (data["gender_concept_id"] == 8507).astype(int)

    observation = _dated(tables["observation"], "observation_date").merge(people, on="person_id")
    smokers = observation.loc[(observation["observation_concept_id"] == SMOKER)
                              & (observation["observation_date"] <= observation["index_date"]), "person_id"]
    data["smoker"] = data["person_id"].isin(smokers).astype(int)

    condition = _dated(tables["condition_occurrence"], "condition_start_date").merge(people, on="person_id")
    known = condition[condition["condition_start_date"] <= condition["index_date"]]
    for name, concept in DIAGNOSES.items():
        data[name] = data["person_id"].isin(known.loc[known["condition_concept_id"] == concept, "person_id"]).astype(int)

    measurement = _dated(tables["measurement"], "measurement_date").merge(people, on="person_id")
    at_index = measurement[measurement["measurement_date"] == measurement["index_date"]]
    for name, concept in LABS.items():
        values = at_index[at_index["measurement_concept_id"] == concept].groupby("person_id")["value_as_number"].last()
        data[name] = data["person_id"].map(values)

    mi = condition[condition["condition_concept_id"] == MI]
    days = (mi["condition_start_date"] - mi["index_date"]).dt.days
    data["mi_5y"] = data["person_id"].isin(mi.loc[(days >= 1) & (days <= HORIZON_DAYS), "person_id"]).astype(int)
    data = data[(data["age"] >= 40) & (data["age"] <= 79)]
    return data[COLUMNS].sort_values("person_id").reset_index(drop=True)


def load_screening(root=None) -> pd.DataFrame:
    """The screening cohort of the course's OMOP data (or of the data directory `root`)."""
    names = ("cohort", "person", "observation", "condition_occurrence", "measurement")
    return screening_table({name: read_omop(name, root=root) for name in names})
