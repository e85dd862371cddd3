"""A deadline rush on a real hub, on loopback: 50 roster students (real Unix accounts) log in, start their
servers, fetch the released assignment and submit it, 10 at a time; nobody fails, every submission reaches
the exchange and is collected, and every server is stopped afterwards. Latencies and the hub's CPU and memory
are benchmarks/bench_rush.py's business: nothing here asserts a time."""
from __future__ import annotations

import os
import pwd
from pathlib import Path

import pytest

from tests.deployment import PASSWORD, running
from tests.rush import STEPS, Target, percentile, rush

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="spawning servers as users' own Unix accounts needs root")

STUDENTS = 50
CONCURRENCY = 10
COURSE_ID = "medai101"
ASSIGNMENT = "c02-diagnostic-metrics"


@pytest.fixture(scope="module")
def hub():
    with running({"MEDAI_GRADE_ON_SUBMIT": "0"}, students=STUDENTS) as d:  # grading is bench_grade's business
        yield d


def test_a_student_who_cannot_get_in_is_a_failure_with_its_reason(tmp_path):
    from tests.deployment import free_base_port

    url = f"http://127.0.0.1:{free_base_port()}"  # nothing listens there
    result = rush(target=Target(url, tmp_path, COURSE_ID, ASSIGNMENT, PASSWORD), students=["ann", "bob"], uids=set())
    assert [f.split(": ")[:2] for f in result.failures] == [["ann", "login"], ["bob", "login"]]
    assert "ConnectionError" in result.failures[0] and result.latencies("login") == []
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.0 and percentile([1.0, 2.0, 3.0, 4.0], 95) == 4.0


@pytest.mark.slow
@needs_root
def test_fifty_students_rush_to_submit_and_nobody_fails(hub):
    names = [hub.ids[k] for k in hub.extra]
    uids = {pwd.getpwnam(name).pw_uid for name in names}
    # 10 at a time: CI runs another test module on the same two cores; the benchmark rushes 25 or 50 at once
    result = rush(target=Target(hub.url, hub.root, COURSE_ID, ASSIGNMENT, PASSWORD), students=names, uids=uids,
                  concurrency=CONCURRENCY)

    assert result.failures == []
    for step in (*STEPS, "stop"):
        assert len(result.latencies(step)) == STUDENTS, step
    assert result.usage["servers"].accounts_at_peak >= STUDENTS // 2  # the sampler saw the servers running
    assert result.usage["hub"].rss_peak > 0 and result.usage["proxy"].rss_peak > 0

    inbound = hub.root / "exchange" / COURSE_ID / "inbound"
    submitted = sorted(p.name.split("+")[0] for p in inbound.iterdir() if f"+{ASSIGNMENT}+" in p.name)
    assert submitted == sorted(names)  # one submission each, nobody else's
    for name in names:
        fetched = hub.root / "home" / name / ASSIGNMENT / "diagnostic-metrics.ipynb"
        assert pwd.getpwuid(fetched.stat().st_uid).pw_name == name
    assert f"{STUDENTS} submission(s)" in hub.medai("collect", ASSIGNMENT).stdout

    # every student stopped their server: no process of theirs is left, and their cgroups are gone
    assert not [pid for pid in hub.pids() if owner(pid) in uids]
    left = {g.name for g in Path("/sys/fs/cgroup").glob("*/**/medai/*") if g.is_dir()}
    assert not left & set(names)


def owner(pid: int) -> int | None:
    try:
        return Path(f"/proc/{pid}").stat().st_uid
    except OSError:  # ended meanwhile
        return None
