"""Contests without the sandbox: course.yaml's `contests:`, the split, scores equal to scikit-learn's, the daily
cap, team rules, leaderboards with intervals and ties, final choices and the reveal (predictions-file contests;
notebooks in the sandbox are tests/test_contest_sandbox.py)."""
from __future__ import annotations

import io
import stat
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.metrics import f1_score, mean_squared_error, roc_auc_score

from medai.course import CourseError, load_course
from medai.course.model import CONTEST_TASKS
from medai.grader.contest import teams
from medai.grader.contest.leaderboard import private_board, public_board
from medai.grader.contest.metrics import METRICS, score
from medai.grader.contest.prepare import prepare
from medai.grader.contest.store import Store
from medai.grader.contest.submit import SubmitOptions, choose, reveal, submit
from medai.grader.contest.tasks import TASKS
from medai.grader.contest.words import ContestError
from tests import contest_support as cs
from tests.conftest import COURSE_YAML


def predictions_csv(ids, values) -> bytes:
    buf = io.StringIO()
    pd.DataFrame({"id": ids, "prediction": values}).to_csv(buf, index=False)
    return buf.getvalue().encode()


@pytest.fixture(scope="module")
def site():
    d = cs.deployment(contest=cs.contest_yaml(submission="predictions"))
    prepare(contest=d.course.contest(cs.CONTEST), paths=d.paths)
    yield d
    d.remove()


def hidden(site):
    return pd.read_parquet(site.paths.hidden_labels)


def inputs(site):
    return pd.read_parquet(site.paths.test_inputs)


def send(site, student, data, when=cs.NOW):
    return submit(course=site.course, contest_id=cs.CONTEST, paths=site.paths, roster=site.roster, student=student,
                  data=data, options=SubmitOptions(), layout=site.layout, when=when)


def enrol(site, student, team, *, create):
    contest, store = site.course.contest(cs.CONTEST), Store(site.paths.database)
    students = teams.Students.of(site.roster)
    teams.sync_fixed(contest, store, students)
    (teams.create_team if create else teams.join_team)(contest, store, students, student=student, team=team)


# -- course.yaml --------------------------------------------------------------------------------------------


def test_the_shipped_course_has_its_first_contest_and_baseline():
    course = load_course(COURSE_YAML)
    contest = course.contest("mi-1y")
    assert contest.data.task == "omop-mi" and contest.data.horizon_days == 365
    assert contest.data.seed is None  # drawn privately by `prepare`: a seed in course.yaml is public and contest.data.test_groups == [3] and contest.metric == "auroc"
    assert contest.phases[0].starts.utcoffset() == timedelta(hours=9)  # course time zone
    assert (course.resolved_assignments_dir / contest.baseline).is_file()
    assert tuple(TASKS) == CONTEST_TASKS


def _problems(tmp_path, contest: dict) -> str:
    path = tmp_path / "course.yaml"
    path.write_text(yaml.safe_dump(cs.course_data([contest]), allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(CourseError) as err:
        load_course(path)
    return str(err.value)


def test_contest_mistakes_are_reported_with_their_place(tmp_path):
    bad_phase = cs.contest_yaml()
    bad_phase["phases"][1]["ends"] = bad_phase["phases"][1]["starts"]
    assert "contests[id=risk].phases[id=final].ends: ends" in _problems(tmp_path, bad_phase)
    big = cs.contest_yaml(teams={"max_size": 1, "fixed": [{"id": "a", "members": ["med01", "eng01"]}]})
    assert "max_size is 1" in _problems(tmp_path, big)
    twice = cs.contest_yaml(teams={"fixed": [{"id": "a", "members": ["med01"]}, {"id": "b", "members": ["med01"]}]})
    assert "'med01' is already in team 'a'" in _problems(tmp_path, twice)
    assert "metric" in _problems(tmp_path, cs.contest_yaml(metric="accuracy-ish"))
    no_table = cs.contest_yaml()
    del no_table["data"]["table"]
    assert "seed" in _problems(tmp_path, cs.contest_yaml(data={**cs.contest_yaml()["data"], "seed": -1}))
    assert "task 'table' needs" in _problems(tmp_path, no_table)


# -- the split ------------------------------------------------------------------------------------------------


def test_the_split_holds_out_the_test_site_and_keeps_labels_in_the_course_directory(site):
    train = pd.read_parquet(site.paths.train)
    labels, shown = hidden(site), inputs(site)
    assert set(train["group"]) == {1, 2} and "label" in train
    assert "label" not in shown and "public" not in shown and list(shown["id"]) == list(labels["id"])
    table = cs.toy_table()
    assert set(labels["id"]) == set(table.loc[table["site"] == 3, "id"])
    assert abs(labels["public"].mean() - 0.5) < 0.01
    for path in (site.paths.hidden_labels, site.paths.hidden_inputs):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(site.paths.hidden_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(site.layout.course_dir.stat().st_mode) == 0o700
    assert site.paths.train.stat().st_mode & stat.S_IROTH
    for path in site.layout.data_dir.rglob("*.parquet"):  # what students (and submissions) can read
        frame = pd.read_parquet(path)
        assert not ("label" in frame and set(frame["id"]) & set(labels["id"])), path
    before = site.paths.hidden_labels.read_bytes()
    prepare(contest=site.course.contest(cs.CONTEST), paths=site.paths)  # the seed decides: the same split again
    assert pd.read_parquet(site.paths.hidden_labels).equals(pd.read_parquet(io.BytesIO(before)))


def test_without_a_seed_in_course_yaml_prepare_draws_a_private_one_and_keeps_it():
    d = cs.deployment(contest=cs.contest_yaml(data={**cs.contest_yaml()["data"], "seed": None}))
    try:
        contest = d.course.contest(cs.CONTEST)
        assert contest.data.seed is None
        prepare(contest=contest, paths=d.paths)
        assert stat.S_IMODE(d.paths.seed_file.stat().st_mode) == 0o600
        first = pd.read_parquet(d.paths.hidden_labels)
        seed = d.paths.seed_file.read_text()
        prepare(contest=contest, paths=d.paths)
        assert d.paths.seed_file.read_text() == seed and pd.read_parquet(d.paths.hidden_labels).equals(first)
    finally:
        d.remove()


# -- scores, teams, the cap, the boards ------------------------------------------------------------------------


def test_a_contest_from_teams_to_the_revealed_private_board(site):
    labels, shown = hidden(site), inputs(site)
    y, pub = labels["label"].to_numpy(), labels["public"].to_numpy(bool)
    rng = np.random.default_rng(3)
    good = shown["x1"] * 1.8 - shown["x2"] * 1.2 + rng.normal(0, 0.2, len(shown))
    weak = shown["x3"] + rng.normal(0, 1, len(shown))

    enrol(site, "med01", "alpha", create=True)
    with pytest.raises(ContestError, match="more than one track"):
        send(site, "med01", predictions_csv(shown["id"], good))
    enrol(site, "eng01", "alpha", create=False)
    with pytest.raises(ContestError, match="is full"):
        enrol(site, "med02", "alpha", create=False)
    with pytest.raises(ContestError, match="already in team alpha"):
        enrol(site, "eng01", "beta", create=True)
    with pytest.raises(ContestError, match="set by the instructors"):
        enrol(site, "med02", "fixed-team", create=False)
    with pytest.raises(ContestError, match="not a student on the roster"):
        enrol(site, "prof1", "gamma", create=True)
    with pytest.raises(ContestError, match="in no team"):
        send(site, "med02", predictions_csv(shown["id"], weak))
    enrol(site, "med02", "beta", create=True)
    enrol(site, "eng02", "beta", create=False)

    first = send(site, "med01", predictions_csv(shown["id"], good))
    assert first.status == "scored"
    assert first.public.value == pytest.approx(roc_auc_score(y[pub], good[pub]), abs=1e-12)
    assert first.public.low < first.public.value < first.public.high
    weak_sub = send(site, "eng02", predictions_csv(shown["id"], weak))
    assert weak_sub.public.value == pytest.approx(roc_auc_score(y[pub], weak[pub]), abs=1e-12)
    bad = send(site, "eng02", predictions_csv(shown["id"][:10], weak[:10]))  # a failure counts against the cap
    assert bad.status == "failed" and "lacks" in bad.summary.format(**bad.fields)
    crash = send(site, "med03", b"not,a,predictions\nfile")
    assert crash.status == "failed"

    # the cap: beta used 2; a third is allowed, the fourth refused with the next day's start in course time
    send(site, "med02", predictions_csv(shown["id"], weak * 0.5 + good * 0.1))
    with pytest.raises(ContestError) as refused:
        send(site, "med02", predictions_csv(shown["id"], good))
    tz = site.course.course.tz
    tomorrow = datetime.combine(cs.NOW.astimezone(tz).date() + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    assert refused.value.fields["when"] == tomorrow.strftime("%Y-%m-%d %H:%M %Z")
    assert "다음 제출은" in refused.value.text("ko") and tomorrow.strftime("%Y-%m-%d %H:%M") in refused.value.text("ko")
    assert len(Store(site.paths.database).submissions("beta")) == 3  # nothing recorded for the refusal
    later = send(site, "med02", predictions_csv(shown["id"], good), when=tomorrow + timedelta(minutes=1))
    assert later.status == "scored"

    board = public_board(site.course.contest(cs.CONTEST), Store(site.paths.database))
    assert [e.team for e in board.entries][:1] == ["alpha"] or board.entries[0].tied
    counts = {e.team: e.submissions for e in board.entries}
    assert counts == {"alpha": 1, "beta": 4}  # fixed-team has only a failure: not on the board

    store = Store(site.paths.database)
    with pytest.raises(ContestError, match="after the final phase"):
        reveal(course=site.course, contest_id=cs.CONTEST, paths=site.paths, by="prof1", when=cs.NOW)
    assert store.revealed() is None
    # beta counts its weak submission in the final ranking, not its best public one
    choose(course=site.course, contest_id=cs.CONTEST, paths=site.paths, roster=site.roster, student="eng02",
           ids=[weak_sub.id])
    with pytest.raises(ContestError, match="not a scored submission of team beta"):
        choose(course=site.course, contest_id=cs.CONTEST, paths=site.paths, roster=site.roster, student="eng02",
               ids=[first.id])
    reveal(course=site.course, contest_id=cs.CONTEST, paths=site.paths, by="prof1", when=cs.AFTER_FINAL)
    assert store.revealed() is not None
    private = {e.team: e for e in private_board(site.course.contest(cs.CONTEST), store).entries}
    assert private["beta"].score == pytest.approx(roc_auc_score(y[~pub], weak[~pub]), abs=1e-12)
    assert private["alpha"].score == pytest.approx(roc_auc_score(y[~pub], good[~pub]), abs=1e-12)
    assert private["alpha"].rank == 1 and private["beta"].rank == 2


def test_ties_within_the_interval_share_a_rank():
    from medai.grader.contest.leaderboard import Entry, _rank

    entries = [Entry(0, "a", 0.80, 0.75, 0.85, 1, 1), Entry(0, "b", 0.78, 0.70, 0.84, 1, 2),
               Entry(0, "c", 0.60, 0.55, 0.65, 1, 3)]
    ranked = {e.team: (e.rank, e.tied) for e in _rank(entries, "auroc")}
    assert ranked == {"a": (1, True), "b": (1, True), "c": (3, False)}
    lower = _rank([Entry(0, "x", 2.0, 1.5, 2.5, 1, 1), Entry(0, "y", 1.0, 0.9, 1.1, 1, 2)], "rmse")
    assert [e.team for e in lower] == ["y", "x"]  # RMSE: lower ranks higher


@pytest.mark.parametrize("metric", ["auroc", "macro-f1", "rmse", "c-index"])
def test_every_metric_is_scikit_learns(metric):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    p = np.clip(y * 0.4 + rng.random(200) * 0.6, 0, 1)
    if metric == "c-index":
        from sksurv.metrics import concordance_index_censored

        times = rng.exponential(5, 200)
        risk = -times + rng.normal(0, 2, 200)
        got = score(metric, np.column_stack([times, y]), risk, seed=1, resamples=100)
        assert got.value == pytest.approx(concordance_index_censored(y.astype(bool), times, risk)[0], abs=1e-12)
        assert got.low <= got.value <= got.high
        return
    if metric == "macro-f1":
        p = (p > 0.5).astype(int)
    expected = {"auroc": lambda: roc_auc_score(y, p), "macro-f1": lambda: f1_score(y, p, average="macro"),
                "rmse": lambda: mean_squared_error(y, p) ** 0.5}[metric]()
    got = score(metric, y, p, seed=5, resamples=200)
    assert got.value == pytest.approx(expected, abs=1e-12)
    assert got.low <= got.value <= got.high and got == score(metric, y, p, seed=5, resamples=200)  # seeded bootstrap
    assert METRICS[metric].higher_is_better == (metric != "rmse")



def test_the_cli_prepares_once_and_prints_the_boards(tmp_path, capsys, monkeypatch):
    from medai.cli import main

    d = cs.deployment()
    try:
        monkeypatch.setenv("MEDAI_ROOT", str(d.layout.root))
        monkeypatch.delenv("MEDAI_COURSE_DIR", raising=False)
        monkeypatch.delenv("MEDAI_DATA", raising=False)
        args = ["--course", str(d.course_file)]
        assert main(["contest", "prepare", cs.CONTEST, *args]) == 0
        assert "hidden test set" in capsys.readouterr().out and d.paths.hidden_labels.is_file()
        assert main(["contest", "team-create", cs.CONTEST, "--student", "med01", "solo", *args]) == 0
        assert main(["contest", "team-join", cs.CONTEST, "--student", "med02", "solo", *args]) == 0
        assert main(["contest", "team-join", cs.CONTEST, "--student", "eng01", "solo", *args]) == 2  # full
        assert "team solo is full" in capsys.readouterr().err
        Store(d.paths.database).add_submission(team="solo", student="med01", phase="development", submitted=cs.NOW,
                                               kind="notebook", status="failed", summary="x")
        assert main(["contest", "prepare", cs.CONTEST, *args]) == 2  # a scored set is not split again
        assert "--force" in capsys.readouterr().err
        assert main(["contest", "leaderboard", cs.CONTEST, "--submissions", *args]) == 0
        out = capsys.readouterr().out
        assert "public leaderboard, auroc (higher is better)" in out and "#1" in out and "solo (med01) failed" in out
        assert main(["contest", "reveal", cs.CONTEST, *args]) == 2  # before the final phase ended
        assert main(["contest", "leaderboard", "nope", *args]) == 2
    finally:
        d.remove()
