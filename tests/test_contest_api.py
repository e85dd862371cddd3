"""The contest service's JSON API for My course (medai.grader.contest.api), over HTTP against the real app on a
loopback port: a student submits for the team the record gives them (whatever the request claims), sees the
public score (equal to scikit-learn's AUROC on the public rows) and the submissions left today; over the cap,
in no team or outside a phase they are refused in Korean and English; instructors, staff, people outside the
course and requests without a token get 403. HubOAuth's user comes from a request header, as in
tests/test_contest_page.py (the hub's own OAuth and the students' servers are tests/test_lms_launch.py's)."""
from __future__ import annotations

import time

import pandas as pd
import pytest
import requests
from sklearn.metrics import roc_auc_score

from medai.grader.contest import api
from medai.grader.contest.store import Store
from tests import contest_support as cs
from tests.test_contest_page import SCOPE, USERS, csv_of, serving

TOKEN = {"Authorization": "token not-checked-here"}  # HeaderHubOAuth takes the user from X-Test-User
USERS = {**USERS, "staff1": {"name": "staff1", "kind": "user", "groups": ["staff"], "scopes": [SCOPE]},
         "eng01": {"name": "eng01", "kind": "user", "groups": ["students", "engineering"], "scopes": [SCOPE]},
         "med02": {"name": "med02", "kind": "user", "groups": ["students", "medicine"], "scopes": [SCOPE]},
         "eng02": {"name": "eng02", "kind": "user", "groups": ["students", "engineering"], "scopes": [SCOPE]}}


@pytest.fixture(scope="module")
def site():
    import tests.test_contest_page as page_test

    page_test.USERS.update(USERS)
    d = cs.deployment(contest=cs.contest_yaml(submission="predictions", daily_cap=2))
    cs.prepared_with_two_teams(d)
    clock = [cs.NOW]
    waited, api.WAIT_SECONDS = api.WAIT_SECONDS, 60.0  # a loaded machine scores slowly; 202 is tested on its own
    try:
        with serving(d, clock) as (origin, prefix):
            yield d, f"{origin}{prefix}api/", clock
    finally:
        api.WAIT_SECONDS = waited
        d.remove()


def call(method: str, url: str, user: str, *, token: bool = True, **kw) -> requests.Response:
    headers = {"X-Test-User": user, **(TOKEN if token else {})}
    return requests.request(method, url, headers=headers, timeout=60, **kw)


def good_predictions(d) -> tuple[bytes, float]:
    shown = pd.read_parquet(d.paths.test_inputs)
    values = shown["x1"] * 1.8 - shown["x2"] * 1.2
    labels = pd.read_parquet(d.paths.hidden_labels)
    public = labels["public"].to_numpy(bool)
    return csv_of(shown["id"], values), roc_auc_score(labels["label"].to_numpy()[public], values.to_numpy()[public])


def test_only_students_with_a_token_use_the_api(site):
    d, base, _ = site
    for user in ("prof1", "staff1", "visitor"):
        for method, path in (("GET", "mine"), ("POST", f"c/{cs.CONTEST}/submit")):
            r = call(method, base + path, user, data=b"x")
            assert r.status_code == 403, (user, path, r.text)
    refused = call("GET", base + "mine", "prof1", params={"lang": "en"}).json()["message"]
    assert refused == "only students submit to contests from My course"
    no_token = call("POST", base + f"c/{cs.CONTEST}/submit", "med01", token=False, data=b"x")
    assert no_token.status_code == 403 and "token" in call("GET", base + "mine", "med01", token=False,
                                                          params={"lang": "en"}).json()["message"]
    assert Store(d.paths.database).submissions() == []


def test_a_student_submits_for_their_own_team_and_sees_the_score(site):
    d, base, clock = site
    data, expected = good_predictions(d)
    # the request claims team beta; the record says med01 is in alpha, and alpha it is
    r = call("POST", base + f"c/{cs.CONTEST}/submit", "med01", data=data, params={"team": "beta", "lang": "en"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["team"] == "alpha" and body["status"] == "scored"
    assert body["public"] == pytest.approx(expected)
    assert [(s.team, s.student) for s in Store(d.paths.database).submissions()] == [("alpha", "med01")]

    mine = call("GET", base + "mine", "eng01", params={"lang": "en"}).json()  # the teammate sees it too
    (contest,) = mine["contests"]
    assert contest["team"] == "alpha" and sorted(contest["members"]) == ["eng01", "med01"]
    assert contest["phase"]["id"] == "development" and contest["title_ko"] == "연습 위험 예측"
    assert (contest["left_today"], contest["cap"], contest["next_allowed"]) == (1, 2, None)
    assert contest["latest"][0]["public"] == pytest.approx(expected) and not contest["running"]
    beta = call("GET", base + "mine", "eng02").json()["contests"][0]
    assert beta["team"] == "beta" and beta["latest"] == [] and beta["left_today"] == 2  # nothing of alpha's


def test_a_slow_submission_answers_202_and_the_score_arrives_by_polling(site, monkeypatch):
    d, base, _ = site
    monkeypatch.setattr(api, "WAIT_SECONDS", 0.0)
    data, expected = good_predictions(d)
    r = call("POST", base + f"c/{cs.CONTEST}/submit", "eng02", data=data)
    assert r.status_code == 202 and r.json() == {"running": True, "team": "beta"}
    for _ in range(120):
        contest = call("GET", base + "mine", "med02").json()["contests"][0]
        if not contest["running"]:
            break
        time.sleep(0.25)
    assert not contest["running"] and contest["latest"][0]["public"] == pytest.approx(expected)


def test_refusals_say_why_in_both_languages(site):
    d, base, clock = site
    data, _ = good_predictions(d)
    url = base + f"c/{cs.CONTEST}/submit"
    lonely = call("POST", url, "med04", data=data)  # in no team
    assert lonely.status_code == 409
    assert lonely.json()["messages"]["en"] == "med04 is in no team of this contest; create or join one first"
    assert lonely.json()["message"] == lonely.json()["messages"]["ko"] != lonely.json()["messages"]["en"]
    assert call("GET", base + "mine", "med04").json()["contests"][0]["refused"] == lonely.json()["messages"]["ko"]

    assert call("POST", url, "eng01", data=data).status_code == 200  # alpha's second of two today
    over = call("POST", url, "med01", data=data, params={"lang": "en"})
    assert over.status_code == 409 and "has used its 2 submissions of the day" in over.json()["message"]
    assert "다음" in over.json()["messages"]["ko"]
    mine = call("GET", base + "mine", "med01").json()["contests"][0]
    assert mine["left_today"] == 0 and mine["next_allowed"] and mine["next_allowed"][:10] in over.json()["message"]

    empty = call("POST", url, "med02", data=b"", params={"lang": "en"})
    assert empty.status_code == 400 and empty.json()["message"] == "choose a file to submit"

    clock[0] = cs.AFTER_FINAL
    try:
        closed = call("POST", url, "med02", data=data, params={"lang": "en"})
        assert closed.status_code == 409 and "takes no submissions now" in closed.json()["message"]
        assert call("GET", base + "mine", "med02").json()["contests"] == []  # no phase open: not listed
    finally:
        clock[0] = cs.NOW
    assert len(Store(d.paths.database).submissions()) == 3  # refusals record nothing
