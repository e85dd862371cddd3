"""A deployment-shaped contest for the tests: a data root under /tmp (the sandbox covers /root and /home), a
course directory owned by a grader account and closed to others, a seeded table in the contest's private source
folder (two sites for training, a third hidden), the shipped course.yaml with a test contest in place of its own,
and a roster."""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import yaml

from medai.course import load_course, parse_roster
from medai.course.layout import Layout
from medai.grader.contest.paths import ContestPaths
from tests.conftest import COURSE_YAML

CONTEST = "risk"
ROSTER = """id,name,email,role,track,cohort
med01,김민준,med01@x.ac.kr,student,medicine,2026
med02,이서연,med02@x.ac.kr,student,medicine,2026
med03,박지호,med03@x.ac.kr,student,medicine,2026
eng01,최하은,eng01@x.ac.kr,student,engineering,2026
eng02,정도윤,eng02@x.ac.kr,student,engineering,2026
eng03,강서윤,eng03@x.ac.kr,student,engineering,2026
med04,윤하준,med04@x.ac.kr,student,medicine,2026
prof1,한교수,prof1@x.ac.kr,instructor,,
"""
# the development phase is open from an hour ago for ten days; the final one follows for a day
NOW = datetime.now(timezone.utc).replace(microsecond=0)
DEV_START, DEV_END = NOW - timedelta(hours=1), NOW + timedelta(days=10)
FINAL_END = DEV_END + timedelta(days=1)
AFTER_FINAL = FINAL_END + timedelta(hours=1)


def toy_table(n: int = 600, seed: int = 7) -> pd.DataFrame:
    """Sites 1-3; the label depends on x1 and x2 (logistic); site 3's x1 is shifted."""
    rng = np.random.default_rng(seed)
    group = rng.integers(1, 4, n)
    x = rng.normal(size=(n, 4))
    logit = 1.8 * x[:, 0] - 1.2 * x[:, 1] + 0.3 * x[:, 2] - 0.5
    label = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    x[:, 0] += np.where(group == 3, 0.3, 0.0)
    return pd.DataFrame({"id": [f"p{i:04d}" for i in range(n)], "site": group, "x1": x[:, 0], "x2": x[:, 1],
                         "x3": x[:, 2], "x4": x[:, 3], "outcome": label})


def contest_yaml(**changes) -> dict:
    iso = lambda d: d.isoformat()  # noqa: E731
    data = {
        "id": CONTEST, "title": "Toy risk", "title_ko": "연습 위험 예측",
        "description": "Predict the outcome.", "description_ko": "결과를 예측합니다.",
        "data": {"task": "table", "table": "table.parquet", "label": "outcome", "group": "site",
                 "seed": 11, "test_groups": [3], "public_fraction": 0.5},
        "metric": "auroc", "submission": "notebook",
        "phases": [{"id": "development", "title": "Development", "title_ko": "개발", "starts": iso(DEV_START),
                    "ends": iso(DEV_END)},
                   {"id": "final", "title": "Final", "title_ko": "최종", "starts": iso(DEV_END), "ends": iso(FINAL_END)}],
        "teams": {"formed_by_students": True, "max_size": 2, "mix_tracks": True,
                  "fixed": [{"id": "fixed-team", "members": ["med03", "eng03"]}]},
        "daily_cap": 3, "final_choices": 2, "timeout_seconds": 120, "bootstrap_resamples": 100,
    }
    data.update(changes)
    return data


def course_data(contests: list[dict]) -> dict:
    data = yaml.safe_load(COURSE_YAML.read_text(encoding="utf-8"))
    data["course"]["assignments_dir"] = str(COURSE_YAML.parent.parent / "assignments")
    data["contests"] = contests
    return data


@dataclass
class Deployment:
    base: Path
    layout: Layout
    course_file: Path
    paths: ContestPaths

    @property
    def course(self):
        return load_course(self.course_file)

    @property
    def roster(self):
        return parse_roster(self.layout.roster_file, course=self.course)

    def remove(self) -> None:
        shutil.rmtree(self.base, ignore_errors=True)


def deployment(*, contest: dict | None = None, owner: tuple[int, int] | None = None) -> Deployment:
    base = Path(tempfile.mkdtemp(prefix="medai-contest-", dir="/tmp"))
    base.chmod(0o755)
    layout = Layout(root=base / "root")
    for d in (layout.root, layout.course_dir, layout.data_dir):
        d.mkdir(parents=True, exist_ok=True)
    layout.root.chmod(0o755)
    layout.data_dir.chmod(0o755)
    layout.course_dir.chmod(0o700)
    if owner:
        os.chown(layout.course_dir, *owner)
    paths = ContestPaths.of(layout, CONTEST)
    for folder in (paths.private.parent, paths.private, paths.source_dir):  # the task's table: course directory only
        folder.mkdir(mode=0o700, exist_ok=True)
        if owner:
            os.chown(folder, *owner)
    toy_table().to_parquet(paths.source_dir / "table.parquet", index=False)
    layout.roster_file.write_text(ROSTER, encoding="utf-8")
    course_file = base / "course.yaml"
    course_file.write_text(yaml.safe_dump(course_data([contest or contest_yaml()]), allow_unicode=True,
                                          sort_keys=False), encoding="utf-8")
    return Deployment(base, layout, course_file, paths)


FEATURES = ["x1", "x2", "x3", "x4"]


def notebook(*cells: str) -> bytes:
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    return nbformat.writes(nb).encode()


def good_notebook(train: Path) -> bytes:
    return notebook(f"""import pandas as pd
from sklearn.linear_model import LogisticRegression
train = pd.read_parquet({str(train)!r})
model = LogisticRegression().fit(train[{FEATURES!r}], train['label'])""",
                    f"def predict(inputs):\n    return model.predict_proba(inputs[{FEATURES!r}])[:, 1]")


def baseline_notebook(train: Path) -> bytes:
    """Only x3 and x4 (x4 is noise): better than chance, worse than the good model."""
    return notebook(f"""import pandas as pd
from sklearn.linear_model import LogisticRegression
train = pd.read_parquet({str(train)!r})
model = LogisticRegression().fit(train[['x3', 'x4']], train['label'])""",
                    "def predict(inputs):\n    return model.predict_proba(inputs[['x3', 'x4']])[:, 1]")


def crashing_notebook() -> bytes:
    return notebook("def predict(inputs):\n    raise RuntimeError('secret row: ' + inputs.to_csv())")


def prepared_with_two_teams(d: Deployment) -> None:
    """The contest prepared and its record holding course.yaml's teams plus alpha (med01, eng01) and beta
    (med02, eng02), each mixing the two tracks."""
    from medai.grader.contest import teams
    from medai.grader.contest.prepare import prepare
    from medai.grader.contest.store import Store

    contest = d.course.contest(CONTEST)
    prepare(contest=contest, paths=d.paths)
    store, students = Store(d.paths.database), teams.Students.of(d.roster)
    teams.sync_fixed(contest, store, students)
    for first, second, team in (("med01", "eng01", "alpha"), ("med02", "eng02", "beta")):
        teams.create_team(contest, store, students, student=first, team=team)
        teams.join_team(contest, store, students, student=second, team=team)
