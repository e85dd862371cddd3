"""The `medai` command: clear errors with exit status 2, nothing applied on bad input, help everywhere."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import pwd
import shutil

import pytest

from medai.cli import build_parser, main
from medai.grader.nbgrader_ops import due_for_release
from tests.conftest import COURSE_YAML, REPO


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def leaf_commands(parser: argparse.ArgumentParser, prefix=()):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from leaf_commands(sub, prefix + (name,))
            return
    yield prefix, parser


LEAVES = {" ".join(path): parser for path, parser in leaf_commands(build_parser())}


def test_the_cli_has_its_commands():
    assert len(LEAVES) >= 7 and "grade" in LEAVES and "collect" in LEAVES


@pytest.mark.parametrize("command", sorted(LEAVES))
def test_command_has_help_with_an_example_and_a_readme_mention(command):
    text = LEAVES[command].format_help()
    assert "example:" in text and "--course" in text and "--course-dir" in text, text
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert f"medai {command}" in readme, f"README does not mention `medai {command}`"


def test_course_validate_and_schema(capsys):
    code, out, _ = run(capsys, "course", "validate", str(COURSE_YAML))
    assert code == 0 and "medai101" in out
    code, out, _ = run(capsys, "course", "schema")
    schema = json.loads(out)
    assert code == 0 and "assignments" in schema["properties"]


def test_bad_course_yaml_names_file_key_and_problem(capsys, tmp_path):
    bad = tmp_path / "course.yaml"
    text = COURSE_YAML.read_text(encoding="utf-8").replace("cell_timeout_seconds:", "cell_timout_seconds:")
    bad.write_text(text, encoding="utf-8")
    code, _, err = run(capsys, "course", "validate", str(bad))
    assert code == 2
    assert f"{bad}: course.cell_timout_seconds: unknown key" in err


def test_bad_roster_is_rejected_whole_and_nothing_is_applied(capsys, tmp_path, monkeypatch):
    root = tmp_path / "root"
    monkeypatch.setenv("MEDAI_ROOT", str(root))
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "id,name,email,role,track,cohort\n"
        "zzgood1,김민준,a@medai.example.ac.kr,student,medicine,2026\n"
        "zzbad1,이서연,b@medai.example.ac.kr,student,dentistry,2026\n"
        "zzgood1,박지호,c@medai.example.ac.kr,student,medicine,2026\n"
        "2026123,최하은,d@medai.example.ac.kr,student,engineering,2026\n", encoding="utf-8")
    code, _, err = run(capsys, "roster", "import", str(roster), "--course", str(COURSE_YAML))
    assert code == 2
    for line in ("line 3", "line 4", "line 5"):
        assert line in err, err
    assert not root.exists()
    for name in ("zzgood1", "zzbad1"):
        with pytest.raises(KeyError):
            pwd.getpwnam(name)


def test_instructor_commands_refuse_unknown_assignments(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("MEDAI_ROOT", str(tmp_path))
    code, _, err = run(capsys, "release", "no-such-hw", "--course", str(COURSE_YAML),
                       "--course-dir", str(tmp_path))
    assert code == 2 and "unknown assignment 'no-such-hw'" in err and "c02-diagnostic-metrics" in err
    code, _, err = run(capsys, "release", "--course", str(COURSE_YAML))
    assert code == 2 and "ASSIGNMENT or --due" in err


def test_release_due_follows_course_dates(course):
    course = course.model_copy(update={"assignments": [course.assignment("c02-diagnostic-metrics")]})
    seoul = dt.timezone(dt.timedelta(hours=9))
    assert due_for_release(course, dt.datetime(2026, 9, 7, 8, 59, tzinfo=seoul)) == []
    assert due_for_release(course, dt.datetime(2026, 9, 7, 9, 0, tzinfo=seoul)) == ["c02-diagnostic-metrics"]


def test_course_flag_lets_every_command_run_against_another_course(capsys, tmp_path):
    other = tmp_path / "other" / "course"
    shutil.copytree(REPO / "course", other, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    shutil.copytree(REPO / "assignments", tmp_path / "other" / "assignments")
    yaml = other / "course.yaml"
    yaml.write_text(yaml.read_text(encoding="utf-8").replace("id: medai101", "id: medai202"), encoding="utf-8")
    code, out, _ = run(capsys, "course", "validate", "--course", str(yaml))
    assert code == 0 and "medai202" in out


@pytest.mark.parametrize("error", ["dataset", "sandbox", "course"])
def test_medai_up_prints_any_users_error_without_a_traceback(capsys, monkeypatch, tmp_path, error):
    """One error root: whatever layer raises under `medai up`, the person sees one line and exit status 2."""
    import medai.cli.hub as hub_cli
    from medai.course.load import CourseError, Problem
    from medai.datasets.errors import DatasetError
    from medai.grader.sandbox import SandboxError

    raised = {"dataset": DatasetError("n_persons must be at least 100, not 5"),
              "sandbox": SandboxError("cannot create sandbox accounts: useradd not found"),
              "course": CourseError([Problem(file="course.yaml", location="course.id", message="missing")])}[error]

    def fail(args):
        raise raised

    monkeypatch.setattr(hub_cli, "load", fail)  # the first step of `medai up` raises it
    monkeypatch.delenv("MEDAI_LANG", raising=False)
    monkeypatch.setenv("MEDAI_ROOT", str(tmp_path / "root"))
    code, out, err = run(capsys, "up", "--port", "18999")
    # Korean first ($MEDAI_LANG unset), English always: these texts have no Korean, so both lines carry them
    assert code == 2 and err.startswith("medai: 오류: ") and f"medai: error: {raised}" in err, err
    assert "Traceback" not in err
