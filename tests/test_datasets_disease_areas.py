"""The disease-area datasets: respiratory (spirometry-copd), cancer (cancer-registry) and cardiovascular
(ecg-omop, ECGs linked to OMOP persons). Each follows its published figures, is deterministic by seed, keeps its
truth from students and has a card."""
from __future__ import annotations

import json
import os
import stat

import numpy as np
import pandas as pd
import pytest

from medai.datasets import DatasetError, registry
from medai.datasets.build import build_datasets
from medai.datasets.cancer_registry import RELATIVE_SURVIVAL_5Y, SITES, STAGES, generate_cancer_registry
from medai.datasets.ecg_omop import generate_linked_ecgs
from medai.datasets.omop import calibration as cal
from medai.datasets.respiratory import COPD_PREVALENCE, generate_spirometry, gold_grade

NEW = ("spirometry-copd", "cancer-registry", "ecg-omop")


@pytest.fixture(scope="module")
def spiro():
    return generate_spirometry(persons=30_000, seed=3)


@pytest.fixture(scope="module")
def cancer():
    return generate_cancer_registry(patients=30_000, seed=3)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("disease")
    report = build_datasets(out_dir=root / "data", truth_dir=root / "truth", names=["omop-cohort", *NEW],
                            seed=6, size=400)
    return root, report


# respiratory

def test_spirometric_copd_by_sex_and_band_follows_the_published_table(spiro):
    table, truth = spiro.table, spiro.truth
    true_copd = np.array(truth.true_copd, bool)
    band = cal.band_index(table.age.to_numpy())
    for sex in ("M", "F"):
        for b in range(1, 6):
            idx = np.flatnonzero((band == b) & (table.sex == sex).to_numpy())
            if len(idx) < cal.MIN_STRATUM:
                continue
            want = COPD_PREVALENCE[sex][b - 1]
            assert abs(100 * true_copd[idx].mean() - want) <= 1.5, (sex, b)
            measured = (table.fev1_fvc.to_numpy()[idx] < 0.70).mean()  # one noisy session: a little more or less
            assert abs(100 * measured - want) <= 5, (sex, b, measured)


def test_gold_grades_smoking_and_underdiagnosis_look_like_the_survey(spiro):
    t = spiro.table
    grade = gold_grade(t.fev1_fvc.to_numpy(), t.fev1_pct_pred.to_numpy())
    copd = grade > 0
    assert np.isin(grade[copd], [1, 2, 3, 4]).all()
    assert ((grade[copd] == 1) | (grade[copd] == 2)).mean() > 0.9  # population COPD is mostly mild or moderate
    ratio = t.groupby("smoking_status").fev1_fvc.mean()
    assert ratio["current"] < ratio["never"] - 0.02
    heavy = t.pack_years >= 30
    assert (t.fev1_fvc[heavy] < 0.7).mean() > 2 * (t.fev1_fvc[t.pack_years == 0] < 0.7).mean()
    assert t.copd_diagnosed_by_doctor[copd].mean() < 0.1  # most airflow limitation was never diagnosed
    assert (t.fev1_fvc == (t.fev1_l / t.fvc_l).round(3)).all()
    assert t.age.between(40, 89).all()


def test_spirometry_is_deterministic_by_seed(spiro):
    again = generate_spirometry(persons=30_000, seed=3)
    pd.testing.assert_frame_equal(again.table, spiro.table)
    assert again.truth == spiro.truth
    other = generate_spirometry(persons=30_000, seed=4)
    assert not other.table.fev1_l.equals(spiro.table.fev1_l)
    with pytest.raises(DatasetError, match="persons"):
        generate_spirometry(persons=0)


# cancer

def _km_at(days: np.ndarray, event: np.ndarray, t: float) -> float:
    from sksurv.nonparametric import kaplan_meier_estimator

    time, surv = kaplan_meier_estimator(event.astype(bool), days.astype(float))
    return float(surv[time <= t][-1]) if (time <= t).any() else 1.0


def test_net_survival_by_site_and_stage_from_the_registry_follows_published_relative_survival(cancer):
    t = cancer.table
    checked = 0
    for site in SITES:
        for k, stage in enumerate(STAGES[:3]):
            rows = t[(t.site == site) & (t.summary_stage == stage)]
            if len(rows) < 300:
                continue
            net = 100 * _km_at(rows.followup_days.to_numpy(), (rows.cause_of_death == "cancer").to_numpy(),
                               5 * 365.25)
            want = min(RELATIVE_SURVIVAL_5Y[site][k], 99.5)
            assert abs(net - want) <= 4, (site, stage, net, want)
            checked += 1
        values = RELATIVE_SURVIVAL_5Y[site][:3]
        assert values[0] >= values[1] >= values[2], site
    assert checked >= 15


def test_registry_sites_sexes_and_confounding_by_stage(cancer):
    t = cancer.table
    share = t.site.value_counts(normalize=True)
    total = sum(v[1] for v in SITES.values())
    for site, (_, pct, male, _, _) in SITES.items():
        assert abs(100 * share[site] - 100 * pct / total) < 1.5, site
        assert abs(100 * (t.sex[t.site == site] == "M").mean() - male) < 3, site
    assert set(t.sex[t.site == "prostate"]) == {"M"}
    lung = t[t.site == "lung"]
    surgery = lung.groupby("summary_stage").surgery.mean()
    assert surgery["localised"] > surgery["distant"] + 0.5
    # surgery "looks" protective only because it follows stage: the truth says treatment changes nothing
    assert cancer.truth.treatment_affects_survival is False
    operated = _km_at(lung.followup_days.to_numpy()[lung.surgery == 1], (lung.cause_of_death == "cancer")
                      .to_numpy()[lung.surgery == 1], 1826)
    not_operated = _km_at(lung.followup_days.to_numpy()[lung.surgery == 0], (lung.cause_of_death == "cancer")
                          .to_numpy()[lung.surgery == 0], 1826)
    assert operated > not_operated + 0.2
    assert (pd.to_datetime(t.diagnosis_date) + pd.to_timedelta(t.followup_days, unit="D")
            <= pd.Timestamp("2024-12-31")).all()
    alive = t.vital_status == "alive"
    assert (t.followup_days[alive] >= 1826).all() and (t.cause_of_death[alive] == "").all()


def test_registry_is_deterministic_by_seed(cancer):
    again = generate_cancer_registry(patients=30_000, seed=3)
    pd.testing.assert_frame_equal(again.table, cancer.table)
    assert again.truth == cancer.truth
    assert not generate_cancer_registry(patients=30_000, seed=9).table.site.equals(cancer.table.site)


# cardiovascular: ECGs linked to OMOP persons

def test_linked_ecgs_belong_to_omop_persons_on_their_index_date(built):
    root, _ = built
    data = root / "data"
    records = pd.read_csv(data / "ecg-omop" / "records.csv")
    cohort = pd.read_parquet(data / "omop-cohort" / "parquet" / "cohort.parquet")
    joined = records.merge(cohort, left_on="person_id", right_on="subject_id", how="left")
    assert len(joined) == len(records) == 400 and records.person_id.is_unique
    assert (pd.to_datetime(joined.ecg_date) == pd.to_datetime(joined.cohort_start_date)).all()
    signals = np.load(data / "ecg-omop" / "signals.npy", mmap_mode="r")
    assert signals.shape == (400, 12, 5000) and signals.dtype == np.int16
    assert json.loads((data / "ecg-omop" / "omop_build.json").read_text()) == {"omop_seed": 6, "omop_persons": 400}


def test_af_follows_the_persons_risk_factors_and_is_enriched():
    linked = generate_linked_ecgs(omop_persons=20_000, omop_seed=2, records=600, seed=1)
    r, truth = linked.records, linked.truth
    af = (r.rhythm == "atrial_fibrillation").to_numpy()
    assert 0.005 < truth.af_prevalence_in_cohort < 0.04  # the population figure's size
    assert abs(af.mean() - truth.af_share_in_records) < 1e-9 and af.mean() > 5 * truth.af_prevalence_in_cohort
    p = np.array(truth.p_af)
    assert p[af].mean() > 1.5 * p[~af].mean()
    from medai.datasets.omop.generate import latent_cohort

    age = latent_cohort(persons=20_000, seed=2).age[r.person_id.to_numpy() - 1]
    assert age[af].mean() > age[~af].mean() + 3
    again = generate_linked_ecgs(omop_persons=20_000, omop_seed=2, records=600, seed=1)
    pd.testing.assert_frame_equal(again.records, r)
    assert np.array_equal(again.ecgs[7].signal, linked.ecgs[7].signal)


def test_ecg_omop_needs_an_omop_build_and_leaves_nothing_without_one(tmp_path):
    with pytest.raises(DatasetError, match="build omop-cohort"):
        build_datasets(out_dir=tmp_path / "data", truth_dir=tmp_path / "truth", names=["ecg-omop"], size=10)
    assert not (tmp_path / "data" / "ecg-omop").exists()
    assert not list((tmp_path / "data").glob(".ecg-omop*"))


# all three

def test_truth_is_kept_from_students(built):
    root, report = built
    data, truth_dir = root / "data", root / "truth"
    secrets = {"spirometry-copd": "true_gold", "cancer-registry": "excess_hazard", "ecg-omop": "p_af"}
    for d in report.datasets:
        if d.name not in secrets:
            continue
        truth = truth_dir / d.name / "truth.json"
        assert d.truth == str(truth) and secrets[d.name] in json.loads(truth.read_text())
        assert stat.S_IMODE(truth.stat().st_mode) == 0o600
        assert stat.S_IMODE((truth_dir / d.name).stat().st_mode) == 0o700
        for path in (data / d.name).rglob("*"):
            assert not path.name.startswith("truth")
            assert stat.S_IMODE(path.stat().st_mode) in (0o644, 0o755)
            if path.suffix in (".csv", ".md", ".json"):
                assert secrets[d.name] not in path.read_text(encoding="utf-8"), path
    spiro = pd.read_parquet(data / "spirometry-copd" / "spirometry.parquet")
    assert not {"true_copd", "true_gold", "true_fev1_fvc"} & set(spiro.columns)


def test_each_new_dataset_has_a_card_with_its_published_figures(built):
    root, _ = built
    for name in NEW:
        spec = registry.get(name)
        assert spec.kind == "synthetic" and spec.default_size
        card = (root / "data" / name / "card.md").read_text(encoding="utf-8")
        assert card.startswith(f"# {spec.card.title} (`{name}`)") and "seed 6" in card
        assert "Truth for graders" in card
    assert "KNHANES" in registry.get("spirometry-copd").card.to_markdown()
    assert "20150-9" in registry.get("spirometry-copd").card.to_markdown()
    assert "Korea Central Cancer Registry" in registry.get("cancer-registry").card.to_markdown()
    assert "person_id" in registry.get("ecg-omop").card.to_markdown()
    for name in NEW:
        assert os.path.isfile(root / "data" / name / "manifest.json")


def test_build_orders_datasets_so_the_linked_ecgs_find_their_cohort(tmp_path):
    report = build_datasets(out_dir=tmp_path / "data", truth_dir=tmp_path / "truth",
                            names=["ecg-omop", "omop-cohort", "ecg-omop"], size=30, seed=2)
    assert [d.name for d in report.datasets] == ["omop-cohort", "ecg-omop"]
    records = pd.read_csv(tmp_path / "data" / "ecg-omop" / "records.csv")
    assert len(records) == 30 and set(records.person_id) == set(range(1, 31))
