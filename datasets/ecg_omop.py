"""12-lead ECGs of persons of the synthetic OMOP cohort, linked by person_id, so that a model can use both.

Each record is the resting ECG taken at a person's index health-screening visit (``ecg_date`` = the person's
``cohort_start_date``). Whether the person has atrial fibrillation follows a logistic model of their true risk
factors in the cohort (:data:`AF_LOGIT`: age, sex, hypertension, obesity), set so that prevalence is about 1.5 %
at the cohort's ages and rises steeply with age, as in Korea's national claims data (:data:`AF_SOURCE`). The ECG
archive is enriched for AF: a person with AF is :data:`AF_ENRICHMENT` times as likely to be sampled, so that
the records hold enough AF to learn from (the card gives both shares). Other rhythms: sinus, sinus bradycardia
or tachycardia, or sinus with premature ventricular complexes. The signals are those of :mod:`medai.datasets.ecg`.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import numpy as np

from medai.datasets.errors import DatasetError, check_size

AF_SOURCE = ("Korean National Health Insurance Service database: AF prevalence about 1.5 % of adults in 2015, "
             "rising with age to several percent over 80 (Lee SR et al., Am J Cardiol 2018); the coefficients "
             "below are chosen to give figures of that size, not fitted to the publication")
#: log odds of AF: intercept at age 65, per 10 years, male, true hypertension, obesity (BMI >= 25)
AF_LOGIT = {"intercept_at_65": float(np.log(0.02 / 0.98)), "per_10y": 0.75, "male": 0.35, "hypertension": 0.55,
            "obesity": 0.3}
AF_ENRICHMENT = 15.0
#: rhythms of people without AF
OTHER_RHYTHMS = ("sinus", "sinus_bradycardia", "sinus_tachycardia", "pvc")
OTHER_SHARE = (0.80, 0.08, 0.05, 0.07)


@dataclass(frozen=True)
class LinkedEcgTruth:
    seed: int
    omop_seed: int
    omop_persons: int
    records: int
    af_logit: dict[str, float]
    af_enrichment: float
    af_prevalence_in_cohort: float        # true, over all persons of the OMOP cohort
    af_share_in_records: float
    p_af: list[float]                     # by record: the true probability of AF from the person's risk factors

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> "LinkedEcgTruth":
        return cls(**json.loads(text))


@dataclass(frozen=True)
class LinkedEcgs:
    records: "object"    # pandas DataFrame: record_id, person_id, ecg_date, rhythm, heart_rate_bpm, ...
    ecgs: list
    truth: LinkedEcgTruth


def p_af(latent) -> np.ndarray:
    c = AF_LOGIT
    logit = (c["intercept_at_65"] + c["per_10y"] * (latent.age - 65) / 10 + c["male"] * latent.male
             + c["hypertension"] * latent.hypertension + c["obesity"] * latent.obesity)
    return 1 / (1 + np.exp(-logit))


def generate_linked_ecgs(*, omop_persons: int, omop_seed: int, records: int = 200, seed: int = 0,
                         duration_s: float = 10.0, fs: int = 500) -> LinkedEcgs:
    """`records` ECGs of distinct persons of ``generate_omop(persons=omop_persons, seed=omop_seed)``."""
    import pandas as pd

    from medai.datasets.ecg import make_ecg
    from medai.datasets.omop import population as pop
    from medai.datasets.omop.generate import latent_cohort

    records = check_size("records", records, maximum=100_000)
    seed = check_size("seed", seed, minimum=0)
    latent = latent_cohort(persons=omop_persons, seed=omop_seed)
    if records > latent.n:
        raise DatasetError(f"records ({records:,}) must be at most the OMOP cohort's persons ({latent.n:,})")
    rng = np.random.default_rng(np.random.SeedSequence([seed, omop_seed, 0xEC0]))
    p = p_af(latent)
    af = rng.random(latent.n) < p
    weight = np.where(af, AF_ENRICHMENT, 1.0)
    chosen = np.sort(rng.choice(latent.n, size=records, replace=False, p=weight / weight.sum()))
    rhythm = np.where(af[chosen], "atrial_fibrillation",
                      rng.choice(OTHER_RHYTHMS, size=records, p=OTHER_SHARE))
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence([seed, omop_seed, 0xEC1]).spawn(records)]
    ecgs = [make_ecg(rng=r, rhythm=str(rh), duration_s=duration_s, fs=fs, record_id=f"ecg-{i + 1:05d}")
            for i, (r, rh) in enumerate(zip(rngs, rhythm))]
    frame = pd.DataFrame({
        "record_id": [e.record_id for e in ecgs], "person_id": chosen + 1,
        "ecg_date": pop.EPOCH + latent.index_day[chosen].astype("timedelta64[D]"),
        "rhythm": rhythm, "heart_rate_bpm": [e.heart_rate_bpm for e in ecgs],
        "beats": [len(e.r_peaks) for e in ecgs], "fs_hz": [e.fs for e in ecgs],
        "seconds": [e.signal.shape[1] / e.fs for e in ecgs]})
    truth = LinkedEcgTruth(seed=seed, omop_seed=omop_seed, omop_persons=latent.n, records=records,
                           af_logit=dict(AF_LOGIT), af_enrichment=AF_ENRICHMENT,
                           af_prevalence_in_cohort=round(float(af.mean()), 6),
                           af_share_in_records=round(float(af[chosen].mean()), 6),
                           p_af=np.round(p[chosen], 6).tolist())
    return LinkedEcgs(records=frame, ecgs=ecgs, truth=truth)
