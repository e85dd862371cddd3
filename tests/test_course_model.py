"""course.yaml: the shipped curriculum validates, and each kind of mistake is reported precisely."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from medai.course import Course, CourseError, Problem, course_json_schema, load_course

SHIPPED = Path(__file__).resolve().parent.parent / "course" / "course.yaml"  # the repository's, beside assignments/
ASSIGNMENT = "c02-diagnostic-metrics"
KST = timezone(timedelta(hours=9))


@pytest.fixture
def raw() -> dict:
    """The shipped course.yaml as plain data, to mutate one mistake at a time (its c02 assignment only, so
    the tests do not depend on what else the curriculum lists)."""
    data = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    data["assignments"] = [a for a in data["assignments"] if a["id"] == ASSIGNMENT]
    return data


def write_course(tmp_path: Path, data: dict, *, notebook: bool = True) -> Path:
    """A built course in tmp_path: course/course.yaml plus assignments/<id>/ with a tiny notebook."""
    (tmp_path / "course").mkdir(exist_ok=True)
    path = tmp_path / "course" / "course.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    if notebook:
        for a in data.get("assignments", []):
            folder = tmp_path / "assignments" / a["id"]
            folder.mkdir(parents=True, exist_ok=True)
            nb = {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
            (folder / "tiny.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    return path


def problems_of(path: Path, **kwargs) -> list[Problem]:
    with pytest.raises(CourseError) as info:
        load_course(path, **kwargs)
    err = info.value
    assert isinstance(err, ValueError)
    assert str(err).splitlines() == [str(p) for p in err.problems]
    for p in err.problems:
        assert str(p).startswith(f"{path}: ")
    return err.problems


def test_shipped_course_validates():
    course = load_course(SHIPPED, check_files=False)
    assert course.course.id == "medai101"
    assert course.course.timezone == "Asia/Seoul"
    assert course.student_tracks == ["medicine", "engineering"]
    assert {"common", "medicine", "engineering"} <= {t.id for t in course.tracks}
    a = course.assignment(ASSIGNMENT)
    assert ASSIGNMENT in [x.id for x in course.assignments]
    assert load_course(SHIPPED).assignments == course.assignments  # every listed folder exists
    assert a.points == 10 and a.tracks == ["common"]
    assert a.release == datetime(2026, 9, 7, 9, 0, tzinfo=KST)
    assert a.due == datetime(2026, 9, 21, 23, 59, tzinfo=KST)
    module = next(m for m in course.modules if m.id == a.module)
    assert "STAT-2" in module.competencies and set(a.competencies) <= set(module.competencies)
    assert course.late_policy.percent_per_day == 10
    assert course.late_policy.cap_percent == 50
    assert course.late_policy.grace_minutes == 15
    assert course.late_policy.extensions == []
    assert course.resolved_assignments_dir == (SHIPPED.parent / ".." / "assignments").resolve()
    # the curriculum covers the major's core subjects
    titles = " ".join(m.title.lower() for m in course.modules)
    for subject in ("omop", "diagnostic", "risk prediction", "privacy", "imaging", "survival", "causal", "deep learning", "segmentation", "fairness"):
        assert subject in titles, subject


def test_convenience_lookups(tmp_path, raw):
    course = load_course(write_course(tmp_path, raw))
    assert [a.id for a in course.assignments_for_track("medicine")] == [ASSIGNMENT]
    assert [a.id for a in course.assignments_for_track("engineering")] == [ASSIGNMENT]
    with pytest.raises(KeyError, match="no assignment 'c99'"):
        course.assignment("c99")
    with pytest.raises(KeyError, match="no track 'surgery'"):
        course.assignments_for_track("surgery")


def test_track_only_assignment_reaches_only_that_track(tmp_path, raw):
    extra = dict(raw["assignments"][0], id="m01-appraisal", tracks=["medicine"])
    raw["assignments"].append(extra)
    course = load_course(write_course(tmp_path, raw))
    assert [a.id for a in course.assignments_for_track("medicine")] == [ASSIGNMENT, "m01-appraisal"]
    assert [a.id for a in course.assignments_for_track("engineering")] == [ASSIGNMENT]


def test_built_course_validates_with_files(tmp_path, raw):
    path = write_course(tmp_path, raw)
    course = load_course(path, check_files=True)
    assert course.resolved_assignments_dir == (tmp_path / "assignments").resolve()
    assert course.source_path == path.absolute()


def test_default_path_from_env(tmp_path, raw, monkeypatch):
    from medai.settings import Settings

    path = write_course(tmp_path, raw)
    monkeypatch.setenv("MEDAI_COURSE", str(path))
    assert load_course(Settings.from_env().course_file).source_path == path.absolute()
    monkeypatch.delenv("MEDAI_COURSE")
    monkeypatch.chdir(tmp_path)
    assert load_course(Settings.from_env().course_file).source_path == path.absolute()


def test_naive_datetimes_are_course_timezone(tmp_path, raw):
    raw["assignments"][0]["due"] = "2026-09-21 23:59"
    course = load_course(write_course(tmp_path, raw))
    assert course.assignment(ASSIGNMENT).due == datetime(2026, 9, 21, 23, 59, tzinfo=KST)


def test_unknown_key(tmp_path, raw):
    raw["assignments"][0]["dew"] = "2026-09-21T23:59+09:00"
    [p] = problems_of(write_course(tmp_path, raw))
    assert p.location == f"assignments[id={ASSIGNMENT}].dew"
    assert p.message.startswith("unknown key 'dew' (did you mean 'due'?)")


def test_duplicate_assignment_id(tmp_path, raw):
    raw["assignments"].append(copy.deepcopy(raw["assignments"][0]))
    [p] = problems_of(write_course(tmp_path, raw))
    assert p.location == "assignments[1].id"
    assert p.message == f"duplicate assignment id '{ASSIGNMENT}' (first at assignments[0])"


def test_undefined_competency(tmp_path, raw):
    raw["assignments"][0]["competencies"] = ["STAT-2", "STAT-9"]
    [p] = problems_of(write_course(tmp_path, raw))
    assert p.location == f"assignments[id={ASSIGNMENT}].competencies[1]"
    assert p.message.startswith("undefined competency 'STAT-9'")


def test_undefined_track(tmp_path, raw):
    raw["assignments"][0]["tracks"] = ["surgery"]
    [p] = problems_of(write_course(tmp_path, raw))
    assert p.location == f"assignments[id={ASSIGNMENT}].tracks[0]"
    assert p.message == "undefined track 'surgery'; defined: common, engineering, medicine"


def test_required_tracks(tmp_path, raw):
    raw["tracks"] = [t for t in raw["tracks"] if t["id"] != "engineering"]
    first, *rest = problems_of(write_course(tmp_path, raw), check_files=False)
    assert (first.location, first.message) == ("tracks", "missing required track(s): engineering")
    # the engineering-only modules now point at an undefined track, and each is reported
    assert [p.location for p in rest] == [
        "modules[id=clinical-medicine-for-engineers].tracks[0]",
        "modules[id=deep-learning].tracks[0]",
        "modules[id=image-segmentation].tracks[0]",
    ]


def test_listed_assignment_missing_on_disk(tmp_path, raw):
    path = write_course(tmp_path, raw, notebook=False)
    (tmp_path / "assignments").mkdir()
    [p] = problems_of(path)
    assert p.location == f"assignments[id={ASSIGNMENT}]"
    assert f"assignment '{ASSIGNMENT}' is listed but" in p.message
    assert p.message.endswith(f"assignments/{ASSIGNMENT}/ is missing")
    # the same file passes when files are not checked
    assert load_course(path, check_files=False).course.id == "medai101"


def test_assignment_without_notebook(tmp_path, raw):
    path = write_course(tmp_path, raw, notebook=False)
    (tmp_path / "assignments" / ASSIGNMENT).mkdir(parents=True)
    (tmp_path / "assignments" / ASSIGNMENT / "README.md").write_text("todo")
    [p] = problems_of(path)
    assert "has no notebook" in p.message


def test_release_after_due(tmp_path, raw):
    raw["assignments"][0]["release"] = "2026-09-22T09:00+09:00"
    [p] = problems_of(write_course(tmp_path, raw))
    assert p.location == f"assignments[id={ASSIGNMENT}].due"
    assert p.message == "due 2026-09-21T23:59:00+09:00 is not after release 2026-09-22T09:00:00+09:00"


def test_dates_outside_term_and_bare_dates(tmp_path, raw):
    raw["assignments"][0]["due"] = "2027-03-02T23:59+09:00"
    raw["assignments"][0]["release"] = "2026-09-07"
    problems = problems_of(write_course(tmp_path, raw))
    assert [(p.location, p.message) for p in problems] == [
        (f"assignments[id={ASSIGNMENT}].release", "'2026-09-07' has no time; write e.g. 2026-09-07T23:59+09:00"),
    ]
    raw["assignments"][0]["release"] = "2026-09-07T09:00+09:00"
    [p] = problems_of(write_course(tmp_path, raw))
    assert p.location == f"assignments[id={ASSIGNMENT}].due"
    assert "outside the term (2026-09-01 to 2026-12-21)" in p.message


def test_extension_for_unknown_assignment(tmp_path, raw):
    raw["late_policy"]["extensions"] = [
        {"student": "med01", "assignment": "c99-nothing", "days": 3, "reason": "medical certificate"},
        {"student": "med02", "assignment": ASSIGNMENT, "days": 2, "until": "2026-09-30T23:59+09:00", "reason": "x"},
    ]
    problems = problems_of(write_course(tmp_path, raw))
    assert [(p.location, p.message) for p in problems] == [
        ("late_policy.extensions[1]", "give exactly one of 'days' or 'until'"),
    ]
    del raw["late_policy"]["extensions"][1]["days"]
    [p] = problems_of(write_course(tmp_path, raw))
    assert p.location == "late_policy.extensions[0].assignment"
    assert p.message == "extension for unknown assignment 'c99-nothing'"


def test_yaml_syntax_error(tmp_path):
    path = tmp_path / "course.yaml"
    path.write_text("course:\n  id: medai101\n  title: [unclosed\n  term: 2026-2\n", encoding="utf-8")
    [p] = problems_of(path)
    assert p.location.startswith("line 4, column ")
    assert p.message.startswith("YAML syntax error")


def test_missing_file_and_non_mapping(tmp_path):
    missing = tmp_path / "nope.yaml"
    [p] = problems_of(missing)
    assert str(p) == f"{missing}: file not found"
    listed = tmp_path / "list.yaml"
    listed.write_text("- just\n- a list\n", encoding="utf-8")
    [p] = problems_of(listed)
    assert "expected a mapping" in p.message and "got a list" in p.message


def test_all_field_problems_reported(tmp_path, raw):
    raw["course"]["id"] = "MedAI 101"
    raw["course"]["timezone"] = "Asia/Busan"
    raw["tracks"][1]["colour"] = "red"
    del raw["modules"][0]["title"]
    raw["assignments"][0]["points"] = 0
    locations = {p.location: p.message for p in problems_of(write_course(tmp_path, raw))}
    assert locations.keys() == {
        "course.id",
        "course.timezone",
        "tracks[id=medicine].colour",
        "modules[id=intro-medai].title",
        f"assignments[id={ASSIGNMENT}].points",
    }
    assert "'MedAI 101'" in locations["course.id"]
    assert locations["course.timezone"] == "unknown IANA time zone 'Asia/Busan'; use a name such as 'Asia/Seoul'"
    assert locations["modules[id=intro-medai].title"] == "missing required key 'title'"
    assert "greater than 0" in locations[f"assignments[id={ASSIGNMENT}].points"]


def test_all_cross_problems_reported(tmp_path, raw):
    a = raw["assignments"][0]
    a["module"] = "astrology"
    a["tracks"] = ["common", "medicine"]
    a["competencies"] = ["STAT-1", "STAT-1"]
    raw["modules"][0]["prerequisites"] = ["capstone"]
    problems = problems_of(write_course(tmp_path, raw))
    assert [(p.location, p.message.split(" (")[0].split(";")[0]) for p in problems] == [
        ("modules[id=intro-medai].prerequisites[0]", "prerequisite 'capstone'"),
        (f"assignments[id={ASSIGNMENT}].module", "undefined module 'astrology'"),
        (f"assignments[id={ASSIGNMENT}].tracks", "'common' already means every track"),
        (f"assignments[id={ASSIGNMENT}].competencies[1]", "competency 'STAT-1' is listed twice"),
    ]


def test_model_validate_directly_reports_cross_checks(raw):
    raw["assignments"][0]["module"] = "astrology"
    with pytest.raises(ValueError, match=r"assignments\[0\]\.module: undefined module 'astrology'"):
        Course.model_validate(raw)
    with pytest.raises(RuntimeError, match="use load_course"):
        _ = Course.model_validate(yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))).resolved_assignments_dir


def _walk_properties(node, path="$"):
    """Yield (path, property schema) for every property of every object in a JSON schema."""
    if isinstance(node, dict):
        for name, prop in node.get("properties", {}).items():
            yield f"{path}.{name}", prop
        for key, value in node.items():
            yield from _walk_properties(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk_properties(value, f"{path}[{i}]")


def test_json_schema_describes_every_property():
    schema = course_json_schema()
    assert schema["$id"].endswith("course.schema.json") and schema["title"] == "medai course.yaml"
    props = list(_walk_properties(schema))
    assert len(props) > 50
    undocumented = [path for path, prop in props if not prop.get("description")]
    assert undocumented == []
    assert set(schema["$defs"]) >= {"Assignment", "CourseInfo", "LatePolicy", "Module", "Track", "Competency", "Extension"}


def test_json_schema_validates_shipped_yaml():
    jsonschema = pytest.importorskip("jsonschema")
    schema = course_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    # as JSON types: dates become ISO strings, as load_course keeps them
    data = yaml.load(SHIPPED.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    data = json.loads(json.dumps(data, default=str))
    jsonschema.Draft202012Validator(schema).validate(data)
    data["assignments"][0]["dew"] = "x"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(data)
