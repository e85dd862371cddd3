"""Roster CSV parsing: the example parses; encodings, bad lines and duplicates are reported by line."""

from __future__ import annotations

from pathlib import Path

import pytest

import medai.course
from medai.course import Problem, RosterError, load_course, parse_roster

HERE = Path(medai.course.__file__).parent
EXAMPLE = HERE / "roster.example.csv"
HEADER = "id,name,email,role,track,cohort\n"
GOOD = "med01,김민준,med01@medai.example.ac.kr,student,medicine,2026\n"


@pytest.fixture(scope="module")
def course():
    return load_course(HERE / "course.yaml", check_files=False)


def write(tmp_path: Path, text: str, *, encoding: str = "utf-8", name: str = "roster.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def problems_of(path: Path, course) -> list[Problem]:
    with pytest.raises(RosterError) as info:
        parse_roster(path, course=course)
    assert isinstance(info.value, ValueError)
    assert str(info.value).splitlines() == [str(p) for p in info.value.problems]
    return info.value.problems


def test_example_parses(course):
    roster = parse_roster(EXAMPLE, course=course)
    assert [p.id for p in roster.people] == ["med01", "med02", "med03", "eng01", "eng02", "eng03", "prof01", "staff01"]
    assert roster.people[0].name == "김민준" and roster.people[1].name == "이서연"
    assert all(p.email.endswith("@medai.example.ac.kr") for p in roster.people)
    assert [p.id for p in roster.by_role("instructor")] == ["prof01"]
    assert [p.id for p in roster.by_role("staff")] == ["staff01"]
    assert {p.cohort for p in roster.by_role("student")} == {"2026"}
    prof = roster.by_role("instructor")[0]
    assert prof.track is None and prof.cohort is None
    assert roster.groups() == {
        "students": ["med01", "med02", "med03", "eng01", "eng02", "eng03"],
        "medicine": ["med01", "med02", "med03"],
        "engineering": ["eng01", "eng02", "eng03"],
        "instructors": ["prof01"],
        "staff": ["staff01"],
    }
    with pytest.raises(ValueError, match="unknown role"):
        roster.by_role("dean")


def test_bom_gives_same_names(tmp_path, course):
    plain = parse_roster(EXAMPLE, course=course)
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + EXAMPLE.read_bytes())
    with_bom = parse_roster(bom, course=course)
    assert [p.name for p in with_bom.people] == [p.name for p in plain.people]
    assert with_bom.people == plain.people


def test_extra_columns_ignored_and_header_case(tmp_path, course):
    path = write(tmp_path, "ID,Name,Email,Role,Track,Cohort,학과\n" + GOOD.rstrip("\n") + ",의예과\n")
    [person] = parse_roster(path, course=course).people
    assert (person.id, person.track) == ("med01", "medicine")


def test_decomposed_hangul_is_composed(tmp_path, course):
    import unicodedata

    nfd = unicodedata.normalize("NFD", "김민준")
    assert nfd != "김민준"
    path = write(tmp_path, HEADER + GOOD.replace("김민준", nfd))
    assert parse_roster(path, course=course).people[0].name == "김민준"


def test_cp949_is_an_encoding_error(tmp_path, course):
    path = write(tmp_path, HEADER + GOOD, encoding="cp949")
    [p] = problems_of(path, course)
    assert "not UTF-8" in p.message
    assert "cp949" in p.message and "EUC-KR" in p.message
    assert "CSV UTF-8" in p.message
    assert str(p).startswith(f"{path}: ")


def test_unknown_track(tmp_path, course):
    path = write(tmp_path, HEADER + GOOD + "med02,이서연,med02@medai.example.ac.kr,student,surgery,2026\n")
    [p] = problems_of(path, course)
    assert p.location == "line 3, column track"
    assert p.message == "unknown track 'surgery'; students belong to one of medicine, engineering"


def test_common_is_not_a_student_track(tmp_path, course):
    path = write(tmp_path, HEADER + GOOD.replace("medicine", "common"))
    [p] = problems_of(path, course)
    assert (p.location, p.message.split(";")[0]) == ("line 2, column track", "unknown track 'common'")


def test_duplicate_id_and_email(tmp_path, course):
    text = HEADER + GOOD + "eng01,최하은,eng01@medai.example.ac.kr,student,engineering,2026\n" + GOOD.replace("med01@", "other@")
    text += "eng09,정도윤,ENG01@medai.example.ac.kr,student,engineering,2026\n"
    problems = problems_of(write(tmp_path, text), course)
    assert [(p.location, p.message) for p in problems] == [
        ("line 4, column id", "duplicate id 'med01': also on line 2"),
        ("line 5, column email", "duplicate email 'eng01@medai.example.ac.kr': also on line 3"),
    ]


def test_missing_column(tmp_path, course):
    path = write(tmp_path, "id,name,email,role\nmed01,김민준,med01@medai.example.ac.kr,student\n")
    [p] = problems_of(path, course)
    assert p.location == "line 1"
    assert p.message.startswith("missing required column(s): track, cohort")


def test_bad_ids(tmp_path, course):
    text = HEADER + GOOD.replace("med01,", "2026123456,") + GOOD.replace("med01,", "Med02,") + GOOD.replace("med01,", "m ed,")
    problems = problems_of(write(tmp_path, text), course)
    assert [p.location for p in problems] == ["line 2, column id", "line 3, column id", "line 4, column id"]
    assert problems[0].message == "'2026123456' must start with a letter, e.g. s2026123456"
    assert problems[1].message == "'Med02' must be lowercase: med02"
    assert "not a valid login name" in problems[2].message


def test_every_bad_line_is_listed(tmp_path, course):
    text = (
        HEADER
        + GOOD
        + "med02,,med02@medai.example.ac.kr,student,medicine,2026\n"  # line 3: empty name
        + "\n"  # line 4: blank, skipped
        + "med03,박지호,not-an-email,student,medicine,\n"  # line 5: bad email, no cohort
        + "prof01,윤지원,prof01@medai.example.ac.kr,instructor,medicine,\n"  # line 6: instructor with a track
        + "eng01,최하은,eng01@medai.example.ac.kr,student,engineering,2026\n"
    )
    problems = problems_of(write(tmp_path, text), course)
    assert [p.location for p in problems] == [
        "line 3, column name",
        "line 5, column email",
        "line 5, column cohort",
        "line 6, column track",
    ]
    assert problems[2].message == "a student needs a cohort, e.g. 2026"
    assert problems[3].message == "must be empty for instructors (got 'medicine')"


def test_role_and_missing_track(tmp_path, course):
    text = HEADER + GOOD.replace("student", "teacher") + GOOD.replace("med01", "med02").replace("medicine", "")
    problems = problems_of(write(tmp_path, text), course)
    assert [p.location for p in problems] == ["line 2, column role", "line 3, column track"]
    assert "'teacher'" in problems[0].message
    assert problems[1].message == "a student needs a track: one of medicine, engineering"


def test_missing_and_empty_files(tmp_path, course):
    [p] = problems_of(tmp_path / "nope.csv", course)
    assert p.message == "file not found"
    [p] = problems_of(write(tmp_path, ""), course)
    assert p.message.startswith("file is empty")
    [p] = problems_of(write(tmp_path, HEADER), course)
    assert "lists nobody" in p.message
