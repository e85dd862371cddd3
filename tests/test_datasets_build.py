"""Building datasets: registry, byte-identical rebuilds, manifest, read-only files, truth kept apart, all-or-nothing
failure, the CLI, and packaged real data that loads with no network."""
from __future__ import annotations

import json
import os
import socket
import sqlite3
import stat
from pathlib import Path

import pytest

from medai.cli import main
from medai.datasets import DatasetError, connect_omop, read_omop, registry
from medai.datasets.build import MANIFEST, build_datasets, verify

SMALL = 1500


def _build(tmp_path: Path, tag: str, *, seed: int = 3, names=("omop-cohort",)):
    return build_datasets(out_dir=tmp_path / tag / "data", truth_dir=tmp_path / tag / "truth", names=list(names),
                          seed=seed, size=SMALL)


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("built")
    report = _build(tmp, "a")
    return tmp, report


def test_same_seed_rebuilds_byte_identical_files_different_seed_differs(built, tmp_path):
    tmp, report = built
    first = _tree(Path(report.datasets[0].path))
    assert {"omop.sqlite", "card.md", MANIFEST, "parquet/person.parquet", "parquet/measurement.parquet"} <= set(first)
    again = _build(tmp_path, "b")
    assert _tree(Path(again.datasets[0].path)) == first
    other = _build(tmp_path, "c", seed=4)
    other_tree = _tree(Path(other.datasets[0].path))
    assert other_tree["omop.sqlite"] != first["omop.sqlite"]
    assert other_tree["parquet/measurement.parquet"] != first["parquet/measurement.parquet"]


def test_manifest_hashes_every_file_and_detects_changes(built, tmp_path):
    _, report = built
    root = Path(report.datasets[0].path)
    meta = json.loads((root / MANIFEST).read_text())
    assert meta["seed"] == 3 and meta["size"] == SMALL and meta["dataset"] == "omop-cohort"
    assert set(meta["files"]) == set(_tree(root)) - {MANIFEST}
    assert verify(root) == []
    copy = tmp_path / "copy"
    copy.mkdir()
    for rel, data in _tree(root).items():
        (copy / rel).parent.mkdir(parents=True, exist_ok=True)
        (copy / rel).write_bytes(data)
    (copy / "card.md").write_text("tampered")
    (copy / "extra.csv").write_text("x")
    assert verify(copy) == ["extra.csv: not in the manifest", "card.md: content changed"]


def test_built_data_is_read_only_for_others_and_truth_is_private_and_elsewhere(built):
    tmp, report = built
    data = Path(report.data_dir)
    for path in [data, *data.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o755 if path.is_dir() else 0o644), (path, oct(mode))
    truth = Path(report.datasets[0].truth)
    assert truth.is_file() and data not in truth.parents
    assert stat.S_IMODE(truth.stat().st_mode) == 0o600 and stat.S_IMODE(truth.parent.stat().st_mode) == 0o700
    assert json.loads(truth.read_text())["bayes_auc_mi_5y"] > 0.5
    for path in data.rglob("*"):
        if path.is_file():
            text = path.read_bytes()
            assert b"bayes_auc" not in text and b"log_hazard_ratios" not in text, path


def test_students_read_tables_and_query_sql_read_only(built):
    _, report = built
    person = read_omop("person", root=report.data_dir)
    assert len(person) == SMALL
    con = connect_omop(root=report.data_dir)
    n, = con.execute("SELECT COUNT(*) FROM condition_occurrence WHERE condition_concept_id = 4329847").fetchone()
    assert n == int((read_omop("condition_occurrence", root=report.data_dir).condition_concept_id == 4329847).sum())
    first, = con.execute("SELECT MIN(visit_start_date) FROM visit_occurrence").fetchone()
    assert first >= "2010-01-01" and len(first) == 10
    with pytest.raises(sqlite3.OperationalError):
        con.execute("DELETE FROM person")
    with pytest.raises(DatasetError, match="no OMOP table"):
        read_omop("persons", root=report.data_dir)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give files away")
def test_truth_built_by_root_belongs_to_the_course_directory_owner(tmp_path):
    course = tmp_path / "course"
    course.mkdir(mode=0o700)
    os.chown(course, 65534, 65534)  # like medai-grader's course directory
    report = build_datasets(out_dir=tmp_path / "data", truth_dir=course / "truth", names=["omop-cohort"], size=50)
    truth = Path(report.datasets[0].truth)
    for path in (truth, truth.parent, truth.parent.parent):
        assert (path.stat().st_uid, path.stat().st_gid) == (65534, 65534), path
    assert (tmp_path / "data" / "omop-cohort").stat().st_uid == 0


def test_truth_directory_inside_the_data_directory_is_refused(tmp_path):
    with pytest.raises(DatasetError, match="must not be inside"):
        build_datasets(out_dir=tmp_path / "data", truth_dir=tmp_path / "data" / "truth", names=["omop-cohort"],
                       size=10)
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize("kwargs, message", [
    ({"names": ["omop-cohort"], "size": -1}, "at least 1"),
    ({"names": ["omop-cohort"], "size": 0}, "at least 1"),
    ({"names": ["no-such-data"]}, "unknown dataset 'no-such-data'"),
    ({"names": ["omop-cohort"], "seed": -2}, "seed"),
])
def test_bad_parameters_fail_before_writing_anything(tmp_path, kwargs, message):
    with pytest.raises(DatasetError, match=message):
        build_datasets(out_dir=tmp_path / "data", truth_dir=tmp_path / "truth", **kwargs)
    assert not (tmp_path / "data").exists() and not (tmp_path / "truth").exists()


def test_unwritable_directory_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(DatasetError, match="data directory"):
        build_datasets(out_dir=blocker / "data", truth_dir=tmp_path / "truth", names=["whas500"])
    if os.geteuid() != 0:  # root may write anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o555)
        with pytest.raises(DatasetError, match="not writable"):
            build_datasets(out_dir=locked, truth_dir=tmp_path / "truth", names=["whas500"])


def test_a_failing_build_leaves_no_partial_dataset_and_keeps_the_previous_one(tmp_path, monkeypatch):
    out = tmp_path / "data"
    build_datasets(out_dir=out, truth_dir=tmp_path / "truth", names=["whas500"])
    before = _tree(out / "whas500")
    spec = registry.get("whas500")

    def broken(ctx):
        (ctx.out / "data.csv").write_text("half a file")
        raise OSError(28, "No space left on device")

    monkeypatch.setitem(registry.REGISTRY, "whas500", registry.DatasetSpec(
        name=spec.name, kind=spec.kind, card=spec.card, writer=broken))
    with pytest.raises(OSError, match="No space"):
        build_datasets(out_dir=out, truth_dir=tmp_path / "truth", names=["whas500"])
    assert sorted(p.name for p in out.iterdir()) == ["whas500"]
    assert _tree(out / "whas500") == before


def test_registry_cards_are_complete():
    assert {"omop-cohort", "breast-cancer-wisconsin", "diabetes-progression", "whas500", "gbsg2", "flchain",
            "veterans-lung-cancer", "aids-actg320"} <= set(registry.names())
    for spec in registry.SPECS:
        card = spec.card
        assert card.name == spec.name
        for field in (card.title, card.source, card.licence, card.generator, card.size, card.deidentification,
                      card.disease_area):
            assert field.strip(), (spec.name, field)
        assert card.intended_tasks and card.schema
    text = registry.get("omop-cohort").card.to_markdown(seed=7, size=100)
    assert "seed 7" in text and "4329847" in text and "measurement" in text and "truth" in text


def test_packaged_data_loads_from_installed_files_with_no_network(monkeypatch):
    import sklearn.datasets
    import sksurv.datasets

    import medai.datasets as md

    for module, name in ((sklearn.datasets, "breast_cancer.csv"), (sksurv.datasets, "whas500.arff"),
                         (sksurv.datasets, "GBSG2.arff"), (sksurv.datasets, "flchain.arff"),
                         (sksurv.datasets, "veteran.arff"), (sksurv.datasets, "actg320.arff")):
        path = Path(module.__file__).parent / "data" / name
        assert path.is_file() and "site-packages" in str(path.resolve())

    def no_network(*args, **kwargs):
        raise AssertionError("a loader tried to open a network connection")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    expected = {"load_whas500": (500, "died", 215), "load_gbsg2": (686, "recurrence_or_death", 299),
                "load_flchain": (7874, "died", 2169), "load_veterans_lung_cancer": (137, "died", 128),
                "load_aids_actg320": (1151, "aids_or_death", 96), "load_breast_cancer": (569, "malignant", 212)}
    for loader, (rows, event, events) in expected.items():
        frame = getattr(md, loader)()
        assert len(frame) == rows and frame[event].sum() == events, loader
        assert frame.columns[-2 if loader != "load_breast_cancer" else -1] == event
    assert md.load_flchain().death_cause_chapter.isna().sum() > 0  # missing means alive, not the text 'nan'


def test_cli_list_card_and_build(tmp_path, capsys):
    assert main(["datasets", "list"]) == 0
    out = capsys.readouterr().out
    assert "omop-cohort" in out and "whas500" in out
    assert main(["datasets", "card", "gbsg2"]) == 0
    assert "German Breast Cancer Study Group 2" in capsys.readouterr().out
    assert main(["datasets", "card", "nope"]) == 2
    assert "unknown dataset 'nope'" in capsys.readouterr().err
    code = main(["datasets", "build", "omop-cohort", "gbsg2", "--seed", "9", "--size", "300",
                 "--out", str(tmp_path / "data"), "--truth-dir", str(tmp_path / "truth")])
    out = capsys.readouterr().out
    assert code == 0 and "built omop-cohort" in out and "built gbsg2" in out and "truth for graders" in out
    assert (tmp_path / "truth" / "omop-cohort" / "truth.json").is_file()
    assert main(["datasets", "build", "--size", "-4", "--out", str(tmp_path / "other")]) == 2
    assert "at least 1" in capsys.readouterr().err and not (tmp_path / "other").exists()


def test_cli_build_defaults_to_the_course_data_directory_and_truth_under_the_course_dir(tmp_path, monkeypatch,
                                                                                        capsys):
    monkeypatch.setenv("MEDAI_ROOT", str(tmp_path / "root"))
    monkeypatch.delenv("MEDAI_COURSE_DIR", raising=False)
    assert main(["datasets", "build", "omop-cohort", "--size", "200"]) == 0
    capsys.readouterr()
    assert (tmp_path / "root" / "data" / "omop-cohort" / MANIFEST).is_file()
    truth = tmp_path / "root" / "course" / "truth" / "omop-cohort" / "truth.json"
    assert truth.is_file()
