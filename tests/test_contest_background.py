"""`medai up --demo` prepares its contests in the background: a real `medai contest prepare` process, started
without waiting for it; meanwhile a submission is refused as "being prepared" (Korean first), afterwards it is
scored; a prepare that died leaves no lasting mark."""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from medai.grader.contest.background import marked, prepared, preparing, start_preparing
from medai.grader.contest.submit import SubmitOptions, submit
from medai.grader.contest.words import ContestError
from medai.settings import Settings
from tests import contest_support as cs


@pytest.fixture
def site():
    d = cs.deployment(contest=cs.contest_yaml(submission="predictions"))
    yield d
    d.remove()


def send(site, data: bytes = b"id,prediction\n"):
    return submit(course=site.course, contest_id=cs.CONTEST, paths=site.paths, roster=site.roster, student="med03",
                  data=data, options=SubmitOptions(), layout=site.layout, when=cs.NOW)


def settings_of(site) -> Settings:
    return Settings.validated({"root": site.layout.root, "course_file": site.course_file,
                               "venv_bin": Path(sys.executable).parent, "lang": "en"})


def test_a_submission_while_the_contest_is_prepared_is_told_so(site):
    with pytest.raises(ContestError) as before:
        send(site)
    assert before.value.msgid == "the contest is not prepared yet"
    with marked(site.paths):
        assert preparing(site.paths)
        with pytest.raises(ContestError) as meanwhile:
            send(site)
        assert str(meanwhile.value) == "the contest's data are being prepared; submit again in a few minutes"
        assert meanwhile.value.text("ko") == "경진대회 데이터를 준비하고 있습니다. 몇 분 뒤에 다시 제출하십시오"
    assert not preparing(site.paths) and not (site.paths.private / "preparing").exists()


def test_a_mark_left_by_a_dead_prepare_does_not_count(site):
    gone = subprocess.Popen(["true"])
    gone.wait()
    site.paths.private.mkdir(parents=True, exist_ok=True)
    (site.paths.private / "preparing").write_text(f"{gone.pid}\n")
    assert not preparing(site.paths)
    with pytest.raises(ContestError, match="not prepared yet"):
        send(site)


def test_the_demo_starts_preparing_and_does_not_wait(site):
    s = settings_of(site)
    started = time.monotonic()
    lines = start_preparing(course=site.course, settings=s)
    took = time.monotonic() - started
    assert len(lines) == 1 and "being prepared in the background" in lines[0], lines
    # returned before the prepare process has even imported pandas: the hub starts meanwhile
    assert preparing(site.paths) and not prepared(site.paths), (took, lines)
    assert start_preparing(course=site.course, settings=s) == []  # not started twice
    with pytest.raises(ContestError, match="being prepared"):
        send(site)

    _wait(site.paths)
    log = (site.paths.private / "prepare.log").read_text()
    assert prepared(site.paths), log
    assert "training part:" in log and "hidden test set:" in log
    assert not (site.paths.private / "preparing").exists()
    assert site.paths.hidden_labels.stat().st_mode & 0o777 == 0o600
    assert start_preparing(course=site.course, settings=s) == []  # prepared: nothing to do at the next start
    ids = pd.read_parquet(site.paths.test_inputs)["id"]
    scored = send(site, pd.DataFrame({"id": ids, "prediction": range(len(ids))}).to_csv(index=False).encode())
    assert scored.status == "scored" and scored.public is not None  # taken and scored now


def _wait(paths, seconds=180):
    deadline = time.monotonic() + seconds
    while preparing(paths) and time.monotonic() < deadline:
        time.sleep(0.5)


@pytest.mark.parametrize("demo", [True, False])
def test_medai_up_demo_starts_it_after_the_rest_is_ready(site, monkeypatch, demo):
    """compose.start_platform (what `medai up` runs before the hub): with --demo the contests are started in the
    background; without it an instructor prepares them (`medai contest prepare`). The roster import, datasets and
    releases, done before, are stubbed here: they have tests of their own."""
    import medai.datasets.build
    import medai.grader.nbgrader_ops
    import medai.hub.up
    from medai.compose import start_platform

    monkeypatch.setattr(medai.hub.up, "prepare_deployment", lambda **kw: (site.roster, ["roster imported"]))
    monkeypatch.setattr(medai.datasets.build, "missing_datasets", lambda data_dir: [])
    monkeypatch.setattr(medai.grader.nbgrader_ops, "release_due", lambda **kw: [])
    roster, lines = start_platform(course=site.course, settings=settings_of(site), demo=demo, system=False)
    assert lines[0] == "roster imported"
    assert any("being prepared in the background" in line for line in lines) is demo
    assert preparing(site.paths) is demo
    _wait(site.paths)
    assert prepared(site.paths) is demo
