"""Build a deployment's data root from the course and roster: directories with the right owners and modes,
Unix accounts, each role's Jupyter configuration, the assignments' nbgrader sources, the CLI's hub token.

Idempotent: `medai up` runs it at every start; nothing that exists is lost (users' homes, the gradebook,
submissions, sources an instructor edited).
"""
from __future__ import annotations

import filecmp
import os
import secrets
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from medai.course import Course, Roster
from medai.course.layout import Layout
from medai.hub import accounts
from medai.hub.apply import GRADER_ACCOUNT
from medai.hub.jupyter_files import write_lab_overrides, write_role_configs
from medai.hub.storage import image_path, limit_directory, parse_size
from medai.settings import Settings


@dataclass
class PrepareReport:
    """What preparing the data root did, for the person watching `medai up`."""

    created_accounts: list[str] = field(default_factory=list)
    moved_homes: list[str] = field(default_factory=list)  # existing accounts whose home now is in this data root
    copied_sources: list[str] = field(default_factory=list)
    kept_sources: list[str] = field(default_factory=list)  # differ from assignments/: an instructor's edits win
    storage_warnings: list[str] = field(default_factory=list)  # directories left without a size limit

    def lines(self) -> list[str]:
        out = []
        if self.created_accounts:
            out.append(f"created Unix accounts: {', '.join(self.created_accounts)}")
        if self.moved_homes:
            out.append(f"home moved into this data root (old files left where they were): {', '.join(self.moved_homes)}")
        if self.copied_sources:
            out.append(f"copied assignment sources: {', '.join(self.copied_sources)}")
        for name in self.kept_sources:
            out.append(f"kept source/{name}: it differs from assignments/{name} (edited in the course directory)")
        out += [f"WARNING: {w}" for w in self.storage_warnings]
        return out


def _mkdir(path: Path, mode: int, uid: int = -1, gid: int = -1) -> None:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        os.chown(path, uid, gid)
    path.chmod(mode)


def _chown_tree(path: Path, uid: int, gid: int) -> None:
    if os.geteuid() != 0:
        return
    for dirpath, dirnames, filenames in os.walk(path):
        os.chown(dirpath, uid, gid)
        for name in filenames:
            os.chown(os.path.join(dirpath, name), uid, gid, follow_symlinks=False)


def cli_token(layout: Layout) -> str:
    """The hub API token of medai's own commands (service medai-cli), created once, readable by root only."""
    path = layout.hub_dir / "cli-token"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(secrets.token_hex(32))
        tmp.chmod(0o600)
        tmp.replace(path)
    return path.read_text().strip()


def ensure_people(*, roster: Roster, layout: Layout, system: bool, moved: list[str] | None = None) -> list[str]:
    """One Unix account per roster person (system mode only), its home <root>/home/<id>; returns the names
    created. An existing account with its home elsewhere gets this one (appended to `moved`) or, while it runs
    a process, stops everything with accounts.HomeElsewhere before any account is touched."""
    if not system:
        return []
    import pwd

    created, existing = [], []
    for person in roster.people:
        try:
            existing.append((pwd.getpwnam(person.id), layout.home_dir / person.id))
        except KeyError:
            created.append(person.id)
    for entry, home in existing:  # refuse before changing anything
        accounts.refuse_system_account(entry)
        if Path(entry.pw_dir) != home and accounts.processes_of(entry.pw_uid):
            accounts.rehome(entry, home)  # raises HomeElsewhere, naming the account, its home and this one
    for person in roster.people:
        accounts.ensure_account(person.id, home=layout.home_dir / person.id, moved=moved)
    return created


def limit_storage(*, roster: Roster, settings: Settings, system: bool) -> list[str]:
    """The exchange and each roster person's home become size-limited filesystems of their own
    (medai.hub.storage; settings.exchange_limit, settings.home_limit). Returns warnings for what stays unlimited."""
    layout = settings.layout
    if not system:
        return ["storage limits are NOT enforced: homes and the exchange share the hub's disk (not root)"]
    import pwd

    warnings = []
    size = parse_size(settings.exchange_limit)
    if size:
        warnings.append(limit_directory(layout.exchange_dir, image=image_path(layout, "exchange"), size=size,
                                        mode=0o1777))
    size = parse_size(settings.home_limit)
    for person in roster.people if size else ():
        entry = pwd.getpwnam(person.id)
        warnings.append(limit_directory(layout.home_dir / person.id, image=image_path(layout, person.id),
                                        size=size, uid=entry.pw_uid, gid=entry.pw_gid, mode=0o700))
    return [w for w in warnings if w]


def sync_sources(*, course: Course, layout: Layout, report: PrepareReport) -> None:
    """Copy assignments/<id> into <course>/source/<id> where missing; never overwrite a source that differs."""
    for item in course.assignments:
        src = course.resolved_assignments_dir / item.id
        dest = layout.course_dir / "source" / item.id
        if not dest.exists():
            shutil.copytree(src, dest, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
            report.copied_sources.append(item.id)
        elif _differs(src, dest):
            report.kept_sources.append(item.id)


def _differs(a: Path, b: Path) -> bool:
    cmp = filecmp.dircmp(a, b, ignore=[".ipynb_checkpoints", "__pycache__"])
    return bool(cmp.left_only or cmp.diff_files or cmp.funny_files) or any(
        _differs(a / sub, b / sub) for sub in cmp.common_dirs)


def prepare(*, course: Course, roster: Roster, settings: Settings, system: bool) -> PrepareReport:
    """Create or repair the whole data root of `settings`. `system`: real Unix accounts (root), else one account."""
    layout = settings.layout
    report = PrepareReport()
    uid = gid = -1
    graders_gid = -1
    if system:
        grader = accounts.ensure_grader(home=layout.home_dir / GRADER_ACCOUNT, name=GRADER_ACCOUNT)
        uid, gid = grader.pw_uid, grader.pw_gid
        graders_gid = accounts.group_id(accounts.GRADERS_GROUP)
    _mkdir(layout.root, 0o755)
    _mkdir(layout.hub_dir, 0o700)
    _mkdir(layout.home_dir, 0o711)  # users reach their own home; nobody lists the others
    _mkdir(layout.etc_dir, 0o755)
    _mkdir(layout.data_dir, 0o755)
    # the course directory: the grader's alone (sources with solutions, hidden tests, the gradebook)
    _mkdir(layout.course_dir, 0o700, uid, gid)
    report.created_accounts = ensure_people(roster=roster, layout=layout, system=system, moved=report.moved_homes)
    # the exchange and every home on a size-limited filesystem of its own, away from the hub's and gradebook's
    report.storage_warnings = limit_storage(roster=roster, settings=settings, system=system)
    # nbgrader's exchange: the root sticky and world-writable as nbgrader requires; the course's inbound is
    # write-only for students and setgid to the graders, so submissions are private (medai.nbgrader_adapter.submit)
    exchange = layout.exchange_dir / course.course.id
    _mkdir(layout.exchange_dir, 0o1777)
    _mkdir(exchange, 0o755, uid, gid)
    _mkdir(exchange / "outbound", 0o755, uid, gid)
    _mkdir(exchange / "inbound", 0o2733, uid, graders_gid)
    _mkdir(exchange / "feedback", 0o711, uid, gid)
    write_role_configs(course=course, layout=layout)
    write_lab_overrides(Path(sys.prefix))
    sync_sources(course=course, layout=layout, report=report)
    _chown_tree(layout.course_dir, uid, gid)
    cli_token(layout)
    return report


def load_saved_roster(layout: Layout, course: Course) -> Roster:
    """The roster last imported into this data root (empty when none was: then nobody can log in)."""
    from medai.course import parse_roster

    if not layout.roster_file.exists():
        return Roster(people=[])
    return parse_roster(layout.roster_file, course=course)
