"""The My-course panel's deadline words, as the student's browser computes them (hub_config/labextension/src/
format.ts and dialogs.ts, compiled by the install into lib/; run here with node, JupyterLab's modules stubbed):
the due date in the course's zone as each language writes it, the countdown only in the last 72 hours, the late
policy in one line, and what the submit dialog says (late: the exact penalty and the cap; on time: when hidden
tests count), in English and through the Korean catalogue (JupyterLab's JSON, as the translator hands it to the
panel). The states and deadlines themselves come from the server (tests/test_my_course.py)."""
from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.conftest import REPO

EXTENSION = REPO / "hub_config" / "labextension"
LIB = EXTENSION / "lib"
BUILT = LIB / "format.js"
CATALOGUE = REPO / "hub_config" / "locale" / "ko_KR" / "LC_MESSAGES" / "medai_mycourse.json"

# a TranslationBundle as JupyterLab's Gettext gives it: the catalogue's text (or the msgid), %1.. filled in;
# _n's count is %1 (Korean has one plural form)
SCRIPT = r"""
import { Format } from './format.mjs';
import { submitSentences } from './dialogs.mjs';
const [catalogue, cases] = JSON.parse(process.argv[2]);
const fill = (text, args) => text.replace(/%(\d+)/g, (_, i) => String(args[i - 1]));
const bundle = {
  __: (msgid, ...args) => fill((catalogue[msgid] || [msgid])[0], args),
  _n: (one, many, n, ...args) => fill((catalogue[one] || [one, many])[n === 1 ? 0 : 1] ??
                                      catalogue[one][0], [n, ...args])
};
const out = cases.map(([lang, call, args]) => {
  const fmt = new Format(bundle, lang, 'Asia/Seoul', 0);
  if (call === 'zone') return fmt.zone;
  if (call === 'submitSentences') return submitSentences(args[0], fmt, args[1]);
  return fmt[call](...args);
});
console.log(JSON.stringify(out));
"""
# what dialogs.js imports besides format.js: only submitSentences is called, so nothing of these runs
STUBS = {"@jupyterlab/apputils": "export const Dialog = {}; export const showDialog = async () => ({});",
         "@lumino/widgets": "export class Widget {}",
         "./api": "export const errorSummary = () => '';",
         "./dom": "export const h = () => null;"}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    node = shutil.which("node")
    assert node, "node missing (the install builds the lab extension with it)"
    assert BUILT.is_file(), f"{BUILT} missing: scripts/install.sh builds the lab extension"
    work = tmp_path_factory.mktemp("format")
    (work / "format.mjs").write_text(BUILT.read_text(encoding="utf-8"), encoding="utf-8")
    dialogs = (LIB / "dialogs.js").read_text(encoding="utf-8")
    for i, (module, stub) in enumerate(STUBS.items()):
        (work / f"stub{i}.mjs").write_text(stub, encoding="utf-8")
        assert f"from '{module}'" in dialogs, module
        dialogs = dialogs.replace(f"from '{module}'", f"from './stub{i}.mjs'")
    dialogs = dialogs.replace("from './format'", "from './format.mjs'")  # if more than its type is imported
    (work / "dialogs.mjs").write_text(dialogs, encoding="utf-8")
    (work / "main.mjs").write_text(SCRIPT, encoding="utf-8")
    korean = {k: v for k, v in json.loads(CATALOGUE.read_text(encoding="utf-8")).items() if k}

    def run(*cases):
        """Each case (lang, call, *args) with lang "ko-KR" (the catalogue) or "en" (the msgids)."""
        out = []
        for lang, call, *args in cases:
            catalogue = korean if lang.startswith("ko") else {}
            done = subprocess.run([node, str(work / "main.mjs"), json.dumps([catalogue, [[lang, call, args]]])],
                                  capture_output=True, text=True, timeout=60, check=True)
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


def assignment(**changes) -> dict:
    """A row of the panel's payload (medai.progress.my_course), as the dialog reads it."""
    row = {"title": "Diagnostic metrics", "title_ko": "진단검사 지표", "due": "2026-11-23T14:59:00Z",
           "submitted_at": None, "days_late": 0,
           "late_policy": {"percent_per_day": 10, "cap_percent": 50, "grace_minutes": 0},
           "submit_now": {"late": False, "days_late": 0, "penalty_percent": 0},
           "hidden_tests": {"policy": "after-due", "present": True, "shown_from": "2026-11-24T00:00:00Z"}}
    row.update(changes)
    return row


def test_submitting_on_time_says_when_hidden_tests_count(run):
    en, ko = run(("en", "submitSentences", assignment(), True), ("ko-KR", "submitSentences", assignment(), False))
    assert en[0].startswith("Your deadline is ") and "23:59 KST" in en[0]
    assert en[1].startswith("Hidden tests are graded now and their results appear in your feedback after ")
    assert "09:00 KST" in en[1]  # shown_from, in the course's zone
    assert en[2] == "Grading starts when you submit; this panel shows the result when it is ready."
    assert ko[1].startswith("숨겨진 테스트도 지금 채점되지만") and "2026년 11월 24일" in ko[1] and len(ko) == 2
    never, = run(("en", "submitSentences", assignment(hidden_tests={"policy": "never", "present": True}), False))
    assert never[1] == "Hidden tests are graded now; their results are never shown."
    none, = run(("en", "submitSentences", assignment(hidden_tests={"policy": "after-due", "present": False}), False))
    assert len(none) == 1  # no hidden tests in this assignment: nothing to say about them


def test_submitting_late_says_the_exact_penalty_and_the_cap(run):
    three = assignment(submit_now={"late": True, "days_late": 3, "penalty_percent": 30})
    capped = assignment(submit_now={"late": True, "days_late": 9, "penalty_percent": 50})
    en, ko, cap = run(("en", "submitSentences", three, False), ("ko-KR", "submitSentences", three, False),
                      ("en", "submitSentences", capped, False))
    assert en[0].startswith("3 days after your deadline (") and en[0].endswith("the late policy takes 30% of your score.")
    assert ko[0].startswith("마감(") and "3일 지났습니다" in ko[0] and "30%만큼 감점됩니다" in ko[0]
    assert cap[1] == "That is the cap: the late policy never takes more than 50%."
    one, = run(("en", "submitSentences", assignment(submit_now={"late": True, "days_late": 1, "penalty_percent": 10}),
                False))
    assert one[0].startswith("1 day after your deadline")
