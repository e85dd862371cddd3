"""A team submits from My course, in chromium against a real hub (`medai up`, its `contest` service, the
students' own servers): the shipped contest (mi-1y, on a smaller cohort so that it prepares quickly) has a team
of a medicine and an engineering student. The medicine student types the path of the baseline notebook in their
home into the Contests section and submits; the section says it is running, and, without a reload, shows the
public score the contest's record holds (run in the grading sandbox, scored outside it) and one submission fewer
left today. Their classmate in no team sees why they cannot submit."""
from __future__ import annotations

import os
import shutil
from datetime import datetime, timezone

import pytest
import yaml
from playwright.sync_api import expect

from medai.course import load_course
from medai.course.layout import Layout
from medai.grader.contest.paths import ContestPaths
from medai.grader.contest.store import Store
from tests import browser as web
from tests.conftest import COURSE_YAML
from tests.deployment import Deployment
from tests.test_browser_e2e import ARTIFACTS
from tests.test_my_course_browser import first_login

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="users' servers and the sandbox run as their own accounts: needs root"),
]
CONTEST = "mi-1y"
SCORING_MS = 600_000  # the sandbox: a kernel, pandas and scikit-learn on a loaded machine


def small_course(folder) -> str:
    """The shipped course.yaml with the contest's cohort smaller (its task, metric, phases and teams as shipped)."""
    data = yaml.safe_load(COURSE_YAML.read_text(encoding="utf-8"))
    data["course"]["assignments_dir"] = str(COURSE_YAML.parent.parent / "assignments")
    (contest,) = [c for c in data["contests"] if c["id"] == CONTEST]
    contest["data"].update(persons=10_000, seed=5)  # a public seed: this is a test
    path = folder / "course.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return str(path)


@pytest.fixture(scope="module")
def hub():
    assert web.chromium_available(), f"{web.CHROMIUM} missing: scripts/test.sh installs it (apt-get install chromium)"
    contest = load_course(COURSE_YAML).contest(CONTEST)
    now = datetime.now(timezone.utc)
    if not any(ph.starts <= now < ph.ends for ph in contest.phases):
        pytest.skip(f"the shipped contest {CONTEST} has no phase open today (course.yaml's dates)")
    d = Deployment()
    # in the data root (0755): the services run as their own accounts and read it (pytest's tmp is root's alone)
    course_file = d.env["MEDAI_COURSE"] = small_course(d.root)
    try:
        d.medai("roster", "import", str(d.roster_csv()))
        d.start(timeout=300)
        d.medai("contest", "prepare", CONTEST, timeout=600)
        d.medai("contest", "team-create", CONTEST, "--student", d.ids["med1"], "heartbeat")
        d.medai("contest", "team-join", CONTEST, "--student", d.ids["eng1"], "heartbeat")
        yield d, load_course(course_file)
    finally:
        d.cleanup()


def into_home(hub: Deployment, student: str, source, relative: str) -> None:
    """A file in the student's home, theirs, as if they had saved it there."""
    home = hub.root / "home" / student
    target = home / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    owner = home.stat()
    for p in (target.parent, target):
        os.chown(p, owner.st_uid, owner.st_gid)


def test_a_team_submits_from_my_course_and_the_public_score_arrives(hub):
    d, course = hub
    contest = course.contest(CONTEST)
    phase = next(ph for ph in contest.phases if ph.starts <= datetime.now(timezone.utc) < ph.ends)
    record = Store(ContestPaths.of(Layout(root=d.root), CONTEST).database)
    with web.Browser(d.url, ARTIFACTS / "my-course-contest") as browser:
        med, panel = first_login(browser, d, "med1", "medicine")
        into_home(d, d.ids["med1"], course.resolved_assignments_dir / contest.baseline, "contest/baseline.ipynb")
        card = panel.locator(f'[data-section="contests"] [data-contest="{CONTEST}"]')
        expect(card).to_contain_text(contest.title_ko)
        expect(card.locator(f'[data-phase="{phase.id}"]')).to_contain_text(phase.title_ko)
        expect(card.locator('[data-team="heartbeat"]')).to_contain_text(d.ids["eng1"])
        expect(card.locator("[data-left]")).to_have_attribute("data-left", str(contest.daily_cap))

        card.locator(f'[data-contest-path="{CONTEST}"]').fill("contest/nothing-here.ipynb")
        card.locator('[data-action="contest-submit"]').click()
        expect(card.locator('[data-contest-status="refused"]')).to_contain_text("홈 폴더에 contest/nothing-here.ipynb")
        assert record.submissions() == []

        card.locator(f'[data-contest-path="{CONTEST}"]').fill("contest/baseline.ipynb")
        card.locator('[data-action="contest-submit"]').click()
        expect(card.locator('[data-contest-status="running"]')).to_be_visible()
        med.shot("my-course-contest-running")
        scored = card.locator('[data-contest-status="scored"]')
        expect(scored).to_be_visible(timeout=SCORING_MS)  # polled: nobody reloads
        (row,) = record.submissions("heartbeat")
        assert row.student == d.ids["med1"] and row.status == "scored", (row.summary, row.reason)
        assert float(scored.get_attribute("data-public")) == pytest.approx(row.public)
        expect(scored).to_contain_text(f"{row.public:.4f}")
        expect(card.locator("[data-left]")).to_have_attribute("data-left", str(contest.daily_cap - 1))
        expect(card.locator(f'[data-submission="{row.id}"]')).to_contain_text(f"{row.public:.4f}")
        med.shot("my-course-contest-scored")

        loner, loner_panel = first_login(browser, d, "med2", "medicine-2")  # in no team
        card = loner_panel.locator(f'[data-contest="{CONTEST}"]')
        expect(card.locator('[data-team=""]')).to_contain_text("경진대회 페이지")
        expect(card.locator('[data-action="contest-submit"]')).to_be_disabled()
        assert record.submissions() == [row]
        # the one refusal asked for (a file not in the home: 400) is the only error the console shows
        errors = [e for e in browser.errors if not ("medai/contests/" in e and "400" in e)]
        assert not errors, "\n".join(errors)
