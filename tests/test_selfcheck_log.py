"""The self-check log and its summary: records checked on arrival (the student is who the hub says, never what
the request says), appended as whole lines the grader alone can read, summed per question by hand-computable
rules; the progress service's `api/selfchecks` over HTTP; `medai report selfchecks`. A real kernel sending them:
tests/test_selfcheck_record.py; real Unix accounts and a real hub: tests/test_selfcheck_record_live.py."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests
import yaml

from medai.progress.insight import selfcheck_log as log
from medai.progress.insight.selfcheck_log import BadRecord, SelfCheckUse, append, from_request, read
from medai.progress.insight.selfcheck_use import CSV_COLUMNS, selfcheck_use, summarise, summary_csv, summary_table
from tests import progress_fixture as pf
from tests.selfcheck_service import serving

T0 = datetime(2026, 9, 10, 1, 0, tzinfo=timezone.utc)  # 10:00 KST


def sent(question="q1", action="check", status="not yet", failed="_q1:20", message="m", assignment="a1", **kw):
    return {"assignment": assignment, "question": question, "action": action, "status": status, "failed": failed,
            "message": message, "title": f"{question.upper()} (title)", **kw}


def test_the_student_is_who_the_hub_says_not_what_the_request_says():
    use = from_request("med1", sent(student="med2"), now=T0)
    assert use.student == "med1" and use.at == "2026-09-10T01:00:00.000+00:00"
    assert use.failed == "_q1:20" and use.message == "m" and use.title == "Q1 (title)"


def test_a_record_is_checked_on_arrival():
    for bad in (None, [], sent(assignment="../med2"), sent(question=""), sent(action="delete"),
                sent(status="passed"), sent(failed="x; rm -rf /"), sent(message=3), "text"):
        with pytest.raises(BadRecord):
            from_request("med1", bad, now=T0)
    with pytest.raises(BadRecord):
        from_request("../etc", sent(), now=T0)
    passed = from_request("med1", sent(status="pass", failed="_q1:20", message="✓"), now=T0)
    assert (passed.status, passed.failed, passed.message) == ("pass", None, "")
    hint = from_request("med1", sent(action="hint", status="error"), now=T0)
    assert (hint.status, hint.failed, hint.message) == (None, None, "")
    long = from_request("med1", sent(message="x" * 5000), now=T0)
    assert len(long.message) == log.MAX_MESSAGE
    assert from_request("med1", sent(failed=""), now=T0).failed == "unknown"


def test_appended_whole_lines_only_the_grader_reads(tmp_path):
    folder = tmp_path / "selfchecks"
    a = from_request("med1", sent(), now=T0)
    b = from_request("med2", sent(status="pass"), now=T0 + timedelta(seconds=1))
    assert append(folder, a) and append(folder, b) and append(folder, a)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()} == {"med1.jsonl": 0o600,
                                                                                    "med2.jsonl": 0o600}
    assert read(folder) == [a, a, b]
    with open(folder / "med1.jsonl", "a") as f:  # a line cut short by a crash, and a record under another's name
        f.write('{"student": "med1", "assignment": "a1"\n')
        f.write(json.dumps({**json.loads(b.to_json()), "student": "med2"}) + "\n")
    assert read(folder) == [a, a, b]
    assert read(folder, assignment="a2") == [] and read(tmp_path / "nothing") == []


def test_a_students_file_stops_growing_at_its_cap(tmp_path, monkeypatch):
    monkeypatch.setattr(log, "MAX_FILE_BYTES", 600)
    use = from_request("med1", sent(), now=T0)
    written = 0
    while append(tmp_path, use):
        written += 1
    assert written == 600 // len(use.to_json() + "\n")
    assert (tmp_path / "med1.jsonl").stat().st_size <= 600 and not append(tmp_path, use)


def uses():
    """Hand-made: q1 tried by med1 (fails _q1:20 twice, then passes), med2 (fails _q1:20, then _q1:30, asks a
    hint), eng1 (fails _q1:30 once); q10 by med1 (error NameError); q2 hint only by eng1; prof1 tries q1."""
    plan = [("med1", sent("q1")), ("med1", sent("q1")), ("med2", sent("q1", message="first")),
            ("eng1", sent("q1", failed="_q1:30", message="thirty")), ("med1", sent("q1", status="pass")),
            ("med2", sent("q1", action="hint")), ("med2", sent("q1", failed="_q1:30", message="latest thirty")),
            ("med1", sent("q10", status="error", failed="NameError", message="boom")),
            ("eng1", sent("q2", action="hint")), ("prof1", sent("q1", status="pass")),
            ("med1", sent("q1", assignment="a2", status="pass"))]
    return [from_request(who, data, now=T0 + timedelta(minutes=i)) for i, (who, data) in enumerate(plan)]


def test_the_summary_per_question_by_hand():
    s = summarise(uses(), "a1", students=["med1", "med2", "eng1"])
    assert (s.assignment, s.students, s.records) == ("a1", 3, 9)
    assert s.first == "2026-09-10T01:00:00.000+00:00" and s.last == "2026-09-10T01:08:00.000+00:00"
    assert [q.question for q in s.questions] == ["q1", "q2", "q10"]  # q2 before q10
    q1, q2, q10 = s.questions
    assert (q1.tried, q1.passed, q1.passing_now, q1.checks, q1.hints) == (3, 1, 1, 6, 1)
    # _q1:20 met by med1 (twice) and med2; _q1:30 by eng1 and med2: a tie on students, more times wins
    assert [(f.check, f.students, f.times) for f in q1.failures] == [("_q1:20", 2, 3), ("_q1:30", 2, 2)]
    q1_30 = q1.failures[1]
    assert q1_30.message == "latest thirty" and q1_30.status == "not yet"
    assert q1.top_failure.check == "_q1:20" and q1.title == "Q1 (title)"
    assert (q2.tried, q2.passed, q2.hints, q2.failures) == (0, 0, 1, [])
    assert (q10.tried, q10.passed, q10.passing_now) == (1, 0, 0)
    assert q10.top_failure.check == "NameError" and q10.top_failure.status == "error"
    everyone = summarise(uses(), "a1")  # prof1 counts when no roster is given
    assert everyone.students == 4 and everyone.questions[0].passed == 2


def test_the_summary_as_json_csv_and_a_table():
    s = summarise(uses(), "a1", students=["med1", "med2", "eng1"])
    data = json.loads(json.dumps(s.to_dict()))
    assert data["questions"][0]["top_failure"] == {"check": "_q1:20", "status": "not yet", "students": 2, "times": 3,
                                                   "message": "first"}  # the latest one shown
    assert data["questions"][1]["top_failure"] is None and data["students"] == 3
    lines = summary_csv(s).splitlines()
    assert lines[0] == ",".join(CSV_COLUMNS) and len(lines) == 4
    assert lines[1].startswith("a1,q1,Q1 (title),3,1,1,6,1,_q1:20,not yet,2,3,first")
    en = summary_table(s, lang="en", timezone="Asia/Seoul")
    assert "a1: 3 students used the self-checks, 9 times (2026-09-10 10:00 to 2026-09-10 10:08)" in en
    assert "most common failing check" in en and "_q1:20: 2 students, 3 times: first" in en
    ko = summary_table(s, lang="ko", timezone="Asia/Seoul")
    assert "가장 많이 실패한 검사" in ko and "학생 3명이 셀프 체크를 9번 사용" in ko
    off = summary_table(summarise([], "a1"), lang="en", recording=False)
    assert "Recording is off" in off and "No self-check use recorded for a1 yet." in off


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    fx = pf.build(tmp_path_factory.mktemp("selfcheck-log"))
    with serving(fx) as hub_api:
        yield fx, hub_api.removesuffix("hub/api") + "services/progress/api/selfchecks"


def post(url, token=None, body=None, raw=None):
    headers = {"Authorization": f"token {token}"} if token else {}
    return requests.post(url, data=raw if raw is not None else json.dumps(body), headers=headers, timeout=30,
                         allow_redirects=False)


def test_the_service_records_students_only_in_their_own_name(service):
    fx, url = service
    r = post(url, "tok-eng1", sent(assignment="svc", student="med2"))
    assert r.status_code == 201 and r.json() == {"recorded": True}
    for token in ("tok-prof1", "tok-staff1", None, "not-a-token"):
        refused = post(url, token, sent(assignment="svc"))
        assert refused.status_code == 403, (token, refused.text)
    assert post(url, "tok-eng1", raw=b"{not json").status_code == 400
    assert post(url, "tok-eng1", sent(assignment="svc", action="erase")).status_code == 400
    assert post(url, "tok-eng1", raw=b" " * (log.MAX_BODY + 1)).status_code == 413
    got = read(fx.layout.selfcheck_dir, assignment="svc")
    assert [(u.student, u.question, u.status) for u in got] == [("eng1", "q1", "not yet")]
    assert not (fx.layout.selfcheck_dir / "med2.jsonl").exists()
    assert selfcheck_use(layout=fx.layout, assignment="svc").students == 1


def test_recording_off_in_course_yaml_writes_nothing(service):
    fx, url = service
    original = fx.course_file.read_text(encoding="utf-8")
    data = yaml.safe_load(original)
    data["selfchecks"] = {"record": False}
    before = sorted((p.name, p.read_bytes()) for p in fx.layout.selfcheck_dir.glob("*"))
    try:
        fx.course_file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        r = post(url, "tok-med1", sent(assignment="off"))
        assert r.status_code == 200 and r.json() == {"recorded": False, "reason": "off"}
    finally:
        fx.course_file.write_text(original, encoding="utf-8")
    assert sorted((p.name, p.read_bytes()) for p in fx.layout.selfcheck_dir.glob("*")) == before
    assert post(url, "tok-med1", sent(assignment="off")).status_code == 201  # on again: recorded


def medai(*args, env=None):
    return subprocess.run([str(Path(sys.executable).with_name("medai")), *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=120)


def test_the_report_command(service):
    fx, _ = service
    for u in uses():
        append(fx.layout.selfcheck_dir, u)
    common = ["--course", str(fx.course_file), "--course-dir", str(fx.layout.course_dir)]
    done = medai("report", "selfchecks", "a1", "--format", "json", *common)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == summarise(uses(), "a1").to_dict()
    table = medai("report", "selfchecks", "a1", "--lang", "en", *common)
    assert table.returncode == 0 and "a1: 4 students used the self-checks, 10 times" in table.stdout
    csv = medai("report", "selfchecks", "a1", "--format", "csv", *common)
    assert csv.stdout.splitlines()[0] == ",".join(CSV_COLUMNS)
    empty = medai("report", "selfchecks", "a6", "--lang", "en", *common)  # in course.yaml, nothing recorded yet
    assert empty.returncode == 0 and "No self-check use recorded for a6 yet." in empty.stdout
    wrong = medai("report", "selfchecks", "no-such", *common)
    assert wrong.returncode != 0 and "no such assignment" in wrong.stderr and not wrong.stdout
