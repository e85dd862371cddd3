"""A real contest end to end, notebooks executed in the grading sandbox on a small hidden set: three teams (a
good model, a baseline, one that crashes), a fourth submission of the day refused, a submission that hunts for
the labels finding nothing, and the labels unreadable by a student's account. Public scores equal scikit-learn's
AUROC computed here from the same model."""
from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pytest
import requests
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from medai.grader.contest import teams
from medai.grader.contest.leaderboard import private_board, public_board
from medai.grader.contest.prepare import prepare
from medai.grader.contest.store import Store
from medai.grader.contest.submit import SubmitOptions, reveal, submit
from medai.grader.contest.words import ContestError
from medai.grader.sandbox import GiB, Limits
from tests import contest_support as cs
from tests.grade_support import SandboxAccounts, make_account, remove_account, tag, use_venv_path

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="the sandbox needs root (own accounts, namespaces)"),
]


def hunter(paths) -> bytes:
    """Looks for the labels everywhere it might; with any of them its predictions would be perfect."""
    return cs.notebook(f"""import os, sqlite3
import pandas as pd
found = []
for path in [{str(paths.hidden_labels)!r}, {str(paths.database)!r}, {str(paths.source_dir / "table.parquet")!r},
             {str(paths.seed_file)!r}]:
    try:
        open(path, 'rb').read(1); found.append(path)
    except OSError:
        pass
for folder in [{str(paths.course_dir)!r}, {str(paths.hidden_dir)!r}, '/run/medai-grade']:
    try:
        found += os.listdir(folder)
    except OSError:
        pass
print(found)""", f"""def predict(inputs):
    if 'label' in inputs.columns:
        return inputs['label']
    if found:
        y = pd.read_parquet({str(paths.hidden_labels)!r}).set_index('id')['label']
        return y.reindex(inputs['id']).to_numpy()
    print(inputs.to_string())  # printing the inputs gains nothing: no output reaches the team
    return [0.5] * len(inputs)""")


@pytest.fixture(scope="module")
def contest():
    use_venv_path()
    grader, student = f"t{tag()}grader", f"t{tag()}stud"
    entry = make_account(grader, cs.Path("/nonexistent"))
    stud = make_account(student, cs.Path("/nonexistent"))
    accounts = SandboxAccounts(1)
    d = cs.deployment(owner=(entry.pw_uid, entry.pw_gid))
    try:
        course = d.course
        prepare(contest=course.contest(cs.CONTEST), paths=d.paths)
        store = Store(d.paths.database)
        students = teams.Students.of(d.roster)
        c = course.contest(cs.CONTEST)
        teams.sync_fixed(c, store, students)
        for first, second, team in (("med01", "eng01", "alpha"), ("med02", "eng02", "beta")):
            teams.create_team(c, store, students, student=first, team=team)
            teams.join_team(c, store, students, student=second, team=team)
        options = SubmitOptions(sandbox_prefix=accounts.prefix, limits=Limits(memory_bytes=4 * GiB, wall_seconds=120))

        def send(student_id, data):
            return submit(course=course, contest_id=cs.CONTEST, paths=d.paths, roster=d.roster, student=student_id,
                          data=data, options=options, layout=d.layout, when=cs.NOW)

        results = {
            "good": send("med01", cs.good_notebook(d.paths.train)),
            "baseline": send("med02", cs.baseline_notebook(d.paths.train)),
            "crash": send("eng03", cs.crashing_notebook()),
            "hunter": send("eng02", hunter(d.paths)),
            "not_a_notebook": send("med02", b"{ not json"),
        }
        try:
            send("eng02", cs.good_notebook(d.paths.train))
            results["fourth"] = None
        except ContestError as err:
            results["fourth"] = err
        results["prefix"] = accounts.prefix
        yield d, results, stud
    finally:
        remove_account(grader)
        remove_account(student)
        accounts.remove()
        d.remove()


def expected_auroc(d, features) -> tuple[float, float]:
    train = pd.read_parquet(d.paths.train)
    shown = pd.read_parquet(d.paths.hidden_inputs)
    labels = pd.read_parquet(d.paths.hidden_labels)
    p = LogisticRegression().fit(train[features], train["label"]).predict_proba(shown[features])[:, 1]
    pub = labels["public"].to_numpy(bool)
    y = labels["label"].to_numpy()
    return roc_auc_score(y[pub], p[pub]), roc_auc_score(y[~pub], p[~pub])


def test_public_scores_are_scikit_learns_auroc_of_the_submitted_models(contest):
    d, results, _ = contest
    good, baseline = results["good"], results["baseline"]
    assert good.status == "scored" and baseline.status == "scored", (good, baseline)
    assert good.public.value == pytest.approx(expected_auroc(d, cs.FEATURES)[0], abs=1e-9)
    assert baseline.public.value == pytest.approx(expected_auroc(d, ["x3", "x4"])[0], abs=1e-9)
    assert good.public.value > 0.8 > baseline.public.value
    rows = {r.id: r for r in Store(d.paths.database).submissions()}
    assert rows[good.id].private == pytest.approx(expected_auroc(d, cs.FEATURES)[1], abs=1e-9)


def test_a_crash_shows_the_team_a_summary_and_the_instructors_the_reason(contest):
    d, results, _ = contest
    crash = results["crash"]
    assert crash.status == "failed" and crash.team == "fixed-team"
    seen = crash.summary.format(**crash.fields)
    assert seen == "calling predict() raised RuntimeError" and "secret" not in seen
    row = next(r for r in Store(d.paths.database).submissions() if r.id == crash.id)
    assert "RuntimeError: secret row" in row.reason  # instructors only
    assert results["not_a_notebook"].summary == "the file is not a Jupyter notebook"


def test_the_sandbox_hands_neither_labels_nor_the_record_to_a_submission(contest):
    d, results, _ = contest
    hunted = results["hunter"]
    assert hunted.status == "scored" and hunted.public.value == 0.5  # constant predictions: found nothing


def test_the_cap_refuses_the_fourth_submission_of_the_day(contest):
    d, results, _ = contest
    refused = results["fourth"]
    assert isinstance(refused, ContestError) and "next is allowed from" in str(refused)
    assert len(Store(d.paths.database).submissions("beta")) == 3


def test_a_students_account_cannot_read_the_labels_or_the_record(contest):
    d, _, stud = contest
    for path in (d.paths.hidden_labels, d.paths.hidden_inputs, d.paths.database, d.paths.source_dir / "table.parquet"):
        probe = subprocess.run([sys.executable, "-c", f"open({str(path)!r}, 'rb').read(1)"], user=stud.pw_uid,
                               group=stud.pw_gid, extra_groups=[], capture_output=True, text=True)
        assert probe.returncode != 0 and "PermissionError" in probe.stderr, (path, probe.stderr)
    readable = subprocess.run([sys.executable, "-c", f"open({str(d.paths.train)!r}, 'rb').read(1)"],
                              user=stud.pw_uid, group=stud.pw_gid, extra_groups=[], capture_output=True)
    assert readable.returncode == 0  # the training part is the students'


def test_a_notebook_submitted_through_the_page_runs_in_the_sandbox(contest):
    """The page's form (XSRF token, multipart upload) -> the service's worker thread -> the sandbox -> the score."""
    import re

    from tests.test_contest_page import serving

    d, results, _ = contest
    clock = [cs.NOW]
    with serving(d, clock, options=SubmitOptions(sandbox_prefix=results["prefix"])) as (origin, prefix):
        session = requests.Session()
        session.headers["X-Test-User"] = "med01"
        page = session.get(f"{origin}{prefix}c/{cs.CONTEST}?lang=en", timeout=60)
        token = re.search(r'name="_xsrf" value="([^"]+)"', page.text).group(1)
        answer = session.post(f"{origin}{prefix}c/{cs.CONTEST}/submit?lang=en", data={"_xsrf": token}, timeout=300,
                              files={"submission": ("model.ipynb", cs.good_notebook(d.paths.train))})
    assert answer.status_code == 200
    expected = f"{expected_auroc(d, cs.FEATURES)[0]:.4f}"
    assert re.search(rf"submission \d+: public score {expected}", answer.text), answer.text[-2000:]


def test_the_private_board_follows_the_reveal(contest):
    d, results, _ = contest
    course, store = d.course, Store(d.paths.database)
    board = public_board(course.contest(cs.CONTEST), store)
    assert [e.team for e in board.entries] == ["alpha", "beta"]
    assert store.revealed() is None
    reveal(course=course, contest_id=cs.CONTEST, paths=d.paths, by="prof1", when=cs.AFTER_FINAL)
    private = private_board(course.contest(cs.CONTEST), store)
    assert private.entries[0].team == "alpha" and private.entries[0].score == pytest.approx(
        expected_auroc(d, cs.FEATURES)[1], abs=1e-9)
