"""Grades back to the LMS (LTI 1.3 Assignment and Grade Services) against a real platform on 127.0.0.1
(OpenLearning's lti1p3platform, tests/lti_platform.py): the tool's signed assertion buys a token, one line item
per assignment is made once and found again, the stored score (late penalty included) lands in the platform's
gradebook with PendingManual then FullyGraded, a second sync posts nothing, a failed post waits in the outbox.

Numbers from tests/progress_fixture.py (hand computation in tests/test_progress_model.py): med1's a2 is 16/20,
2 days late (-20 %): 12.8 of 20; eng2's a2 is 20/20 capped at -50 %: 10 of 20; med2's a3 has 6 of 10
autograded and a written answer waiting; med2's a5 is submitted, not collected; eng1's a4 collected, not graded.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from medai.lms.ags import find_line_item
from medai.lms.client import LmsClient, LmsError, Platform
from medai.lms.keys import ToolKeyError, ensure_key, jwks, load_key, public_jwk
from medai.lms.ledger import Ledger
from medai.lms.service import client_for, make_keys, sync
from medai.settings import Settings
from tests import progress_fixture as pf
from tests.lti_platform import LmsPlatform, Member

STUDENTS = ("med1", "med2", "med3", "eng1", "eng2")
UID = {s: f"lms-{n:04d}" for n, s in enumerate(STUDENTS, start=1001)}  # the LMS's own opaque user ids
MEDAI = str(Path(sys.executable).with_name("medai"))


def _env(s: Settings) -> dict[str, str]:
    return {**os.environ, **s.to_env()}


@pytest.fixture
def deployment(tmp_path):
    fx = pf.build(tmp_path)
    platform = LmsPlatform().start()
    platform.members = [Member(UID[s], s, f"{s}@medai.example.ac.kr", ["Learner"]) for s in STUDENTS]
    platform.members.append(Member("lms-prof", "윤지원", "prof1@medai.example.ac.kr", ["Instructor"]))
    s = Settings.validated({"root": fx.layout.root, "course_file": fx.course_file, "lti_issuer": platform.issuer,
                            "lti_client_id": platform.client_id, "lti_deployment_id": platform.deployment_id,
                            "lti_token_url": platform.token_url, "lti_lineitems_url": platform.lineitems_url,
                            "lti_memberships_url": platform.memberships_url})
    key, published = make_keys(settings=s)
    platform.tool_jwks = json.loads(published.read_text())  # what the platform read from /hub/lti13/jwks
    yield fx, platform, s
    platform.stop()


def _cell(platform, assignment, student):
    return platform.score(assignment, UID[student])


def test_the_tool_key_is_private_and_its_jwks_public(tmp_path):
    key = ensure_key(tmp_path / "lms" / "tool-key.pem")
    assert key.stat().st_mode & 0o777 == 0o600
    assert key.parent.stat().st_mode & 0o077 == 0
    pub = jwks(load_key(key))["keys"][0]
    assert pub["kty"] == "RSA" and pub["alg"] == "RS256" and "d" not in pub and "p" not in pub
    assert ensure_key(key) == key and public_jwk(load_key(key))["kid"] == pub["kid"]  # made once, same kid
    key.chmod(0o644)
    with pytest.raises(ToolKeyError, match="readable by others"):
        load_key(key)


def test_scores_reach_the_platforms_gradebook_once(deployment):
    fx, platform, s = deployment
    report = sync(course=fx.course, settings=s)
    assert report.exit_code == 0 and report.failed == {}
    # one line item per assignment of course.yaml, on its points scale, tagged and keyed by the assignment
    items = sorted(platform.gradebook.items.values(), key=lambda i: i["resourceId"])
    assert [(i["resourceId"], i["tag"], i["scoreMaximum"]) for i in items] == [
        (a[0], "medai", a[4]) for a in pf.ASSIGNMENTS]
    assert sorted(report.created) == [a[0] for a in pf.ASSIGNMENTS]
    med1 = _cell(platform, "a2", "med1")
    assert (med1["scoreGiven"], med1["scoreMaximum"]) == (pytest.approx(12.8), 20)
    assert (med1["activityProgress"], med1["gradingProgress"]) == ("Completed", "FullyGraded")
    assert _cell(platform, "a2", "eng2")["scoreGiven"] == pytest.approx(10.0)
    assert _cell(platform, "a1", "med2")["scoreGiven"] == pytest.approx(10.0)
    pending = _cell(platform, "a3", "med2")
    assert (pending["gradingProgress"], pending["activityProgress"]) == ("PendingManual", "Submitted")
    assert pending["scoreGiven"] == pytest.approx(6.0) and pending["scoreMaximum"] == 10
    waiting = _cell(platform, "a4", "eng1")
    assert (waiting["gradingProgress"], waiting["activityProgress"]) == ("Pending", "Submitted")
    assert "scoreGiven" not in waiting
    assert _cell(platform, "a6", "med1") is None  # not released: nothing is sent
    assert _cell(platform, "a1", "med3") is None  # nothing submitted
    posts = platform.gradebook.posts
    assert posts == len(report.posted) > 0

    again = sync(course=fx.course, settings=s)
    assert again.created == [] and again.posted == [] and again.unchanged == posts
    assert platform.gradebook.posts == posts and len(platform.gradebook.items) == len(pf.ASSIGNMENTS)

    # the instructor's hand grade: the written answer gets 3 of 4; only that cell changes, now FullyGraded
    from nbgrader.api import Gradebook

    with Gradebook(fx.layout.gradebook_url) as gb:
        g = gb.find_grade("q2", "nb", "a3", "med2")
        g.manual_score, g.needs_manual_grade = 3, False
        gb.db.commit()
    graded = sync(course=fx.course, settings=s, assignment="a3")
    assert graded.posted == ["a3/med2"] and graded.created == []
    cell = _cell(platform, "a3", "med2")
    assert (cell["scoreGiven"], cell["gradingProgress"], cell["activityProgress"]) == (
        pytest.approx(9.0), "FullyGraded", "Completed")

    # a new machine without the ledger finds every line item again by resourceId/tag: no second column
    Path(s.lti_key_path.parent / "ledger.json").unlink()
    fresh = sync(course=fx.course, settings=s)
    assert fresh.created == [] and len(platform.gradebook.items) == len(pf.ASSIGNMENTS)
    assert _cell(platform, "a2", "med1")["scoreGiven"] == pytest.approx(12.8)


def test_a_failed_post_waits_in_the_outbox_and_goes_through_next_time(deployment):
    fx, platform, s = deployment
    assert sync(course=fx.course, settings=s).exit_code == 0
    from nbgrader.api import Gradebook

    with Gradebook(fx.layout.gradebook_url) as gb:  # a regrade of two students
        for student, score in (("eng1", 5), ("med1", 5)):  # eng1 2+2 -> 5+2, med1 6+3 -> 5+3
            gb.find_grade("q1", "nb", "a1", student).auto_score = score
        gb.db.commit()
    platform.fail_scores = 1  # the LMS answers 503 once: to the first post (med1's, in roster order)
    proc = subprocess.run([MEDAI, "lms", "sync", "a1"], env={**_env(s), "MEDAI_LANG": "en"}, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FAILED a1/med1" in proc.stdout and "HTTP 503" in proc.stdout and "kept in the outbox" in proc.stdout
    ledger = Ledger.load(s.lti_key_path.parent)
    assert list(ledger.outbox) == ["a1/med1"] and ledger.outbox["a1/med1"]["tries"] == 1
    assert _cell(platform, "a1", "med1")["scoreGiven"] == pytest.approx(9.0)  # the LMS still has the old one
    assert _cell(platform, "a1", "eng1")["scoreGiven"] == pytest.approx(7.0)  # posted after the failure

    ko = subprocess.run([MEDAI, "lms", "sync"], env={**_env(s), "MEDAI_LANG": "ko"}, capture_output=True,
                        text=True, timeout=120)
    assert ko.returncode == 0, ko.stdout + ko.stderr
    assert "보낼 편지함에서 다시 시도: 1건" in ko.stdout and "보낸 점수: 1건" in ko.stdout
    assert Ledger.load(s.lti_key_path.parent).outbox == {}
    assert _cell(platform, "a1", "med1")["scoreGiven"] == pytest.approx(8.0)


def test_the_best_score_is_kept_when_the_course_says_so(deployment):
    fx, platform, s = deployment
    import yaml

    data = yaml.safe_load(fx.course_file.read_text(encoding="utf-8"))
    data["lms"] = {"resubmissions": "best"}
    fx.course_file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert sync(course=fx.course, settings=s).exit_code == 0
    from nbgrader.api import Gradebook

    with Gradebook(fx.layout.gradebook_url) as gb:  # a worse resubmission, graded
        gb.find_grade("q1", "nb", "a1", "med2").auto_score = 1
        gb.db.commit()
    report = sync(course=fx.course, settings=s)
    assert report.kept_best == ["a1/med2"] and report.posted == []
    assert _cell(platform, "a1", "med2")["scoreGiven"] == pytest.approx(10.0)


def test_students_the_lms_does_not_list_are_reported(deployment):
    fx, platform, s = deployment
    platform.members = [m for m in platform.members if m.user_id != UID["eng2"]]
    report = sync(course=fx.course, settings=s)
    assert report.unknown == ["eng2"] and _cell(platform, "a2", "eng2") is None


def test_the_platform_refuses_an_assertion_it_cannot_trust(deployment):
    fx, platform, s = deployment
    good = client_for(s)
    assert good.token(("https://purl.imsglobal.org/spec/lti-ags/scope/score",))
    wrong_aud = LmsClient(platform=Platform(issuer=s.lti_issuer, client_id=s.lti_client_id,
                                            token_url=s.lti_token_url, audience="https://elsewhere.example"),
                          private_key=good.private_key, kid=good.kid)
    with pytest.raises(LmsError, match="HTTP 401"):
        wrong_aud.token(("https://purl.imsglobal.org/spec/lti-ags/scope/score",))
    other = ensure_key(Path(s.root) / "other.pem")
    stranger = LmsClient(platform=good.platform, private_key=load_key(other), kid=good.kid)  # not in the JWKS
    with pytest.raises(LmsError, match="HTTP 401"):
        stranger.token(("https://purl.imsglobal.org/spec/lti-ags/scope/score",))
    import requests

    assert requests.get(platform.lineitems_url, timeout=10).status_code == 401  # no token at all
    assert find_line_item(good, platform.lineitems_url, resource_id="a1") is None  # nothing made by the refused


def test_an_unconfigured_lms_is_a_clear_error(tmp_path):
    fx = pf.build(tmp_path)
    proc = subprocess.run([MEDAI, "lms", "sync"], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "MEDAI_ROOT": str(fx.layout.root), "MEDAI_COURSE": str(fx.course_file)})
    assert proc.returncode == 2 and "MEDAI_LTI_ISSUER" in proc.stderr


def test_two_syncs_at_once_wait_for_each_other(tmp_path):
    import threading

    from medai.lms.ledger import locked

    order = []
    with locked(tmp_path):
        t = threading.Thread(target=lambda: (locked(tmp_path).__enter__(), order.append("second")))
        t.start()
        t.join(0.5)
        order.append("first")
    t.join(5)
    assert order == ["first", "second"]
