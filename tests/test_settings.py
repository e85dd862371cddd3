"""One settings model (medai.settings.Settings): every MEDAI_* variable is a field with a description and a
default, README's "Production configuration" table is that model, and the environment round-trips."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from medai.errors import UserError
from medai.settings import ENV_NAMES, Settings, SettingsError, doc_default, env_name, markdown_rows
from tests.conftest import REPO

# MEDAI_* names in the code that are not settings: a protocol between two of our processes, test switches
# and scripts/install.sh's own
NOT_SETTINGS = {
    "MEDAI_GUARD_PROTECT": "zygote -> kernel guard: the modules it protects (grader/kernel_guard.py)",
    "MEDAI_EXTRAS": "scripts/install.sh: pip extras",
    "MEDAI_ARTIFACTS": "tests: where browser tests keep screenshots",
    "MEDAI_UPDATE_TOUR": "tests: rewrite docs/tour/",
    "MEDAI_UPDATE_GOLDEN": "tests: rewrite golden report files",
    **dict.fromkeys(("MEDAI_INSTRUCTORS", "MEDAI_STAFF", "MEDAI_INSTRUCTOR_CONFIG", "MEDAI_UID_BASE"),
                    "Python names in hub_config/k8s/values.yaml's extraConfig, not variables"),
}
SOURCES = ("src", "hub_config", "grader", "course", "datasets", "progress", "scripts")


def readme_table() -> dict[str, tuple[str, str]]:
    """variable -> (default, meaning) of README's "Production configuration" table; a variable twice fails."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Production configuration", 1)[1]
    rows: dict[str, tuple[str, str]] = {}
    header = None
    for line in section.splitlines():
        if not line.startswith("|"):
            if header:
                break
            continue
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        if header is None:
            header = cells
            assert header == ["variable", "default", "meaning"], header
            continue
        if set(line) <= set("|-: "):
            continue
        variable, default, meaning = cells
        assert variable not in rows, f"README lists {variable} twice"
        rows[variable] = (default, meaning)
    return rows


def test_every_setting_has_a_description_and_a_variable_of_its_own():
    names = [env_name(field) for field in Settings.model_fields]
    assert len(names) == len(set(names)) == len(ENV_NAMES)
    for field, info in Settings.model_fields.items():
        assert info.description and len(info.description) > 10, field
        assert re.fullmatch(r"MEDAI_[A-Z_]+", env_name(field)), field
    schema = Settings.model_json_schema()
    assert all(p.get("description") and p.get("env") for p in schema["properties"].values())


@pytest.mark.parametrize("variable,default,meaning", markdown_rows(), ids=lambda v: v if v.startswith("`") else "")
def test_readme_has_the_row_of_each_setting(variable, default, meaning):
    rows = readme_table()
    assert variable in rows, f"README's Production configuration lacks {variable}"
    assert rows[variable] == (default, meaning), f"README's row of {variable} is stale"


def test_readme_has_no_row_the_model_lacks():
    assert set(readme_table()) == {row[0] for row in markdown_rows()}


def test_the_readme_check_fails_on_a_stale_or_missing_row(monkeypatch, tmp_path):
    (tmp_path / "README.md").write_text((REPO / "README.md").read_text(encoding="utf-8")
                                        .replace("| `MEDAI_HOME_LIMIT` | `2G` |", "| `MEDAI_HOME_LIMIT` | `3G` |")
                                        .replace("| `MEDAI_CULL_EVERY` |", "| `MEDAI_CULL_SOMETIMES` |"),
                                        encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "REPO", tmp_path)
    rows = readme_table()
    assert rows["`MEDAI_HOME_LIMIT`"][0] != doc_default("home_limit")
    assert "`MEDAI_CULL_EVERY`" not in rows
    with pytest.raises(AssertionError, match="stale"):
        test_readme_has_the_row_of_each_setting(*next(r for r in markdown_rows() if "HOME_LIMIT" in r[0]))
    with pytest.raises(AssertionError, match="lacks"):
        test_readme_has_the_row_of_each_setting(*next(r for r in markdown_rows() if "CULL_EVERY" in r[0]))


def test_every_medai_variable_in_the_code_is_a_setting():
    found: dict[str, str] = {}
    for top in SOURCES:
        for path in (REPO / top).rglob("*"):
            if (path.suffix in {".py", ".sh", ".yaml", ".j2", ".html"} and path.is_file()
                    and "node_modules" not in path.parts):  # the lab extension's npm packages are not ours
                for name in re.findall(r"\bMEDAI_[A-Z][A-Z0-9_]*[A-Z0-9]\b", path.read_text(encoding="utf-8")):
                    found.setdefault(name, str(path.relative_to(REPO)))
    unknown = {n: where for n, where in found.items() if n not in ENV_NAMES and n not in NOT_SETTINGS}
    assert unknown == {}, "MEDAI_* variables that are not in medai.settings.Settings"


def test_from_env_and_to_env_round_trip(tmp_path):
    environ = {"MEDAI_ROOT": str(tmp_path), "MEDAI_HUB_PORT": "8123", "MEDAI_AUTH": "shared-password",
               "MEDAI_SHARED_PASSWORD": "long-enough", "MEDAI_GRADE_ON_SUBMIT": "0", "MEDAI_CPU_LIMIT": "1.5",
               "MEDAI_PROXY_COMMAND": "/opt/chp --log-level warn", "MEDAI_GRADEBOOK_URL": "postgresql://g@db/x",
               "MEDAI_SANDBOX_PREFIX": "medai-sbxt", "MEDAI_MAX_PROCESSES": "256", "MEDAI_FORMGRADER_PORT": "9000",
               "MEDAI_CULL_EVERY": "60", "MEDAI_SUBDOMAIN_HOST": "https://hub.example.ac.kr", "MEDAI_DEBUG": "1",
               "MEDAI_HOME_LIMIT": "0", "MEDAI_UNRELATED": "ignored", "PATH": "/usr/bin"}
    s = Settings.from_env(environ)
    assert (s.port, s.auth, s.grade_on_submit, s.cpu_limit, s.max_processes, s.formgrader_port) == (
        8123, "shared-password", False, 1.5, 256, 9000)
    assert s.proxy_command == ("/opt/chp", "--log-level", "warn")
    assert s.layout.root == tmp_path.resolve() and s.layout.gradebook_url == "postgresql://g@db/x"
    env = s.to_env()
    assert {k: env[k] for k in environ if k.startswith("MEDAI_") and k != "MEDAI_UNRELATED"} == {
        k: v for k, v in environ.items() if k.startswith("MEDAI_") and k != "MEDAI_UNRELATED"} | {
        "MEDAI_ROOT": str(tmp_path.resolve())}
    assert Settings.from_env(env) == s
    assert "MEDAI_SHARED_PASSWORD" not in s.to_env(secrets=False)
    # nothing set: every default, and the defaults written out read back the same
    bare = Settings.from_env({})
    assert Settings.from_env(bare.to_env()) == bare
    assert (bare.mem_limit, bare.cull_timeout, bare.sandbox_prefix, bare.grade_on_submit) == ("4G", 3600, "medai-sandbox",
                                                                                            None)


@pytest.mark.parametrize("variable,value", [
    ("MEDAI_HUB_PORT", "eighty"), ("MEDAI_HOME_LIMIT", "lots"), ("MEDAI_AUTH", "ldap"), ("MEDAI_CPU_LIMIT", "-1"),
    ("MEDAI_GRADE_ON_SUBMIT", "maybe"), ("MEDAI_SUBDOMAIN_HOST", "hub.example.ac.kr/path"),
    ("MEDAI_SANDBOX_PREFIX", "Bad Prefix"), ("MEDAI_MAX_PROCESSES", "0"),
])
def test_a_bad_value_names_its_variable(variable, value):
    with pytest.raises(SettingsError, match=variable) as err:
        Settings.from_env({variable: value})
    assert isinstance(err.value, UserError) and isinstance(err.value, ValueError)


def test_a_bad_password_is_not_echoed():
    from medai.hub.settings import HubSettings

    with pytest.raises(SettingsError, match="MEDAI_SHARED_PASSWORD") as err:
        HubSettings.from_env({"MEDAI_AUTH": "shared-password", "MEDAI_SHARED_PASSWORD": "short"})
    assert "short" not in str(err.value)


def test_a_bad_setting_stops_a_command_with_one_line_exit_2(tmp_path):
    env = {"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin", "MEDAI_ROOT": str(tmp_path),
           "MEDAI_SANDBOX_PREFIX": "Not A Prefix", "HOME": str(tmp_path)}
    run = subprocess.run([str(Path(sys.executable).parent / "medai"), "grade", "ps1", "--course-dir", str(tmp_path)], env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2, run.stderr
    assert "MEDAI_SANDBOX_PREFIX" in run.stderr and "Traceback" not in run.stderr


def test_the_hub_process_gets_its_environment_from_the_model(layout, monkeypatch):
    from medai.hub.settings import HubSettings
    from medai.hub.up import hub_environment

    monkeypatch.setenv("MEDAI_HUB_PORT", "9999")  # the caller's environment does not win over the settings
    s = HubSettings(layout=layout, course_file=REPO / "course" / "course.yaml", port=8123, auth="shared-password",
                    shared_password="long-enough", cull_every=77)
    env = hub_environment(s)
    assert env["MEDAI_HUB_PORT"] == "8123" and env["MEDAI_CULL_EVERY"] == "77"
    assert HubSettings.from_env(env) == s
