"""`medai contest prepare`: build the task's table from the contest's private source, split it by the contest's
private seed and put each part where it belongs.

The training part (features and labels) goes under the students' data directory, readable by everyone; the
hidden test set goes under the course directory only: its inputs (features, which enter the sandbox) and its
labels with the public/private flag (which never do), both mode 0600 in a 0700 folder owned by the course
directory's owner. For a predictions-file contest the hidden inputs are also published (without labels).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from medai.course.model import Contest
from medai.errors import UserError
from medai.grader.contest.words import N_, ContestError
from medai.grader.contest.paths import ID, ContestPaths
from medai.grader.contest.tasks import GROUP, LABEL, SHAPE, task_table

PUBLIC = "public"


FEW_CASES = 30  # fewer positive labels than this in a part of the hidden set: its AUROC is mostly noise


@dataclass(frozen=True)
class Prepared:
    train_rows: int
    hidden_rows: int
    public_rows: int
    paths: ContestPaths
    cases: tuple[int, int] | None = None  # positive labels in the public and private parts (binary labels)

    def lines(self) -> list[str]:
        out = [f"training part: {self.train_rows} rows -> {self.paths.train}",
               f"hidden test set: {self.hidden_rows} rows ({self.public_rows} public) -> {self.paths.hidden_dir}"]
        if self.cases is not None:
            out.append(f"positive labels: {self.cases[0]} public, {self.cases[1]} private")
            if min(self.cases) < FEW_CASES:
                out.append(f"warning: fewer than {FEW_CASES} positive labels in a part; scores will be noisy (wide "
                           "intervals). Build a larger dataset, e.g. `medai datasets build omop-cohort --size 100000`.")
        return out


def contest_seed(contest: Contest, paths: ContestPaths, *, create: bool = False) -> int:
    """course.yaml's seed if it gives one (public: tests), else the private one kept in the course directory,
    drawn by the first `prepare`."""
    import secrets

    if contest.data.seed is not None:
        return contest.data.seed
    if paths.seed_file.is_file():
        return int(paths.seed_file.read_text().strip())
    if not create:
        raise ContestError(N_("the contest is not prepared yet"))
    seed = secrets.randbelow(2**62)
    fd = os.open(paths.seed_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(f"{seed}\n")
    return seed


def split(frame, contest: Contest, seed: int):
    """(train, hidden) frames; hidden has a boolean `public` column. Deterministic in the seed."""
    import numpy as np

    data = contest.data
    rng = np.random.default_rng(seed)
    if data.test_groups:
        wanted = {str(g) for g in data.test_groups}
        is_test = frame[GROUP].astype(str).isin(wanted).to_numpy()
    else:
        is_test = np.zeros(len(frame), bool)
        is_test[rng.permutation(len(frame))[: round(len(frame) * data.test_fraction)]] = True
    train, hidden = frame[~is_test].reset_index(drop=True), frame[is_test].reset_index(drop=True)
    public = np.zeros(len(hidden), bool)
    public[rng.permutation(len(hidden))[: round(len(hidden) * data.public_fraction)]] = True
    hidden[PUBLIC] = public
    return train, hidden


def _private_dir(path: Path, owner: tuple[int, int] | None) -> None:
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    if owner and os.geteuid() == 0:
        os.chown(path, *owner)


def _write(frame, path: Path, *, mode: int, owner: tuple[int, int] | None) -> None:
    tmp = path.with_name(path.name + ".tmp")
    frame.to_parquet(tmp, index=False)
    tmp.chmod(mode)
    if owner and os.geteuid() == 0:
        os.chown(tmp, *owner)
    os.replace(tmp, path)


def prepare(*, contest: Contest, paths: ContestPaths, force: bool = False) -> Prepared:
    """Build the task's table from the data directory and write both parts (replacing earlier ones). Once the
    contest has submissions a new split would make their scores incomparable: refused unless `force`."""
    from medai.grader.contest.store import Store

    if not force and paths.database.exists() and Store(paths.database).submissions():
        raise UserError(f"contest {contest.id!r} already has submissions scored on its hidden set; preparing it "
                        "again would change that set (pass --force to do it anyway)")
    st = paths.course_dir.stat()
    owner = (st.st_uid, st.st_gid)
    for folder in (paths.private, paths.hidden_dir, paths.source_dir):
        _private_dir(folder, owner)
    seed = contest_seed(contest, paths, create=True)
    frame = task_table(contest.data, paths.source_dir, seed)
    train, hidden = split(frame, contest, seed)
    inputs = hidden.drop(columns=[LABEL, PUBLIC])
    _write(inputs, paths.hidden_inputs, mode=0o600, owner=owner)
    _write(hidden[[ID, LABEL, PUBLIC, *([SHAPE] if SHAPE in hidden else [])]], paths.hidden_labels, mode=0o600,
           owner=owner)
    paths.public.mkdir(parents=True, exist_ok=True)
    for folder in (paths.public.parent, paths.public):
        folder.chmod(0o755)
    _write(train, paths.train, mode=0o644, owner=None)
    if contest.submission == "predictions":
        _write(inputs, paths.test_inputs, mode=0o644, owner=None)
    else:
        paths.test_inputs.unlink(missing_ok=True)
    binary = SHAPE not in hidden and set(hidden[LABEL].dropna().unique()) <= {0, 1}  # not masks
    cases = (int(hidden.loc[hidden[PUBLIC], LABEL].sum()), int(hidden.loc[~hidden[PUBLIC], LABEL].sum())) if binary else None
    return Prepared(train_rows=len(train), hidden_rows=len(hidden), public_rows=int(hidden[PUBLIC].sum()), paths=paths,
                    cases=cases)
