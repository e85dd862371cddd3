"""The roster from the LMS (LTI 1.3 Names and Role Provisioning Services) against a real platform on 127.0.0.1
(tests/lti_platform.py): `medai roster import --from-lms` reads the members, maps roles (Learner -> student,
Instructor -> instructor, the configured role -> staff), takes tracks from a custom field or the existing
roster, and applies the result like the CSV import: validated whole, nothing applied on any error."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from medai.course import load_course, parse_roster
from medai.lms.service import make_keys
from medai.settings import Settings
from tests.conftest import COURSE_YAML
from tests.lti_platform import LmsPlatform, Member

MEDAI = str(Path(sys.executable).with_name("medai"))
STAFF = "http://purl.imsglobal.org/vocab/lis/v2/membership#ContentDeveloper"


@pytest.fixture
def lms(tmp_path):
    platform = LmsPlatform().start()
    root = tmp_path / "root"
    s = Settings.validated({"root": root, "course_file": COURSE_YAML, "lti_issuer": platform.issuer,
                            "lti_client_id": platform.client_id, "lti_token_url": platform.token_url,
                            "lti_memberships_url": platform.memberships_url, "lti_user_key": "custom_student_id",
                            "single_account": True})
    _, published = make_keys(settings=s)
    platform.tool_jwks = json.loads(published.read_text())
    env = {**os.environ, **s.to_env(), "MEDAI_LANG": "en"}
    yield platform, s, env
    platform.stop()


def _member(uid, sid, name, roles, **custom):
    return Member(uid, name, f"{sid}@univ.example.ac.kr", roles, custom={"student_id": sid, **custom})


def _import(env):
    return subprocess.run([MEDAI, "roster", "import", "--from-lms", "--single-account"], env=env,
                          capture_output=True, text=True, timeout=300)


def test_the_lms_members_become_the_roster(lms):
    platform, s, env = lms
    platform.members = [
        _member("u1", "s2026001", "김민준", ["Learner"], track="medicine", cohort="2026"),
        _member("u2", "s2026002", "Jane Doe", ["Learner"], track="engineering", cohort="2026"),
        _member("u3", "prof01", "윤지원", ["Instructor"]),
        _member("u4", "staff01", "한수민", [STAFF]),
        _member("u5", "ta01", "조교", ["http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"]),
    ]
    proc = _import(env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "from the LMS: 4 members" in proc.stdout and "left out (no medai role): 조교" in proc.stdout
    roster = parse_roster(s.layout.roster_file, course=load_course(COURSE_YAML))
    got = {(p.id, p.name, p.email, p.role, p.track, p.cohort) for p in roster.people}
    assert got == {("s2026001", "김민준", "s2026001@univ.example.ac.kr", "student", "medicine", "2026"),
                   ("s2026002", "Jane Doe", "s2026002@univ.example.ac.kr", "student", "engineering", "2026"),
                   ("prof01", "윤지원", "prof01@univ.example.ac.kr", "instructor", None, None),
                   ("staff01", "한수민", "staff01@univ.example.ac.kr", "staff", None, None)}
    from nbgrader.api import Gradebook

    with Gradebook(s.layout.gradebook_url) as gb:
        assert sorted(st.id for st in gb.students) == ["s2026001", "s2026002"]

    # the next term's LMS sends no track for a student already on the roster: it stays as it was
    platform.members[0] = _member("u1", "s2026001", "김민준", ["Learner"])
    platform.members.append(_member("u6", "s2026003", "박지호", ["Learner"], track="medicine", cohort="2025"))
    proc = _import(env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "track and cohort kept from the roster: s2026001" in proc.stdout
    again = {p.id: (p.track, p.cohort) for p in parse_roster(s.layout.roster_file,
                                                             course=load_course(COURSE_YAML)).people}
    assert again["s2026001"] == ("medicine", "2026") and again["s2026003"] == ("medicine", "2025")


def test_a_member_without_a_track_applies_nothing(lms):
    platform, s, env = lms
    platform.members = [_member("u1", "s2026001", "김민준", ["Learner"], track="medicine", cohort="2026")]
    assert _import(env).returncode == 0
    before = s.layout.roster_file.read_bytes()
    platform.members += [_member("u2", "s2026009", "새학생", ["Learner"]),  # no track, not on the roster
                         _member("u3", "s2026010", "Other", ["Learner"], track="dentistry", cohort="2026")]
    proc = _import(env)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "LMS members: s2026009 <s2026009@univ.example.ac.kr>, column track: a student needs a track" in proc.stderr
    assert "s2026010 <s2026010@univ.example.ac.kr>, column track: unknown track 'dentistry'" in proc.stderr
    assert s.layout.roster_file.read_bytes() == before
    from nbgrader.api import Gradebook

    with Gradebook(s.layout.gradebook_url) as gb:
        assert [st.id for st in gb.students] == ["s2026001"]
