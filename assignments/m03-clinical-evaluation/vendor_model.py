"""HeartRisk-5, the vendor's model, as published (a fictional model; read it, do not edit it).

HeartRisk-5 predicts the risk of a myocardial infarction (MI) within 5 years of a health-screening visit. It was
developed in a (fictional) Northern European screening cohort in which MIs were about twice as common as in
Korea, and is sold as software that applies the published equation below:

    risk = 1 / (1 + exp(-(INTERCEPT + sum of COEFFICIENTS[x] * x)))

Laboratory values that were not measured are replaced by the reference values in DEFAULTS, as the software does.
"""
import numpy as np
import pandas as pd

INTERCEPT = -10.254
COEFFICIENTS = {
    "age": 0.061,           # per year
    "male": 0.650,          # 1 = male
    "smoker": 0.574,        # 1 = current smoker
    "diabetes": 0.254,      # 1 = diagnosed type 2 diabetes
    "hypertension": 0.321,  # 1 = diagnosed hypertension
    "sbp": 0.0119,          # systolic blood pressure, per mmHg
    "ldl": 0.0082,          # LDL cholesterol, per mg/dL
    "hba1c": 0.290,         # HbA1c, per %
    "egfr": -0.0020,        # eGFR, per mL/min/1.73 m2
}
DEFAULTS = {"ldl": 120.0, "hba1c": 5.7, "egfr": 90.0}


def vendor_risk(frame: pd.DataFrame) -> np.ndarray:
    """HeartRisk-5's predicted 5-year MI risk for every row of `frame` (a NumPy array)."""
    logit = np.full(len(frame), INTERCEPT)
    for name, beta in COEFFICIENTS.items():
        values = frame[name].astype(float)
        if name in DEFAULTS:
            values = values.fillna(DEFAULTS[name])
        logit = logit + beta * values.to_numpy()
    return 1 / (1 + np.exp(-logit))
