"""The contest page (hub service `contest`) in a real browser: a student reads the public leaderboard in Korean
and English, submits a predictions file through the form and sees its score; the private leaderboard stays
hidden until an instructor, who sees every submission with its reason, reveals it after the final phase.
The page's app runs in-process on a loopback port; HubOAuth's user comes from a request header (the hub's own
OAuth is the staff page's live test's)."""
from __future__ import annotations

import asyncio
import contextlib
import io
import re
import socket
import threading

import numpy as np
import pandas as pd
import pytest
import requests
from jupyterhub.services.auth import HubOAuth
from playwright.sync_api import expect
from sklearn.metrics import roc_auc_score
from tornado import ioloop

from medai.grader.contest.page import make_app
from medai.grader.contest.submit import SubmitOptions, submit
from tests import browser as web
from tests import contest_support as cs

pytestmark = pytest.mark.slow
ARTIFACTS = cs.Path("/tmp/medai-artifacts/contest")
SCOPE = "access:services!service=contest"
USERS = {
    "med01": {"name": "med01", "kind": "user", "groups": ["students", "medicine"], "scopes": [SCOPE]},
    "med04": {"name": "med04", "kind": "user", "groups": ["students", "medicine"], "scopes": [SCOPE]},
    "prof1": {"name": "prof1", "kind": "user", "groups": ["instructors"], "scopes": [SCOPE]},
    # holds the scope by mistake (a misconfigured role) but is in none of the course's groups
    "visitor": {"name": "visitor", "kind": "user", "groups": [], "scopes": [SCOPE]},
}


class HeaderHubOAuth(HubOAuth):
    def get_user(self, handler, **kwargs):
        return USERS.get(handler.request.headers.get("X-Test-User", ""))


def csv_of(ids, values) -> bytes:
    buf = io.StringIO()
    pd.DataFrame({"id": ids, "prediction": values}).to_csv(buf, index=False)
    return buf.getvalue().encode()


@contextlib.contextmanager
def serving(d, clock, options: SubmitOptions | None = None):
    auth = HeaderHubOAuth(api_token="t" * 32, api_url="http://127.0.0.1:9/hub/api", base_url="/services/contest/",
                          oauth_client_id="service-contest", access_scopes={SCOPE})
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    started, loops = threading.Event(), []

    def run():
        asyncio.set_event_loop(asyncio.new_event_loop())
        make_app(course_path=str(d.course_file), layout=d.layout, data_dir=d.layout.data_dir, hub_auth=auth,
                 options=options or SubmitOptions(), clock=lambda: clock[0]).listen(port, address="127.0.0.1")
        loops.append(ioloop.IOLoop.current())
        started.set()
        loops[0].start()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    started.wait(10)
    try:
        yield f"http://127.0.0.1:{port}", "/services/contest/"
    finally:
        loops[0].add_callback(loops[0].stop)
        thread.join(10)


@pytest.fixture(scope="module")
def site():
    d = cs.deployment(contest=cs.contest_yaml(submission="predictions"))
    course = d.course
    cs.prepared_with_two_teams(d)
    shown = pd.read_parquet(d.paths.test_inputs)
    rng = np.random.default_rng(1)
    preds = {"alpha": shown["x1"] * 1.8 - shown["x2"] * 1.2 + rng.normal(0, 0.3, len(shown)),
             "beta": shown["x3"] + rng.normal(0, 1, len(shown))}
    subs = {}
    for student, team in (("med01", "alpha"), ("eng02", "beta")):
        subs[team] = submit(course=course, contest_id=cs.CONTEST, paths=d.paths, roster=d.roster, student=student,
                            data=csv_of(shown["id"], preds[team]), options=SubmitOptions(), layout=d.layout,
                            when=cs.NOW)
    subs["crash"] = submit(course=course, contest_id=cs.CONTEST, paths=d.paths, roster=d.roster, student="med03",
                           data=b"id;oops\n", options=SubmitOptions(), layout=d.layout, when=cs.NOW)
    clock = [cs.NOW]
    with serving(d, clock) as (origin, prefix):
        yield d, origin, prefix, clock, subs, shown
    d.remove()


def test_visitors_outside_the_course_get_403_and_anonymous_ones_go_to_the_hub(site):
    _, origin, prefix, *_ = site
    assert requests.get(f"{origin}{prefix}c/risk", headers={"X-Test-User": "visitor"}, timeout=30).status_code == 403
    anonymous = requests.get(f"{origin}{prefix}c/risk", allow_redirects=False, timeout=30)
    assert anonymous.status_code == 302 and "/hub/api/oauth2/authorize" in anonymous.headers["Location"]


def test_the_leaderboard_in_a_browser(site):
    d, origin, prefix, clock, subs, shown = site
    labels = pd.read_parquet(d.paths.hidden_labels)
    pub = labels["public"].to_numpy(bool)
    with web.Browser(origin, ARTIFACTS) as browser:
        student = browser.session("med01")
        student.page.context.set_extra_http_headers({"X-Test-User": "med01"})
        page = student.page
        page.goto(f"{origin}{prefix}c/risk")
        expect(page.locator("h1")).to_have_text("연습 위험 예측")  # Korean first: course.yaml's title_ko
        board = page.locator("#public-board")
        expect(board.locator("tbody tr")).to_have_count(2)
        expect(board.locator("tr[data-team=alpha] td.score")).to_have_text(f"{subs['alpha'].public.value:.4f}")
        expect(board.locator("tr[data-team=alpha] td").first).to_have_text("1")
        expect(page.locator("#private-hidden")).to_contain_text("비공개 순위표는")
        expect(page.locator("#private-board")).to_have_count(0)
        expect(page.locator("#submissions tbody tr")).to_have_count(1)  # its own team's only
        student.shot("student-public-ko")

        page.get_by_role("link", name="English").click()
        expect(page.get_by_role("heading", name="Public leaderboard")).to_be_visible()
        expect(page.locator("h1")).to_have_text("Toy risk")
        values = shown["x1"] * 2.0 - shown["x2"]
        page.locator("input[name=submission]").set_input_files(
            files=[{"name": "preds.csv", "mimeType": "text/csv", "buffer": csv_of(shown["id"], values)}])
        page.get_by_role("button", name="Submit").click()
        expected = roc_auc_score(labels["label"].to_numpy()[pub], values.to_numpy()[pub])
        expect(page.locator(".notice")).to_have_text(re.compile(rf"submission \d+: public score {expected:.4f}"))
        expect(page.locator("#submissions tbody tr")).to_have_count(2)
        student.shot("student-submitted-en")
        page.get_by_role("link", name="한국어").click()  # from the page a form answered: back to the contest's page
        expect(page.get_by_role("heading", name="공개 순위표", exact=True)).to_be_visible()

        loner = browser.session("med04")  # in no team yet: forms one on the page, within the rules
        loner.page.context.set_extra_http_headers({"X-Test-User": "med04"})
        lp = loner.page
        lp.goto(f"{origin}{prefix}c/risk")
        lp.locator("#team-form input[name=team]").fill("alpha")
        lp.get_by_role("button", name="팀 가입").click()
        expect(lp.locator(".refused")).to_have_text("alpha 팀은 정원(최대 2명)이 찼습니다")
        lp.locator("#team-form input[name=team]").fill("gamma")
        lp.get_by_role("button", name="팀 만들기").click()
        expect(lp.locator(".notice")).to_have_text("gamma 팀에 들어갔습니다")
        lp.locator("input[name=submission]").set_input_files(
            files=[{"name": "p.csv", "mimeType": "text/csv", "buffer": csv_of(shown["id"], values)}])
        lp.get_by_role("button", name="제출").click()
        expect(lp.locator(".refused")).to_have_text("gamma 팀은 둘 이상의 트랙 학생이 모여야 제출할 수 있습니다")
        loner.shot("student-team-rules-ko")

        prof = browser.session("prof1")
        prof.page.context.set_extra_http_headers({"X-Test-User": "prof1"})
        prof.page.goto(f"{origin}{prefix}c/risk?lang=en")
        expect(prof.page.locator("#private-board tbody tr")).to_have_count(2)  # instructors: before the reveal too
        failed = prof.page.locator(f"#submissions tr[data-id='{subs['crash'].id}']")
        expect(failed).to_have_class(re.compile("failed"))
        expect(failed.locator("td.reason")).not_to_be_empty()
        expect(prof.page.get_by_role("button", name="Reveal the private leaderboard")).to_be_disabled()
        prof.shot("instructor-before-reveal")

        clock[0] = cs.AFTER_FINAL
        prof.page.reload()
        prof.page.get_by_role("button", name="Reveal the private leaderboard").click()
        expect(prof.page.locator(".notice")).to_have_text("the private leaderboard is revealed")

        page.goto(f"{origin}{prefix}c/risk")
        private = page.locator("#private-board")
        expect(private.locator("tbody tr")).to_have_count(2)
        expect(private.locator("th").last).to_have_text("순위 변동")
        expect(page.locator("input[name=submission]")).to_have_count(0)  # no phase open: no submit form
        student.shot("student-private-ko")
        assert browser.errors == []
