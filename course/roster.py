"""Roster CSV -> `Roster`: who is in the course, in which role and track. Pure: it applies nothing.

The CSV has a header row with at least the columns id, name, email, role, track, cohort (any
order, case-insensitive), and optionally lang (ko or en, default ko); other columns are ignored. It must be UTF-8, with or without the BOM that
Excel's "CSV UTF-8" format writes. Line numbers in problems count the header as line 1.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from .load import Problem, ProblemsError, error_message
from .model import LOGIN_PATTERN, ROLE_GROUPS, Course

REQUIRED_COLUMNS = ("id", "name", "email", "role", "track", "cohort")
OPTIONAL_COLUMNS = ("lang",)  # lang: ko (default) or en, the language a person first sees medai in
Role = Literal["student", "instructor", "staff"]
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


class RosterError(ProblemsError):
    """The roster file is unreadable or has bad lines; `problems` lists every one."""


class Person(BaseModel):
    """One person on the roster. Validate with context={'student_tracks': [...]} to check tracks."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    id: str = Field(description="Login name, also the Unix account name: a lowercase letter, then a-z, 0-9, _ or -; 32 at most.")
    name: str = Field(min_length=1, description="Full name as shown to staff (UTF-8; Korean names welcome).")
    email: str = Field(description="E-mail address.")
    role: Role = Field(description="student, instructor or staff.")
    track: str | None = Field(default=None, description="A student's track (one of the course's non-common tracks); empty for others.")
    cohort: str | None = Field(
        default=None,
        pattern=r"^[0-9]{4}([-_][A-Za-z0-9]+)?$",
        description="A student's cohort, the entry year with an optional suffix, e.g. '2026'; required for students.",
    )

    lang: Literal["ko", "en"] = Field(
        default="ko", description="The language medai starts in for this person: ko (Korean, default) or en (English); "
        "each user can switch in JupyterLab's Settings -> Language.")

    @field_validator("lang", mode="before")
    @classmethod
    def _lang(cls, value: str | None) -> str:
        text = (value or "").strip().lower().replace("-", "_")
        short = {"ko_kr": "ko", "en_us": "en", "en_gb": "en", "": "ko"}.get(text, text)
        if short not in ("ko", "en"):
            raise ValueError(f"{value!r} is not a language medai speaks: ko (Korean) or en (English)")
        return short

    @field_validator("id")
    @classmethod
    def _login(cls, value: str) -> str:
        if re.fullmatch(LOGIN_PATTERN, value):
            return value
        if value[:1].isdigit():
            raise ValueError(f"{value!r} must start with a letter, e.g. s{value}")
        if value.lower() != value and re.fullmatch(LOGIN_PATTERN, value.lower()):
            raise ValueError(f"{value!r} must be lowercase: {value.lower()}")
        if not value:
            raise ValueError("is empty")
        raise ValueError(
            f"{value!r} is not a valid login name: a lowercase letter, then letters, digits, _ or -, 32 characters at most"
        )

    @field_validator("name")
    @classmethod
    def _nfc(cls, value: str) -> str:
        # macOS tools may write decomposed Hangul (NFD); compose it so names compare and display right.
        return unicodedata.normalize("NFC", value)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if not _EMAIL.match(value):
            raise ValueError(f"{value!r} is not an e-mail address")
        return value

    @field_validator("track")
    @classmethod
    def _track(cls, value: str | None, info: ValidationInfo) -> str | None:
        role = info.data.get("role")
        if role in ("instructor", "staff"):
            if value:
                raise ValueError(f"must be empty for {role}s (got {value!r})")
            return None
        tracks = (info.context or {}).get("student_tracks")
        if role == "student" and not value:
            hint = f": one of {', '.join(tracks)}" if tracks else ""
            raise ValueError(f"a student needs a track{hint}")
        if role == "student" and tracks is not None and value not in tracks:
            raise ValueError(f"unknown track {value!r}; students belong to one of {', '.join(tracks)}")
        return value

    @field_validator("cohort")
    @classmethod
    def _cohort(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("role") == "student" and not value:
            raise ValueError("a student needs a cohort, e.g. 2026")
        return value


class Roster(BaseModel):
    """Everyone on the course, in file order, and the course's student tracks (for group names)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    people: list[Person] = Field(description="People in file order.")
    student_tracks: list[str] = Field(description="The course's student track ids; each is also a hub group.")

    def by_role(self, role: Role) -> list[Person]:
        """People with this role, in file order."""
        if role not in ROLE_GROUPS:
            raise ValueError(f"unknown role {role!r}; one of {', '.join(ROLE_GROUPS)}")
        return [p for p in self.people if p.role == role]

    def groups(self) -> dict[str, list[str]]:
        """Hub group -> member ids: 'students', one group per student track, 'instructors', 'staff'.

        Every group is present even when empty, so a sync can remove members who left.
        """
        out: dict[str, list[str]] = {ROLE_GROUPS["student"]: [p.id for p in self.by_role("student")]}
        for track in self.student_tracks:
            out[track] = [p.id for p in self.people if p.role == "student" and p.track == track]
        for role in ("instructor", "staff"):
            out[ROLE_GROUPS[role]] = [p.id for p in self.by_role(role)]
        return out


def parse_roster(path: str | Path, *, course: Course) -> Roster:
    """Parse and check a roster CSV against `course`; RosterError lists every bad line."""
    display = str(path)
    text = _read_text(Path(path), display=display)
    reader = csv.reader(io.StringIO(text, newline=""))
    header_row = next(reader, None)
    if header_row is None:
        raise RosterError([Problem(display, "", f"file is empty; expected a header line: {','.join(REQUIRED_COLUMNS)}")])
    header = [h.strip().lower() for h in header_row]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    doubled = sorted({h for h in header if h in REQUIRED_COLUMNS and header.count(h) > 1})
    problems = []
    if missing:
        problems.append(Problem(display, "line 1", f"missing required column(s): {', '.join(missing)} (header: {','.join(header)})"))
    if doubled:
        problems.append(Problem(display, "line 1", f"column(s) appear twice: {', '.join(doubled)}"))
    if problems:
        raise RosterError(problems)

    index = {c: header.index(c) for c in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS) if c in header}
    context = {"student_tracks": course.student_tracks}
    people: list[Person] = []
    first_id: dict[str, int] = {}
    first_email: dict[str, int] = {}
    line = 1
    try:
        for row in reader:
            start, line = line + 1, reader.line_num
            if not any(cell.strip() for cell in row):
                continue  # blank line, or an Excel row of empty cells
            where = f"line {start}"
            if len(row) > len(header) and any(c.strip() for c in row[len(header):]):
                problems.append(Problem(display, where, f"{len(row)} fields but the header has {len(header)}"))
                continue
            values = {c: (row[i].strip() if i < len(row) else "") for c, i in index.items()}
            raw: dict[str, Any] = {c: (v or None) if c in ("track", "cohort") else v for c, v in values.items()}
            try:
                person = Person.model_validate(raw, context=context)
            except ValidationError as e:
                for err in e.errors():
                    column = str(err["loc"][0]) if err["loc"] else ""
                    msg = error_message(err, model=Person, loc=tuple(err["loc"]))
                    problems.append(Problem(display, f"{where}, column {column}" if column else where, msg))
                continue
            for key, seen, column in ((person.id, first_id, "id"), (person.email.lower(), first_email, "email")):
                if key in seen:
                    problems.append(Problem(display, f"{where}, column {column}", f"duplicate {column} {key!r}: also on line {seen[key]}"))
                else:
                    seen[key] = start
            people.append(person)
    except csv.Error as e:
        problems.append(Problem(display, f"line {reader.line_num}", f"CSV error: {e}"))
    if not problems and not people:
        problems.append(Problem(display, "", "the roster lists nobody (only a header line)"))
    if problems:
        raise RosterError(problems)
    return Roster(people=people, student_tracks=course.student_tracks)


def _read_text(path: Path, *, display: str) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise RosterError([Problem(display, "", "file not found")]) from None
    except OSError as e:
        raise RosterError([Problem(display, "", f"cannot read: {e.strerror}")]) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        hint = ""
        try:
            data.decode("cp949")
            hint = " It looks like cp949 (EUC-KR), which Excel uses for plain 'CSV' on Korean Windows."
        except UnicodeDecodeError:
            pass
        message = f"not UTF-8 (bad byte at line {line}).{hint} Re-save it in Excel as 'CSV UTF-8 (Comma delimited)'"
        raise RosterError([Problem(display, "", message)]) from None
