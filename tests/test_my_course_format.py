"""The My-course panel's deadline words, as the student's browser computes them (hub_config/labextension/src/
format.ts, compiled by the install into lib/format.js; run here with node): the due date in the course's zone
as each language writes it, the countdown only in the last 72 hours, and the late policy in one line, in English
and through the Korean catalogue (JupyterLab's JSON, as the translator hands it to the panel). The states and
deadlines themselves come from the server (tests/test_my_course.py)."""
from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.conftest import REPO

EXTENSION = REPO / "hub_config" / "labextension"
BUILT = EXTENSION / "lib" / "format.js"
CATALOGUE = REPO / "hub_config" / "locale" / "ko_KR" / "LC_MESSAGES" / "medai_mycourse.json"

# a TranslationBundle as JupyterLab's Gettext gives it: the catalogue's text (or the msgid), %1.. filled in
SCRIPT = r"""
import { Format } from './format.mjs';
const [catalogue, cases] = JSON.parse(process.argv[2]);
const bundle = {
  __: (msgid, ...args) => ((catalogue[msgid] || [msgid])[0]).replace(/%(\d+)/g, (_, i) => String(args[i - 1]))
};
const out = cases.map(([lang, zone, skew, call, args]) => {
  const fmt = new Format(bundle, lang, zone, skew);
  return call === 'zone' ? fmt.zone : fmt[call](...args);
});
console.log(JSON.stringify(out));
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    node = shutil.which("node")
    assert node, "node missing (the install builds the lab extension with it)"
    assert BUILT.is_file(), f"{BUILT} missing: scripts/install.sh builds the lab extension"
    work = tmp_path_factory.mktemp("format")
    (work / "format.mjs").write_text(BUILT.read_text(encoding="utf-8"), encoding="utf-8")
    (work / "main.mjs").write_text(SCRIPT, encoding="utf-8")
    korean = {k: v for k, v in json.loads(CATALOGUE.read_text(encoding="utf-8")).items() if k}

    def run(*cases):
        """Each case (lang, call, *args) with lang "ko-KR" (the catalogue) or "en" (the msgids)."""
        out = []
        for lang, call, *args in cases:
            catalogue = korean if lang.startswith("ko") else {}
            done = subprocess.run([node, str(work / "main.mjs"), json.dumps([catalogue, [
                [lang, "Asia/Seoul", 0, call, args]]])], capture_output=True, text=True, timeout=60, check=True)
            out.append(json.loads(done.stdout)[0])
        return out

    return run


def in_hours(hours: float) -> str:
    from datetime import datetime, timedelta, timezone

    return (datetime.now(timezone.utc) + timedelta(hours=hours, seconds=30)).isoformat()


def test_the_deadline_in_the_courses_zone_as_each_language_writes_it(run):
    ko, en, zone = run(("ko-KR", "date", "2026-11-23T14:59:00Z"), ("en", "date", "2026-11-23T14:59:00Z"),
                       ("ko-KR", "zone"))
    assert "2026년 11월 23일" in ko and ko.endswith("23:59 KST")  # Seoul's evening, not the UTC afternoon
    assert "Nov 23, 2026" in en and en.endswith("23:59 KST")
    assert zone == "KST"
    assert run(("en", "date", None)) == ["—"]


def test_a_countdown_only_in_the_last_72_hours(run):
    far, near_ko, near_en, hours, minutes, past = run(
        ("en", "countdown", in_hours(73)), ("ko-KR", "countdown", in_hours(53)), ("en", "countdown", in_hours(53)),
        ("en", "countdown", in_hours(5.5)), ("en", "countdown", in_hours(0.25)), ("en", "countdown", in_hours(-1)))
    assert far is None and past is None  # not yet near, or over (the row says late)
    assert near_ko == "2일 5시간 남음" and near_en == "2 d 5 h left"
    assert hours == "5 h 30 min left" and minutes == "15 min left"


def test_the_late_policy_in_one_line(run):
    policies = [{"percent_per_day": 10, "cap_percent": 50, "grace_minutes": 15},
                {"percent_per_day": 10, "cap_percent": None, "grace_minutes": 0},
                {"percent_per_day": 0, "cap_percent": None, "grace_minutes": 0}]
    en = run(*[("en", "latePolicy", p) for p in policies])
    assert en == ["Late work: 10% off per day late, at most 50%, after 15 minutes of grace",
                  "Late work: 10% off per day late", "Late work: no penalty"]
    ko = run(*[("ko-KR", "latePolicy", p) for p in policies])
    assert ko == ["지각 제출: 15분 유예 후 하루에 10%씩 감점, 최대 50%", "지각 제출: 하루에 10%씩 감점",
                  "지각 제출: 감점 없음"]
