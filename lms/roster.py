"""The course's members from the LMS (NRPS) as a roster CSV, for the CSV import to validate whole and apply
(medai.hub.roster_sync.import_roster: any bad line and nothing is applied).

- role: Learner -> student, Instructor -> instructor, `MEDAI_LTI_STAFF_ROLE` -> staff; other roles (a
  teaching assistant, an observer) are left out and reported;
- id: the roster person the member already is (matched by `MEDAI_LTI_USER_KEY`), else the key's value when it
  is a roster id (a custom field, the SIS id), else the e-mail's local part;
- track and cohort: the member's custom fields (`track`, `cohort`: `MEDAI_LTI_TRACK_FIELD` names the first), else
  as on the existing roster; a student with neither is a bad line, reported, and nothing is applied;
- name and e-mail: the LMS's; lang: as on the existing roster (Korean for new people).
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from medai.course.load import Problem
from medai.course.roster import OPTIONAL_COLUMNS, REQUIRED_COLUMNS, Roster, RosterError
from .nrps import LIS, custom_fields, member_key, person_key, roles
from .text import lms_text

COLUMNS = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)


@dataclass
class LmsRoster:
    csv_text: str
    left_out: list[str] = field(default_factory=list)  # "name <email> (roles)"
    from_roster: list[str] = field(default_factory=list)  # students whose track/cohort came from the old roster
    missing_track: list[str] = field(default_factory=list)

    def explain(self, err: RosterError, lang: str | None = None) -> RosterError:
        """The import's refusal with each bad line named by the member it came from (the CSV was temporary)."""
        source = lms_text(lang).gettext("LMS members")
        rows = list(csv.reader(io.StringIO(self.csv_text)))
        out = []
        for p in err.problems:
            where = p.location
            if where.startswith("line "):
                n = int(where.split(",")[0].removeprefix("line "))
                if 1 < n <= len(rows):
                    where = f"{rows[n - 1][0]} <{rows[n - 1][2]}>{where[len(f'line {n}'):]}"
            out.append(Problem(source, where, p.message))
        return RosterError(out)

    def lines(self, lang: str | None = None) -> list[str]:
        t = lms_text(lang)
        out = [t.gettext("from the LMS: {n} members").format(n=self.csv_text.count("\n") - 1)]
        if self.left_out:
            out.append(t.gettext("left out (no medai role): {names}").format(names="; ".join(self.left_out)))
        if self.from_roster:
            out.append(t.gettext("track and cohort kept from the roster: {ids}").format(ids=", ".join(self.from_roster)))
        if self.missing_track:
            out.append(t.gettext("no track in the LMS nor on the roster: {ids}").format(ids=", ".join(self.missing_track)))
        return out


def role_of(member: dict, *, staff_role: str) -> str | None:
    have = roles(member)
    if staff_role in have or staff_role.removeprefix(LIS) in have:
        return "staff"
    if "Instructor" in have:
        return "instructor"
    if "Learner" in have:
        return "student"
    return None


def roster_csv(members: list[dict], *, existing: Roster | None, user_key: str, staff_role: str,
               track_field: str = "track") -> LmsRoster:
    known = {person_key(p, user_key): p for p in (existing.people if existing else [])}
    buf = io.StringIO(newline="")
    out = csv.writer(buf, lineterminator="\n")
    out.writerow(COLUMNS)
    result = LmsRoster("")
    for m in sorted(members, key=lambda m: (str(m.get("email", "")), str(m["user_id"]))):
        role = role_of(m, staff_role=staff_role)
        label = f"{m.get('name', '')} <{m.get('email', '')}>"
        if role is None:
            result.left_out.append(f"{label} ({', '.join(sorted(r.removeprefix(LIS) for r in m.get('roles', [])))})")
            continue
        key = member_key(m, user_key)
        old = known.get(key) if key else None
        if old is not None:
            pid = old.id
        elif key and user_key != "email":
            pid = key
        else:
            pid = str(m.get("email", "")).split("@")[0].lower()
        custom = custom_fields(m)
        track = cohort = ""
        if role == "student":
            track = str(custom.get(track_field) or "")
            cohort = str(custom.get("cohort") or "")
            if (not track or not cohort) and old is not None and old.role == "student":
                track, cohort = track or (old.track or ""), cohort or (old.cohort or "")
                result.from_roster.append(pid)
            if not track:
                result.missing_track.append(pid)
        name = m.get("name") or " ".join(x for x in (m.get("family_name"), m.get("given_name")) if x) or pid
        out.writerow([pid, name, m.get("email", ""), role, track, cohort, old.lang if old else "ko"])
    result.csv_text = buf.getvalue()
    return result
