"""`medai roster import`: validate a roster CSV whole, then make accounts, the gradebook and the running hub
agree with it. A roster with any bad line is rejected before anything is applied; every step is idempotent.
"""
from __future__ import annotations

import grp
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from medai.course import Course, Roster, parse_roster
from medai.course.layout import Layout
from medai.course.names import split_for_nbgrader
from medai.hub.accounts import GRADERS_GROUP
from medai.hub.apply import hub_groups
from medai.hub.hub_api import HubAPI
from medai.hub.runtime import prepare
from medai.privileges import run_as_owner_of
from medai.settings import Settings

@dataclass
class ImportReport:
    people: int = 0
    created_accounts: list[str] = field(default_factory=list)
    moved_homes: list[str] = field(default_factory=list)
    gradebook_students: int = 0
    hub: str = ""
    added_users: list[str] = field(default_factory=list)
    removed_users: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"roster: {self.people} people"]
        if self.created_accounts:
            out.append(f"created Unix accounts: {', '.join(self.created_accounts)}")
        if self.moved_homes:
            out.append(f"home moved into this data root (old files left where they were): {', '.join(self.moved_homes)}")
        out.append(f"gradebook: {self.gradebook_students} students")
        out.append(f"hub: {self.hub}")
        if self.added_users:
            out.append(f"hub users added: {', '.join(self.added_users)}")
        if self.removed_users:
            out.append(f"hub users removed (files and grades kept): {', '.join(self.removed_users)}")
        return out


def _sync_gradebook(layout: Layout, students: list[tuple[str, str, str, str]]) -> int:
    from medai.nbgrader_adapter.gradebook import gradebook

    with gradebook(layout.gradebook_url) as gb:
        for sid, first, last, email in students:
            gb.update_or_create_student(sid, first_name=first, last_name=last, email=email)
        return len(gb.students)


def sync_gradebook(*, roster: Roster, layout: Layout) -> int:
    """Create or update one gradebook student per roster student (nobody is deleted: grades are kept). The name
    is stored whole, as the roster writes it (medai.course.names.split_for_nbgrader)."""
    rows = [(p.id, *split_for_nbgrader(p.name), p.email) for p in roster.by_role("student")]
    return run_as_owner_of(layout.course_dir, _sync_gradebook, layout, rows)


def sync_hub(*, api: HubAPI, course: Course, roster: Roster, report: ImportReport) -> None:
    """Make the hub's users and medai's groups equal to the roster."""
    wanted = {p.id for p in roster.people}
    existing = api.users()
    report.added_users = sorted(wanted - existing)
    api.add_users(report.added_users)
    groups = api.groups()
    for name, members in hub_groups(course, roster).items():
        if name not in groups:
            api.create_group(name)
        have = groups.get(name, set())
        api.add_to_group(name, set(members) - have)
        api.remove_from_group(name, have - set(members))
    # people no longer on the roster: their hub user goes (JupyterHub also drops them from allowed_users)
    managed = {m for name in hub_groups(course, roster) for m in groups.get(name, set())}
    for name in sorted((managed & existing) - wanted):
        api.delete_user(name)
        report.removed_users.append(name)


def save_roster(src: Path, layout: Layout) -> None:
    """Keep the imported file as <root>/roster.csv (atomic: the old one stays until the new one is whole).

    Mode 0600, or 0640 with group medai-graders when that group exists: the staff progress page runs as the
    grader account and needs each student's track and cohort (the gradebook it owns already has their names)."""
    tmp = layout.roster_file.with_suffix(".csv.tmp")
    shutil.copyfile(src, tmp)
    tmp.chmod(0o600)
    if os.geteuid() == 0:
        try:
            os.chown(tmp, -1, grp.getgrnam(GRADERS_GROUP).gr_gid)
            tmp.chmod(0o640)
        except KeyError:
            pass
    tmp.replace(layout.roster_file)


def import_roster(*, path: str | Path, course: Course, settings: Settings, system: bool) -> ImportReport:
    roster = parse_roster(path, course=course)  # raises RosterError listing every bad line: nothing applied
    layout = settings.layout
    report = ImportReport(people=len(roster.people))
    prepared = prepare(course=course, roster=roster, settings=settings, system=system)
    report.created_accounts, report.moved_homes = prepared.created_accounts, prepared.moved_homes
    report.gradebook_students = sync_gradebook(roster=roster, layout=layout)
    save_roster(Path(path), layout)
    api = HubAPI.for_layout(layout)
    if api is not None and api.alive():
        sync_hub(api=api, course=course, roster=roster, report=report)
        report.hub = f"synchronised at {api.url}"
    else:
        report.hub = "not running: users and groups are loaded at its next start"
    return report
