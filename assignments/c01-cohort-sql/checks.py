"""Self-checks for "Building a cohort from the OMOP CDM": public checks only (run `q1.check()`).

The hidden tests that decide your grade are not here; passing these means you are on the right track.
Messages in Korean or English: locale/ko/LC_MESSAGES/checks.po beside this file (medai.selfcheck.messages).
The SQL checks run your query on a tiny made-up database with the same tables as the real one, whose
people were chosen to catch the usual slips (birthdays, windows, records after the index date).
"""
import sqlite3

import numpy as np
import pandas as pd

from medai.selfcheck import NotYet, Question, expect, messages

_, _n, N_ = messages(__file__)

# Tiny made-up CDM: (person_id, gender_concept_id, year_of_birth, month_of_birth, care_site_id, index date,
# observation start, observation end). Index dates are on the 15th, so the birth month decides the age.
_TOY_PEOPLE = [
    (1, 8507, 1960, 5, 1, "2017-06-15", "2014-01-02", "2024-12-31"),  # birthday month before index month: 57
    (2, 8532, 1960, 6, 2, "2017-06-15", "2016-09-01", "2024-12-31"),  # same month: the 1st has passed: 57
    (3, 8532, 1960, 7, 3, "2017-06-15", "2012-03-04", "2021-02-01"),  # birthday still to come: 56
    (4, 8507, 1975, 1, 1, "2019-12-31", "2015-05-05", "2024-12-31"),  # 44
]
_TOY_AGES = {1: 57, 2: 57, 3: 56, 4: 44}
# condition_occurrence rows: (id, person_id, concept, date)
_TOY_CONDITIONS = [
    (1, 1, 4329847, "2017-06-15"),  # MI on the index day: not after it, not an outcome
    (2, 1, 4329847, "2019-01-10"),  # first MI after the index date
    (3, 2, 4329847, "2022-06-16"),  # 1827 days after the index date: outside the 5-year window
    (4, 3, 4329847, "2020-01-01"),
    (5, 3, 4329847, "2018-02-01"),  # an earlier MI recorded later in the table: this one is the first
    (6, 4, 317576, "2021-01-01"),   # CAD, not MI
    (7, 4, 4329847, "2024-12-31"),  # 1827 days after 2019-12-31 (a leap year in between)
]
_TOY_DAYS = {1: 574.0, 2: 1827.0, 3: 231.0, 4: 1827.0}
_TOY_MI_5Y = {1: 1, 2: 0, 3: 1, 4: 0}


def _toy_database(con):
    """An in-memory copy of the real database's tables (same columns), filled with the toy people."""
    toy = sqlite3.connect(":memory:")
    for (ddl,) in con.execute("SELECT sql FROM sqlite_master WHERE type = 'table'"):
        toy.execute(ddl)
    rows = con.execute("SELECT * FROM concept").fetchall()
    if rows:
        toy.executemany(f"INSERT INTO concept VALUES ({', '.join('?' * len(rows[0]))})", rows)
    for pid, gender, yob, mob, site, index_date, start, end in _TOY_PEOPLE:
        toy.execute("INSERT INTO person (person_id, gender_concept_id, year_of_birth, month_of_birth, "
                    "race_concept_id, ethnicity_concept_id, care_site_id, gender_source_value) "
                    "VALUES (?, ?, ?, ?, 8515, 38003564, ?, ?)", (pid, gender, yob, mob, site,
                                                                   "M" if gender == 8507 else "F"))
        toy.execute("INSERT INTO observation_period VALUES (?, ?, ?, ?, 32817)", (pid, pid, start, end))
        toy.execute("INSERT INTO cohort VALUES (1, ?, ?, ?)", (pid, index_date, end))
        toy.execute("INSERT INTO cohort VALUES (2, ?, '2010-01-01', '2010-12-31')", (pid,))  # another cohort
    for cid, pid, concept, date in _TOY_CONDITIONS:
        toy.execute("INSERT INTO condition_occurrence (condition_occurrence_id, person_id, condition_concept_id, "
                    "condition_start_date, condition_type_concept_id, visit_occurrence_id) "
                    "VALUES (?, ?, ?, ?, 32817, 0)", (cid, pid, concept, date))
    return toy


def _run_sql(ns, name, con):
    query = ns.get(name, str)
    try:
        return pd.read_sql(query, con)
    except Exception as err:  # the student's SQL failed on the toy database
        raise NotYet(_("your {name} failed on a small test database: {kind}: {err}").format(
            name=name, kind=type(err).__name__, err=err)) from None


def _q1(ns):
    con = ns.get("con")
    got = _run_sql(ns, "INDEX_SQL", _toy_database(con))
    want = ["person_id", "index_date", "care_site_id", "sex", "age", "obs_start", "obs_end"]
    expect(list(got.columns) == want, _("the columns should be {want}; yours are {columns}.").format(
        want=want, columns=list(got.columns)))
    expect(len(got) == len(_TOY_PEOPLE), _("a toy database with {people} people in cohort 1 (and the same people in "
                                           "another cohort) gave {rows} rows: keep only cohort_definition_id = 1, one "
                                           "row per person.").format(people=len(_TOY_PEOPLE), rows=len(got)))
    ages = dict(zip(got["person_id"], got["age"]))
    wrong = {pid: (ages.get(pid), age) for pid, age in _TOY_AGES.items() if ages.get(pid) != age}
    expect(not wrong, _("ages are off on the toy database: {people}. Take the birthday as the 1st of the birth "
                        "month.").format(people="; ".join(
        _("person {pid} born {month}/{year}, index {index}: {age} expected, you have {mine}").format(
            pid=pid, month=_TOY_PEOPLE[pid - 1][3], year=_TOY_PEOPLE[pid - 1][2], index=_TOY_PEOPLE[pid - 1][5],
            age=age, mine=mine) for pid, (mine, age) in wrong.items())))
    sexes = dict(zip(got["person_id"], got["sex"]))
    expect(sexes.get(1) == "M" and sexes.get(2) == "F", _("sex should be 'M' for 8507 (MALE) and 'F' for 8532."))
    index = ns.get("index", pd.DataFrame)
    expect(len(index) == con.execute("SELECT COUNT(*) FROM cohort WHERE cohort_definition_id = 1").fetchone()[0],
           _("`index` should have one row per person of cohort 1 in the real database."))


def _q2(ns):
    f = ns.function("baseline_only")
    idx = pd.DataFrame({"person_id": [1, 2], "index_date": pd.to_datetime(["2017-05-10", "2018-01-01"])})
    rec = pd.DataFrame({"record_id": [10, 11, 12, 13, 14, 15], "person_id": [2, 1, 1, 2, 3, 2],
                        "when": pd.to_datetime(["2017-12-30", "2017-05-09", "2017-05-11", "2018-01-01",
                                                "2010-01-01", "2019-06-30"])})
    out = f(rec, idx, "when")
    expect(isinstance(out, pd.DataFrame), _("baseline_only should return a DataFrame, not {kind}.").format(
        kind=type(out).__name__))
    expect(list(out.columns) == list(rec.columns),
           _("return the same columns as `records` {want}; yours are {columns}.").format(
               want=list(rec.columns), columns=list(out.columns)))
    kept = list(out["record_id"])
    expect(13 in kept, _("a record dated ON the index date was known at the index date: keep it (<=, not <)."))
    expect(12 not in kept and 15 not in kept, _("records dated after the index date must go."))
    expect(14 not in kept, _("person 3 is not in `index`: drop their records."))
    expect(kept == [10, 11, 13], _("expected record_id [10, 11, 13] in the original order, got {kept}.").format(
        kept=kept))


def _q3(ns):
    index = ns.get("index", pd.DataFrame)
    cohort = ns.get("cohort", pd.DataFrame)
    expect(list(cohort.columns) == list(index.columns), _("`cohort` should have the same columns as `index`."))
    expect(cohort["person_id"].is_unique, _("each person should appear once in `cohort`."))
    expect(cohort["age"].between(40, 79).all() and cohort["age"].isin([40, 79]).any(),
           _("the age criterion is 40-79 with both ends included."))
    look_back = (cohort["index_date"] - cohort["obs_start"]).dt.days
    expect((look_back >= 730).all(), _("some people in `cohort` have less than 730 days of observation before "
                                       "their index date."))
    aged = index[index["age"].between(40, 79)]
    enough = aged[(aged["index_date"] - aged["obs_start"]).dt.days >= 730]
    expect(set(cohort["person_id"]) <= set(enough["person_id"]), _("your cohort has people who fail inclusion."))
    conditions = ns.get("conditions", pd.DataFrame)
    cvd = conditions[conditions["condition_concept_id"].isin([4329847, 317576])]
    excluded = set(enough["person_id"]) - set(cohort["person_id"])
    expect(excluded <= set(cvd["person_id"]), _("you excluded people who have no MI or CAD record at all."))
    attrition = ns.get("attrition", pd.Series)
    expect(len(attrition) == 4 and attrition.iloc[-1] == len(cohort), _("`attrition` should end with len(cohort)."))


def _q4(ns):
    f = ns.function("baseline_features")
    people = pd.DataFrame({"person_id": [7, 3], "index_date": pd.to_datetime(["2016-03-01", "2018-09-09"]),
                           "age": [61, 48], "sex": ["M", "F"]})
    d = pd.to_datetime
    conditions = pd.DataFrame({"person_id": [7, 7, 3], "condition_concept_id": [201826, 432867, 320128],
                               "condition_start_date": d(["2016-03-01", "2019-01-01", "2015-01-01"])})
    measurement = pd.DataFrame({
        "measurement_id": [1, 2, 3, 4],
        "person_id": [7, 7, 7, 3], "measurement_concept_id": [3028437, 3028437, 3004249, 3004249],
        "measurement_date": d(["2016-03-01", "2017-04-01", "2016-03-01", "2018-09-09"]),
        "measurement_datetime": d(["2016-03-01 10:00", "2017-04-01 09:00", "2016-03-01 10:00", "2018-09-09 11:00"]),
        "value_as_number": [162.0, 101.0, 138.0, 121.0]})
    drugs = pd.DataFrame({"person_id": [3, 7], "drug_concept_id": [1545958, 1510813],
                          "drug_exposure_start_date": d(["2020-05-05", "2016-03-01"]),
                          "drug_exposure_end_date": d(["2021-05-05", "2017-03-01"])})
    observation = pd.DataFrame({"person_id": [3], "observation_concept_id": [4298794],
                                "observation_date": d(["2018-09-09"])})
    out = f(people, conditions, measurement, drugs, observation)
    expect(isinstance(out, pd.DataFrame), _("baseline_features should return a DataFrame."))
    expect(list(out.index) == [7, 3], _("index the rows by person_id in the order of `people`: got {index}.").format(
        index=list(out.index)))
    row7, row3 = out.loc[7], out.loc[3]
    expect(row7["male"] == 1 and row3["male"] == 0, _("male should be 1 for sex 'M', else 0."))
    expect(row7["diabetes"] == 1, _("a diagnosis recorded ON the index date was known at the index date."))
    expect(row7["hyperlipidemia"] == 0, _("a diagnosis recorded AFTER the index date is not a baseline condition."))
    expect(row3["hypertension"] == 1, _("a diagnosis recorded before the index date is a baseline condition."))
    expect(row7["statin"] == 1 and row3["statin"] == 0,
           _("statin: only exposures starting on or before the index date count (person 3 started one later)."))
    expect(row3["smoker"] == 1 and row7["smoker"] == 0, _("smoker: an observation of concept 4298794 on or before "
                                                          "index."))
    expect(np.isclose(row7["ldl"], 162.0), _("person 7's baseline LDL is 162 (at the index visit); you have {ldl}. A "
                                             "later LDL, lowered by a statin, is not baseline.").format(
                                                 ldl=row7['ldl']))
    expect(np.isnan(row3["ldl"]), _("person 3 has no LDL: leave it missing (NaN)."))
    expect(np.isclose(row3["sbp"], 121.0), _("sbp: the latest value on or before the index date."))


def _q5(ns):
    con = ns.get("con")
    got = _run_sql(ns, "OUTCOME_SQL", _toy_database(con))
    expect(list(got.columns) == ["person_id", "days_to_mi", "mi_5y"],
           _("the columns should be person_id, days_to_mi, mi_5y; yours are {columns}.").format(
               columns=list(got.columns)))
    expect(len(got) == len(_TOY_PEOPLE), _("the toy database has {people} people in cohort 1 (and another cohort); you "
                                           "returned {rows} rows.").format(people=len(_TOY_PEOPLE), rows=len(got)))
    days = {int(p): v for p, v in zip(got["person_id"], got["days_to_mi"])}
    if days.get(1) == 0:
        raise NotYet(_("person 1 has an MI ON the index day and another one later: only MIs AFTER the index date "
                       "count, and days_to_mi is the first of those."))
    wrong = {p: (days.get(p), want) for p, want in _TOY_DAYS.items() if days.get(p) is None
             or not np.isclose(float(days[p]), want)}
    expect(not wrong, _("days_to_mi is off on the toy database: {people}. Take the FIRST MI after the index date "
                        "(MIN), in days (julianday differences).").format(people="; ".join(
        _("person {pid}: {want:.0f} expected, you have {mine}").format(pid=p, want=want, mine=mine)
        for p, (mine, want) in wrong.items())))
    labels = {int(p): int(v) for p, v in zip(got["person_id"], got["mi_5y"])}
    expect(labels == _TOY_MI_5Y, _("mi_5y should be {toy_mi_5y} on the toy database; yours is {labels}. The window is 1 "
                                   "to 1826 days after the index date.").format(toy_mi_5y=_TOY_MI_5Y, labels=labels))
    rates = ns.get("mi_rate_by_site", pd.Series)
    expect(len(rates) > 0 and (rates > 0).all(),
           _("some hospital of your cohort has no MI at all in 5 years: is your cohort missing the people who go on "
             "to have an MI? Check how Q3 treated records dated after the index date."))


q1 = Question(N_("Q1 (index dates in SQL)"), _q1,
              N_("join cohort (subject_id) to person and observation_period on person_id; for the age compare "
                 "CAST(strftime('%m', c.cohort_start_date) AS INTEGER) with month_of_birth."))
q2 = Question(N_("Q2 (known at the index date)"), _q2,
              N_("merge each record with its person's index date (an inner merge drops people not in index), "
                 "compare the two dates, then select the original columns."))
q3 = Question(N_("Q3 (inclusion, exclusion, attrition)"), _q3,
              N_("apply the steps one after another; for the exclusion, find the MI/CAD records with your "
                 "baseline_only first, then drop their person_ids."))
q4 = Question(N_("Q4 (baseline risk factors)"), _q4,
              N_("filter each table to the concept(s) first, keep what baseline_only keeps, and turn 'has a row' "
                 "into 0/1 with index.isin(...); for labs sort by measurement_datetime and take .last() per person."))
q5 = Question(N_("Q5 (outcome in SQL)"), _q5,
              N_("a WITH clause that finds MIN(julianday(mi date) - julianday(index date)) per person among MIs "
                 "dated after the index date, then LEFT JOIN it to cohort so that everyone gets a row."))
