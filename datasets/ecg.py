"""Synthetic 12-lead (or single-lead) ECG with known heart rate, rhythm and R-peak positions.

Each beat is a sum of Gaussian waves (P, Q, R, S, T; after McSharry et al.'s ECGSYN, IEEE TBME 2003), placed at
RR intervals drawn for the rhythm; each lead scales the waves by its own gains (aVR inverted, V1 with a deep S,
...). Added: baseline wander, 60 Hz mains interference (Korea's grid), white noise.

Rhythms and their labels:

* ``sinus``: normal sinus rhythm, 60-100 bpm, small heart-rate variability;
* ``sinus_bradycardia`` (40-59 bpm) and ``sinus_tachycardia`` (101-150 bpm);
* ``atrial_fibrillation``: irregularly irregular RR (70-150 bpm), no P waves, fibrillatory f-waves;
* ``pvc``: sinus rhythm with premature ventricular complexes (wide QRS, no P wave, compensatory pause).

The heart-rate label is 60 / mean RR over the record; the R-peak sample indices are the ground truth for
beat detection.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from medai.datasets.errors import DatasetError, check_size

LEADS = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")
RHYTHMS = ("sinus", "sinus_bradycardia", "sinus_tachycardia", "atrial_fibrillation", "pvc")
RHYTHM_SHARE = (0.40, 0.15, 0.15, 0.20, 0.10)
_HR_RANGE = {"sinus": (60, 100), "sinus_bradycardia": (40, 59), "sinus_tachycardia": (101, 150),
             "atrial_fibrillation": (70, 150), "pvc": (60, 95)}
# wave: (offset from R in s, width in s, amplitude in mV in lead II)
_WAVES = {"P": (-0.17, 0.025, 0.15), "Q": (-0.025, 0.010, -0.10), "R": (0.0, 0.012, 1.20), "S": (0.025, 0.010, -0.25),
          "T": (0.26, 0.045, 0.30)}
# per lead: gains for (P, QRS, T)
_GAINS = {"I": (0.6, 0.7, 0.6), "II": (1.0, 1.0, 1.0), "III": (0.4, 0.4, 0.4), "aVR": (-0.8, -0.85, -0.8),
          "aVL": (0.1, 0.15, 0.1), "aVF": (0.7, 0.7, 0.7), "V1": (0.4, -0.6, -0.2), "V2": (0.5, -0.3, 0.8),
          "V3": (0.5, 0.5, 0.9), "V4": (0.5, 1.2, 0.9), "V5": (0.5, 1.1, 0.7), "V6": (0.5, 0.9, 0.5)}


@dataclass(frozen=True)
class Ecg:
    record_id: str
    rhythm: str
    heart_rate_bpm: float
    fs: int
    leads: tuple[str, ...]
    signal: np.ndarray        # float32 (leads, samples), mV
    r_peaks: np.ndarray       # sample indices of every R peak
    pvc_beats: np.ndarray     # indices into r_peaks of premature ventricular beats


def _rr_intervals(rng, rhythm: str, hr: float, duration: float) -> tuple[np.ndarray, np.ndarray]:
    mean_rr = 60.0 / hr
    n = int(duration / mean_rr) + 4
    if rhythm == "atrial_fibrillation":
        rr = mean_rr * rng.gamma(shape=12.0, scale=1 / 12.0, size=n)  # CV ~ 0.29
    else:
        t = np.arange(n) * mean_rr
        rr = mean_rr * (1 + 0.03 * np.sin(2 * np.pi * 0.25 * t) + 0.01 * rng.standard_normal(n))  # RSA
    pvc = np.zeros(n, bool)
    if rhythm == "pvc":
        idx = rng.choice(np.arange(2, n - 2), size=max(1, n // 6), replace=False)
        for i in sorted(idx):
            if pvc[i - 1] or pvc[i + 1]:
                continue
            pvc[i] = True
            rr[i - 1] *= 0.65   # premature
            rr[i] = 2 * mean_rr - rr[i - 1]  # compensatory pause
    return np.clip(rr, 0.3, 2.0), pvc


def make_ecg(*, rng: np.random.Generator, rhythm: str = "sinus", heart_rate: float | None = None,
             duration_s: float = 10.0, fs: int = 500, leads: tuple[str, ...] = LEADS,
             record_id: str = "ecg-0001") -> Ecg:
    if rhythm not in RHYTHMS:
        raise DatasetError(f"unknown rhythm {rhythm!r}; known: {', '.join(RHYTHMS)}")
    unknown = [lead for lead in leads if lead not in _GAINS]
    if unknown:
        raise DatasetError(f"unknown leads: {', '.join(unknown)}")
    lo, hi = _HR_RANGE[rhythm]
    hr = float(rng.uniform(lo, hi)) if heart_rate is None else float(heart_rate)
    if not 20 <= hr <= 250:
        raise DatasetError("heart_rate must be between 20 and 250 bpm")
    n = int(round(duration_s * fs))
    t = np.arange(n) / fs
    rr, pvc = _rr_intervals(rng, rhythm, hr, duration_s)
    beats = 0.35 + np.concatenate([[0.0], np.cumsum(rr[:-1])])
    keep = beats < duration_s - 0.3
    beats, pvc = beats[keep], pvc[keep]
    signal = np.zeros((len(leads), n))
    gains = np.array([_GAINS[lead] for lead in leads])  # (leads, 3)
    axis = rng.normal(1.0, 0.08, (len(leads), 1))  # patient-specific amplitude
    for beat, premature in zip(beats, pvc):
        for wave, (offset, width, amp) in _WAVES.items():
            if wave == "P" and (premature or rhythm == "atrial_fibrillation"):
                continue
            group = 0 if wave == "P" else 2 if wave == "T" else 1
            if premature:  # wide, tall, discordant T
                width, amp = width * (2.8 if wave in "QRS" else 1.4), amp * (1.3 if wave != "T" else -1.5)
            shape = amp * np.exp(-0.5 * ((t - beat - offset) / width) ** 2)
            signal += gains[:, group:group + 1] * shape[None, :]
    if rhythm == "atrial_fibrillation":
        f = sum(0.04 * np.sin(2 * np.pi * rng.uniform(5, 8) * t + rng.uniform(0, 6.3)) for _ in range(3))
        signal += np.abs(gains[:, :1]) * f[None, :]
    signal *= axis
    wander = 0.15 * np.sin(2 * np.pi * rng.uniform(0.15, 0.4) * t + rng.uniform(0, 6.3))
    mains = 0.02 * np.sin(2 * np.pi * 60 * t + rng.uniform(0, 6.3))
    signal += wander[None, :] + mains[None, :] + rng.normal(0, 0.02, signal.shape)
    r_peaks = np.round(beats * fs).astype(np.int64)
    hr_true = 60.0 / float(np.mean(np.diff(beats))) if len(beats) > 1 else hr
    return Ecg(record_id=record_id, rhythm=rhythm, heart_rate_bpm=round(hr_true, 2), fs=fs, leads=tuple(leads),
               signal=signal.astype(np.float32), r_peaks=r_peaks, pvc_beats=np.flatnonzero(pvc))


def generate_ecgs(*, records: int = 200, seed: int = 0, duration_s: float = 10.0, fs: int = 500,
                  leads: tuple[str, ...] = LEADS) -> list[Ecg]:
    """`records` ECGs with rhythms in the proportions of :data:`RHYTHM_SHARE`, reproducible from `seed`."""
    records = check_size("records", records, maximum=100_000)
    seed = check_size("seed", seed, minimum=0)
    fs = check_size("fs", fs, minimum=100, maximum=2000)
    if not 2 <= duration_s <= 300:
        raise DatasetError("duration_s must be between 2 and 300 seconds")
    root = np.random.default_rng(np.random.SeedSequence([seed, 0xEC6]))
    rhythms = root.choice(RHYTHMS, size=records, p=RHYTHM_SHARE)
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence([seed, 0xEC7]).spawn(records)]
    return [make_ecg(rng=r, rhythm=str(rh), duration_s=duration_s, fs=fs, leads=leads, record_id=f"ecg-{i + 1:05d}")
            for i, (r, rh) in enumerate(zip(rngs, rhythms))]
