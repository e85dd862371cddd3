"""The ECG dataset as files (one int16 array of all records, labels and R peaks as CSV) and its card."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from medai.datasets.cards import Card


def write_ecgs(out: Path, *, records: int, seed: int) -> None:
    import pandas as pd

    from medai.datasets.ecg import generate_ecgs

    ecgs = generate_ecgs(records=records, seed=seed)
    write_ecg_files(out, ecgs, pd.DataFrame({
        "record_id": [e.record_id for e in ecgs], "rhythm": [e.rhythm for e in ecgs],
        "heart_rate_bpm": [e.heart_rate_bpm for e in ecgs], "beats": [len(e.r_peaks) for e in ecgs],
        "fs_hz": [e.fs for e in ecgs], "seconds": [e.signal.shape[1] / e.fs for e in ecgs]}))


def write_ecg_files(out: Path, ecgs: list, records) -> None:
    """signals.npy (int16 microvolts, one row per record), records.csv (the `records` frame), r_peaks.csv."""
    import pandas as pd

    microvolts = np.stack([np.round(e.signal * 1000) for e in ecgs]).astype("<i2")
    np.save(out / "signals.npy", microvolts, allow_pickle=False)
    records.to_csv(out / "records.csv", index=False, lineterminator="\n")
    rows = [(e.record_id, int(s), "V" if i in set(e.pvc_beats) else "N") for e in ecgs for i, s in enumerate(e.r_peaks)]
    pd.DataFrame(rows, columns=["record_id", "sample", "beat"]).to_csv(out / "r_peaks.csv", index=False,
                                                                       lineterminator="\n")


ECG_CARD = Card(
    name="ecg-rhythms", title="Synthetic 12-lead ECG with heart rate, rhythm and beat labels",
    summary="10-second 12-lead ECGs at 500 Hz: normal sinus rhythm, sinus bradycardia and tachycardia, atrial "
            "fibrillation and sinus rhythm with premature ventricular complexes, with known heart rate and every "
            "R peak. Baseline wander, 60 Hz mains interference and noise included.",
    source="synthetic (medai.datasets.ecg.make_ecg; Gaussian-wave beats after McSharry et al., IEEE TBME 2003)",
    licence="CC0 1.0 (generated data); the generator is part of medai (BSD-3-Clause)",
    generator="medai.datasets.ecg.generate_ecgs(records=..., seed=...)",
    size="records x 12 x 5000 int16 (200 records: 24 MB)",
    schema=(("signals.npy", "int16 microvolts, shape (records, 12, 5000), leads I, II, III, aVR, aVL, aVF, V1-V6 "
                            "(np.load(..., mmap_mode='r'))"),
            ("records.csv", "record_id (row order of signals.npy), rhythm, heart_rate_bpm (60 / mean RR), beats, "
                            "fs_hz, seconds"),
            ("r_peaks.csv", "record_id, sample (R-peak index), beat (N normal, V premature ventricular)")),
    deidentification="synthetic; no personal information",
    intended_tasks=("filtering (baseline wander, 60 Hz notch)", "R-peak detection and heart rate",
                    "rhythm classification (AF from RR irregularity; 1D CNNs)", "beat classification (N vs V)"),
    disease_area="cardiovascular (arrhythmia)",
    notes=("Rhythm shares: sinus 40 %, bradycardia 15 %, tachycardia 15 %, AF 20 %, PVC 10 %.",
           "Use lead II (index 1) for single-lead tasks."),
)
