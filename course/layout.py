"""Where a medai deployment keeps its state: one data root, with a fixed layout under it.

    <root>/hub/        JupyterHub's database, cookie secret, tokens, first-use passwords
    <root>/course/     the nbgrader course directory (source/, release/, submitted/, ..., gradebook.db);
                       its selfchecks/ holds the self-check log, one file per student (the grader's only)
    <root>/exchange/   nbgrader's exchange (outbound, inbound, feedback)
    <root>/home/       users' home directories (one Unix account each in system mode)
    <root>/etc/        Jupyter configuration per role (student, instructor, grader)
    <root>/data/       built datasets, read-only for students
    <root>/storage/    filesystem images of the size-limited homes and exchange (root only; medai.hub.storage)
    <root>/roster.csv  the last imported roster (normalised)

Pure paths: which root, course directory and gradebook a deployment has are settings (MEDAI_ROOT,
MEDAI_COURSE_DIR, MEDAI_GRADEBOOK_URL), read with every other one by medai.settings (`Settings.layout`).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Layout:
    """Paths of one deployment, derived from its data root (no I/O)."""

    root: Path
    course_dir_override: Path | None = None
    gradebook_override: str | None = None  # a database URL, e.g. postgresql://grader@db/medai101

    @property
    def hub_dir(self) -> Path:
        return self.root / "hub"

    @property
    def course_dir(self) -> Path:
        return self.course_dir_override or self.root / "course"

    @property
    def selfcheck_dir(self) -> Path:
        """The self-check log (medai.progress.insight.selfcheck_log), beside the gradebook."""
        return self.course_dir / "selfchecks"

    @property
    def exchange_dir(self) -> Path:
        return self.root / "exchange"

    @property
    def home_dir(self) -> Path:
        return self.root / "home"

    @property
    def etc_dir(self) -> Path:
        return self.root / "etc"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def storage_dir(self) -> Path:
        return self.root / "storage"

    @property
    def roster_file(self) -> Path:
        return self.root / "roster.csv"

    @property
    def gradebook_url(self) -> str:
        return self.gradebook_override or f"sqlite:///{self.course_dir / 'gradebook.db'}"

    def role_config_dir(self, role: str) -> Path:
        """Jupyter config dir (JUPYTER_CONFIG_PATH) for servers of one role: student, instructor or grader."""
        return self.etc_dir / role
