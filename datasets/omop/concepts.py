"""The OMOP standard concepts the synthetic cohort uses, with their source codes.

Every id below is an OMOP (OHDSI Athena) standard concept id. They were checked against published OHDSI
material and code that uses them; the few marked ``verified=False`` could not be confirmed from two
independent sources while writing this module and should be looked up in Athena (athena.ohdsi.org) before
anyone relies on them outside teaching. The dataset card prints this table, flags included, and the
cohort ships it as the ``concept`` table so that students can join names in SQL.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Concept:
    concept_id: int
    concept_name: str
    domain_id: str
    vocabulary_id: str
    concept_class_id: str
    concept_code: str
    verified: bool = True


# conditions (SNOMED CT)
T2DM = Concept(201826, "Type 2 diabetes mellitus", "Condition", "SNOMED", "Clinical Finding", "44054006")
HYPERTENSION = Concept(320128, "Essential hypertension", "Condition", "SNOMED", "Clinical Finding", "59621000")
HYPERLIPIDEMIA = Concept(432867, "Hyperlipidemia", "Condition", "SNOMED", "Clinical Finding", "55822004")
CKD = Concept(46271022, "Chronic kidney disease", "Condition", "SNOMED", "Clinical Finding", "709044004",
              verified=False)
MI = Concept(4329847, "Myocardial infarction", "Condition", "SNOMED", "Clinical Finding", "22298006")
CAD = Concept(317576, "Coronary arteriosclerosis", "Condition", "SNOMED", "Clinical Finding", "53741008")
LUNG_CANCER = Concept(443388, "Malignant tumor of lung", "Condition", "SNOMED", "Clinical Finding", "363358000")
STOMACH_CANCER = Concept(443387, "Malignant tumor of stomach", "Condition", "SNOMED", "Clinical Finding",
                         "363349007")
COPD = Concept(255573, "Chronic obstructive lung disease", "Condition", "SNOMED", "Clinical Finding", "13645005")

# drugs (RxNorm ingredients; a real CDM usually records clinical drugs, which roll up to these)
ATORVASTATIN = Concept(1545958, "atorvastatin", "Drug", "RxNorm", "Ingredient", "83367")
ROSUVASTATIN = Concept(1510813, "rosuvastatin", "Drug", "RxNorm", "Ingredient", "301542")
SIMVASTATIN = Concept(1539403, "simvastatin", "Drug", "RxNorm", "Ingredient", "36567")
METFORMIN = Concept(1503297, "metformin", "Drug", "RxNorm", "Ingredient", "6809")
AMLODIPINE = Concept(1332418, "amlodipine", "Drug", "RxNorm", "Ingredient", "17767")
LOSARTAN = Concept(1367500, "losartan", "Drug", "RxNorm", "Ingredient", "52175")
CLOPIDOGREL = Concept(1322184, "clopidogrel", "Drug", "RxNorm", "Ingredient", "32968")
ASPIRIN = Concept(1112807, "aspirin", "Drug", "RxNorm", "Ingredient", "1191")

# measurements (LOINC)
HBA1C = Concept(3004410, "Hemoglobin A1c/Hemoglobin.total in Blood", "Measurement", "LOINC", "Lab Test", "4548-4")
LDL = Concept(3028437, "Cholesterol in LDL [Mass/volume] in Serum or Plasma by calculation", "Measurement",
              "LOINC", "Lab Test", "13457-7")
SBP = Concept(3004249, "Systolic blood pressure", "Measurement", "LOINC", "Clinical Observation", "8480-6")
DBP = Concept(3012888, "Diastolic blood pressure", "Measurement", "LOINC", "Clinical Observation", "8462-4")
EGFR = Concept(3049187, "Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum, Plasma or "
               "Blood by Creatinine-based formula (CKD-EPI)", "Measurement", "LOINC", "Lab Test", "62238-1")
FASTING_GLUCOSE = Concept(3037110, "Fasting glucose [Mass/volume] in Serum or Plasma", "Measurement", "LOINC",
                          "Lab Test", "1558-6")
TOTAL_CHOLESTEROL = Concept(3027114, "Cholesterol [Mass/volume] in Serum or Plasma", "Measurement", "LOINC",
                            "Lab Test", "2093-3")
BMI = Concept(3038553, "Body mass index (BMI) [Ratio]", "Measurement", "LOINC", "Clinical Observation", "39156-5")
TROPONIN_I = Concept(3016931, "Troponin I.cardiac [Mass/volume] in Serum or Plasma", "Measurement", "LOINC",
                     "Lab Test", "10839-9", verified=False)

# units (UCUM)
PERCENT = Concept(8554, "percent", "Unit", "UCUM", "Unit", "%")
MG_DL = Concept(8840, "milligram per deciliter", "Unit", "UCUM", "Unit", "mg/dL")
MMHG = Concept(8876, "millimeter mercury column", "Unit", "UCUM", "Unit", "mm[Hg]")
ML_MIN_173 = Concept(8117, "milliliter per minute per 1.73 square meter", "Unit", "UCUM", "Unit",
                     "mL/min/{1.73_m2}", verified=False)
KG_M2 = Concept(9531, "kilogram per square meter", "Unit", "UCUM", "Unit", "kg/m2")
NG_ML = Concept(8842, "nanogram per milliliter", "Unit", "UCUM", "Unit", "ng/mL")

# observation
SMOKER = Concept(4298794, "Smoker", "Observation", "SNOMED", "Clinical Finding", "77176002")

# demographics, visits and provenance
MALE = Concept(8507, "MALE", "Gender", "Gender", "Gender", "M")
FEMALE = Concept(8532, "FEMALE", "Gender", "Gender", "Gender", "F")
ASIAN = Concept(8515, "Asian", "Race", "Race", "Race", "2")
NOT_HISPANIC = Concept(38003564, "Not Hispanic or Latino", "Ethnicity", "Ethnicity", "Ethnicity", "Not Hispanic")
OUTPATIENT = Concept(9202, "Outpatient Visit", "Visit", "Visit", "Visit", "OP")
INPATIENT = Concept(9201, "Inpatient Visit", "Visit", "Visit", "Visit", "IP")
EHR = Concept(32817, "EHR", "Type Concept", "Type Concept", "Type Concept", "OMOP4976890")
EHR_PRESCRIPTION = Concept(32838, "EHR prescription", "Type Concept", "Type Concept", "Type Concept",
                           "OMOP4976911", verified=False)
DEATH_CERTIFICATE = Concept(32815, "Death Certificate", "Type Concept", "Type Concept", "Type Concept",
                            "OMOP4976888", verified=False)

ALL: tuple[Concept, ...] = tuple(v for v in dict(globals()).values() if isinstance(v, Concept))
BY_ID: dict[int, Concept] = {c.concept_id: c for c in ALL}
