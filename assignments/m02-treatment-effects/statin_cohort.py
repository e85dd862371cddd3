"""The data engineer's extract for the statin question (read it: knowing how each column was made is part of the task).

One row per person of the hospital network's health-screening cohort (everyone in the OMOP ``cohort`` table,
cohort_definition_id 1): the index date is the health-screening visit (건강검진), where some people were started
on a statin. Baseline columns come from records dated on or before the index date; the engineer also added one
column from the follow-up, in case it is useful. The exposure (statin started at the index date) is not here:
you define it from the ``drug_exposure`` table yourself. The data dictionary is in the notebook.
"""
import pandas as pd

from medai.datasets import read_omop

DIAGNOSES = {"diabetes": 201826, "hypertension": 320128, "hyperlipidemia": 432867, "ckd": 46271022}
LABS = {"sbp": 3004249, "bmi": 3038553, "ldl": 3028437, "hba1c": 3004410, "egfr": 3049187}
SMOKER, MI = 4298794, 4329847
HORIZON_DAYS = 1826


def _dates(frame, column):
    frame[column] = pd.to_datetime(frame[column])
    return frame


def load_cohort(root=None) -> pd.DataFrame:
    """The extract as a DataFrame, one row per person, from the course's OMOP data (or the data directory `root`)."""
    cohort = read_omop("cohort", root=root)
    cohort = cohort[cohort["cohort_definition_id"] == 1]
    people = _dates(cohort.rename(columns={"subject_id": "person_id", "cohort_start_date": "index_date"}),
                    "index_date")[["person_id", "index_date"]]
    person = read_omop("person", root=root)
    data = people.merge(person[["person_id", "care_site_id", "year_of_birth", "month_of_birth",
                                "gender_concept_id"]], on="person_id", how="left")
    before_birthday = data["index_date"].dt.month < data["month_of_birth"]
    data["age"] = data["index_date"].dt.year - data["year_of_birth"] - before_birthday.astype(int)
    data["male"] = (data["gender_concept_id"] == 8507).astype(int)

    observation = _dates(read_omop("observation", root=root), "observation_date").merge(people, on="person_id")
    smokers = observation.loc[(observation["observation_concept_id"] == SMOKER)
                              & (observation["observation_date"] <= observation["index_date"]), "person_id"]
    data["smoker"] = data["person_id"].isin(smokers).astype(int)

    condition = _dates(read_omop("condition_occurrence", root=root), "condition_start_date").merge(people, on="person_id")
    known = condition[condition["condition_start_date"] <= condition["index_date"]]
    for name, concept in DIAGNOSES.items():
        data[name] = data["person_id"].isin(known.loc[known["condition_concept_id"] == concept, "person_id"]).astype(int)

    measurement = _dates(read_omop("measurement", root=root), "measurement_date").merge(people, on="person_id")
    at_index = measurement[measurement["measurement_date"] == measurement["index_date"]]
    for name, concept in LABS.items():
        values = at_index[at_index["measurement_concept_id"] == concept].groupby("person_id")["value_as_number"].last()
        data[name] = data["person_id"].map(values)
    later = measurement[(measurement["measurement_concept_id"] == LABS["ldl"])
                        & (measurement["measurement_date"] > measurement["index_date"])]
    data["ldl_followup"] = data["person_id"].map(
        later.sort_values("measurement_date").groupby("person_id")["value_as_number"].first())

    mi = condition[condition["condition_concept_id"] == MI]
    days = (mi["condition_start_date"] - mi["index_date"]).dt.days
    data["mi_5y"] = data["person_id"].isin(mi.loc[(days >= 1) & (days <= HORIZON_DAYS), "person_id"]).astype(int)
    columns = ["person_id", "care_site_id", "index_date", "age", "male", "smoker", *DIAGNOSES, *LABS,
               "ldl_followup", "mi_5y"]
    return data[columns].sort_values("person_id").reset_index(drop=True)
