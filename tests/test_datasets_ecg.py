"""Synthetic ECG: the heart-rate label is what a plain R-peak detector measures, rhythms differ as labelled,
and the dataset file layout holds."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.signal import butter, filtfilt, find_peaks

from medai.datasets import DatasetError
from medai.datasets.build import build_datasets
from medai.datasets.ecg import LEADS, RHYTHMS, generate_ecgs, make_ecg


@pytest.fixture(scope="module")
def ecgs():
    return generate_ecgs(records=60, seed=3)


def _detect(signal: np.ndarray, fs: int) -> np.ndarray:
    b, a = butter(2, [5, 25], btype="band", fs=fs)
    x = filtfilt(b, a, signal)
    peaks, _ = find_peaks(x, height=0.4 * x.max(), distance=int(0.25 * fs))
    return peaks


def test_heart_rate_and_r_peaks_match_a_plain_detector(ecgs):
    for e in ecgs:
        assert e.signal.shape == (12, 5000) and e.signal.dtype == np.float32 and e.leads == LEADS
        peaks = _detect(e.signal[1], e.fs)
        assert len(peaks) == len(e.r_peaks), e.record_id
        assert np.abs(peaks - e.r_peaks).max() <= 10  # within 20 ms
        measured = 60 * e.fs / np.mean(np.diff(peaks))
        assert abs(measured - e.heart_rate_bpm) < 2, (e.rhythm, measured, e.heart_rate_bpm)


def test_rhythm_labels_mean_what_they_say(ecgs):
    by = {r: [e for e in ecgs if e.rhythm == r] for r in RHYTHMS}
    assert all(by[r] for r in RHYTHMS)
    assert all(e.heart_rate_bpm < 60 for e in by["sinus_bradycardia"])
    assert all(e.heart_rate_bpm > 100 for e in by["sinus_tachycardia"])
    assert all(60 <= e.heart_rate_bpm <= 100 for e in by["sinus"])

    def cv(e):
        rr = np.diff(e.r_peaks)
        return rr.std() / rr.mean()
    assert min(cv(e) for e in by["atrial_fibrillation"]) > max(cv(e) for e in by["sinus"]) + 0.05
    assert all(len(e.pvc_beats) >= 1 for e in by["pvc"]) and all(len(e.pvc_beats) == 0 for e in by["sinus"])
    assert (make_ecg(rng=np.random.default_rng(0), rhythm="sinus", heart_rate=72).heart_rate_bpm - 72) < 3
    with pytest.raises(DatasetError, match="unknown rhythm"):
        make_ecg(rng=np.random.default_rng(0), rhythm="torsades")


def test_same_seed_same_signals(ecgs):
    again = generate_ecgs(records=60, seed=3)
    assert all((a.signal == b.signal).all() and a.rhythm == b.rhythm for a, b in zip(ecgs, again))
    assert not (generate_ecgs(records=1, seed=4)[0].signal == ecgs[0].signal).all()
    with pytest.raises(DatasetError, match="records"):
        generate_ecgs(records=0)


def test_built_files_hold_signals_labels_and_peaks(tmp_path):
    report = build_datasets(out_dir=tmp_path / "data", truth_dir=tmp_path / "truth", names=["ecg-rhythms"], seed=1,
                            size=8)
    root = tmp_path / "data" / "ecg-rhythms"
    signals = np.load(root / "signals.npy", mmap_mode="r")
    records = pd.read_csv(root / "records.csv")
    peaks = pd.read_csv(root / "r_peaks.csv")
    assert signals.shape == (8, 12, 5000) and signals.dtype == np.int16
    assert list(records.record_id) == [f"ecg-{i:05d}" for i in range(1, 9)]
    assert (peaks.groupby("record_id").size().reindex(records.record_id).to_numpy() == records.beats).all()
    first = generate_ecgs(records=8, seed=1)[0]
    assert np.abs(signals[0] / 1000 - first.signal).max() <= 0.0005 + 1e-6
    assert report.datasets[0].truth is None
