"""The Kubernetes values (hub_config/k8s/values.yaml): valid for the Zero to JupyterHub chart, and the same hub
as the local one (medai.hub.apply, medai.hub.jupyter_files)."""
from __future__ import annotations

import copy
import sys
import types
from types import SimpleNamespace

import jsonschema
import pytest
import yaml
from traitlets.config import Config

from medai.nbgrader_adapter.config import PRIVATE_SUBMIT
from medai.hub.apply import (
    CONTEST_SCOPES,
    CONTEST_SERVICE,
    INSTRUCTORS,
    LMS_SERVICE,
    MY_COURSE_SCOPES,
    SERVER_TOKEN_SCOPES,
    STAFF,
    STUDENTS,
    apply_all,
    formgrader_service,
    hub_groups,
    role_of,
)
from medai.hub.lti import MedaiLTI13Authenticator
from medai.hub.jupyter_files import page_config, server_config
from medai.hub.settings import HubSettings
from medai.settings import Settings, default, env_name
from tests.conftest import COURSE_YAML, PEER, REPO

VALUES = REPO / "hub_config" / "k8s" / "values.yaml"
LTI_VALUES = REPO / "hub_config" / "k8s" / "values-lti.yaml"  # the LTI 1.3 option, given after values.yaml
SCHEMA = PEER / "z2jh" / "values.schema.yaml"


@pytest.fixture(scope="module")
def schema() -> dict:
    assert SCHEMA.is_file(), f"the Zero to JupyterHub values schema is missing: {SCHEMA}"
    return yaml.safe_load(SCHEMA.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def values() -> dict:
    return yaml.safe_load(VALUES.read_text(encoding="utf-8"))


def schema_errors(schema: dict, instance: dict) -> list[jsonschema.ValidationError]:
    validator_cls = jsonschema.validators.validator_for(schema)
    validator_cls.check_schema(schema)
    return list(validator_cls(schema).iter_errors(instance))


def describe(errors) -> str:
    return "\n".join(f"{'.'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors)


# --- the chart's schema ---------------------------------------------------------------------------------

def test_the_schema_declares_draft_7(schema):
    assert jsonschema.validators.validator_for(schema) is jsonschema.Draft7Validator


def test_values_validate_against_the_chart_schema(schema, values):
    errors = schema_errors(schema, values)
    assert not errors, describe(errors)


def _unknown_top_level_key(v):
    v["singleusr"] = {"image": {"name": "x", "tag": "y"}}


def _cull_timeout_as_string(v):
    v["cull"]["timeout"] = "3600"


def _snake_case_profile_list(v):
    v["singleuser"]["profile_list"] = v["singleuser"].pop("profileList")


def _unknown_db_type(v):
    v["hub"]["db"]["type"] = "sqlite"


def _extra_file_without_content(v):
    del v["singleuser"]["extraFiles"]["student-page-config"]["data"]


@pytest.mark.parametrize("break_it, where", [
    (_unknown_top_level_key, []),
    (_cull_timeout_as_string, ["cull", "timeout"]),
    (_snake_case_profile_list, ["singleuser"]),
    (_unknown_db_type, ["hub", "db", "type"]),
    (_extra_file_without_content, ["singleuser", "extraFiles", "student-page-config"]),
])
def test_a_broken_copy_fails_validation_where_it_is_broken(schema, values, break_it, where):
    broken = copy.deepcopy(values)
    break_it(broken)
    errors = schema_errors(schema, broken)
    assert errors, "the schema accepted a broken copy: the check is not real"
    assert [list(e.absolute_path) for e in errors] == [where], describe(errors)


# --- the same hub as the local one -----------------------------------------------------------------------

def test_only_roster_users_log_in_and_nobody_is_admin(values, roster):
    auth = values["hub"]["config"]["Authenticator"]
    assert auth["allowed_users"] == sorted(p.id for p in roster.people)
    assert auth["allow_all"] is False
    assert auth["admin_users"] == []


def test_groups_are_those_of_the_local_hub(values, course, roster):
    load_groups = values["hub"]["config"]["JupyterHub"]["load_groups"]
    assert load_groups == {
        name: {"users": members, "properties": {"medai": True}} for name, members in hub_groups(course, roster).items()
    }
    assert {STUDENTS, "medicine", "engineering", INSTRUCTORS, STAFF} == set(load_groups)


def test_sso_is_active_and_lti_is_an_option(values):
    config = values["hub"]["config"]
    assert config["JupyterHub"]["authenticator_class"] == "generic-oauth"
    oauth = config["GenericOAuthenticator"]
    assert {"authorize_url", "token_url", "userdata_url", "client_id", "username_claim"} <= set(oauth)
    assert "client_secret" not in oauth  # passed at install time, never committed
    assert "MedaiLTI13Authenticator" not in config and LMS_SERVICE not in values["hub"]["services"]
    assert LTI_VALUES.name in VALUES.read_text(encoding="utf-8")  # the option is named where one would switch


def roles(values) -> dict:
    return values["hub"]["loadRoles"]


def test_only_instructors_and_staff_get_roles_beyond_the_default(values):
    assert {g for role in roles(values).values() for g in role.get("groups", [])} == {INSTRUCTORS, STAFF, STUDENTS}
    assert not any("users" in role for role in roles(values).values())
    # students: reading their own course from the progress service (My course), as on the local hub
    assert roles(values)["student"]["scopes"] == [*MY_COURSE_SCOPES, *CONTEST_SCOPES]
    # the course runs contests: each server also calls the contest service (My course's Contests section)
    assert values["hub"]["config"]["Spawner"]["server_token_scopes"] == [*SERVER_TOKEN_SCOPES, *CONTEST_SCOPES]


def test_staff_reach_the_progress_page_but_no_server(values):
    scopes = roles(values)["staff"]["scopes"]
    assert not [s for s in scopes if s.startswith("access:servers") or s.startswith("admin:") or "servers" in s]
    assert "access:services!service=progress" in scopes


def test_instructors_reach_the_course_formgrader(values, course):
    service = formgrader_service(course)
    assert f"access:services!service={service}" in roles(values)["instructor"]["scopes"]
    assert not [s for s in roles(values)["instructor"]["scopes"] if "servers" in s or s.startswith("admin:")]
    assert roles(values)["formgrader"]["services"] == [service]


def test_every_service_a_role_names_is_defined(values):
    services = set(values["hub"]["services"])
    # the chart itself defines the culler's service when culling is on
    if values["cull"]["enabled"]:
        services.add("jupyterhub-idle-culler")
    for name, role in roles(values).items():
        assert set(role.get("services", [])) <= services, name
        for scope in role["scopes"]:
            if scope.startswith("access:services!service="):
                assert scope.split("=", 1)[1] in services, (name, scope)


def test_the_culler_role_has_exactly_the_culler_scopes(values):
    role = roles(values)["idle-culler"]
    assert role["services"] == ["jupyterhub-idle-culler"]
    assert sorted(role["scopes"]) == sorted(["list:users", "read:users:activity", "read:servers", "delete:servers"])


def test_culling_is_on_with_the_local_hub_timings(values):
    defaults = {name: default(name) for name in HubSettings.model_fields}
    assert values["cull"]["enabled"] is True
    assert values["cull"]["timeout"] == defaults["cull_timeout"] == 3600
    assert values["cull"]["every"] == defaults["cull_every"] == 300


# --- users' servers --------------------------------------------------------------------------------------

def profiles(values) -> list[dict]:
    return values["singleuser"]["profileList"]


def test_the_gpu_profile_requests_one_gpu_on_gpu_nodes(values):
    [gpu] = [p for p in profiles(values) if "GPU" in p["display_name"]]
    override = gpu["kubespawner_override"]
    assert override["extra_resource_limits"] == {"nvidia.com/gpu": "1"}
    assert override["node_selector"]
    assert any(t["key"] == "nvidia.com/gpu" and t["effect"] == "NoSchedule" for t in override["tolerations"])
    assert STUDENTS not in gpu["allowed_groups"] and "medicine" not in gpu["allowed_groups"]
    # no other profile asks for a GPU
    others = [p for p in profiles(values) if p is not gpu]
    assert not any("nvidia.com/gpu" in str(p) for p in others)


def test_one_default_cpu_profile_for_everyone(values):
    defaults = [p for p in profiles(values) if p.get("default")]
    assert [p["display_name"] for p in defaults] == ["CPU (medicine track / common core)"]
    assert "allowed_groups" not in defaults[0] and "kubespawner_override" not in defaults[0]


def test_resources_and_storage(values):
    su = values["singleuser"]
    assert su["memory"] == {"limit": "4G", "guarantee": "1G"}
    assert su["cpu"] == {"limit": 2, "guarantee": 0.5}
    assert su["storage"]["type"] == "dynamic" and su["storage"]["capacity"] == "10Gi"


def mounts(values) -> dict[str, dict]:
    storage = values["singleuser"]["storage"]
    claims = {v["name"]: v["persistentVolumeClaim"] for v in storage["extraVolumes"]}
    return {m["mountPath"]: {**m, "claim": claims[m["name"]]} for m in storage["extraVolumeMounts"]}


def test_exchange_is_shared_and_data_is_read_only(values):
    m = mounts(values)
    assert m["/srv/nbgrader/exchange"]["claim"]["claimName"] == "medai-exchange"
    assert not m["/srv/nbgrader/exchange"].get("readOnly")
    data = m["/srv/medai/data"]
    assert data["claim"]["claimName"] == "medai-datasets"
    assert data["readOnly"] is True and data["claim"]["readOnly"] is True
    assert values["singleuser"]["extraEnv"]["MEDAI_DATA"] == "/srv/medai/data"
    # the course directory (solutions, gradebook) is never mounted in a user's server
    assert not any("course" in v["persistentVolumeClaim"]["claimName"]
                   for v in values["singleuser"]["storage"]["extraVolumes"])


def role_files(values, role: str) -> dict[str, dict]:
    """extraFiles of one role's Jupyter config dir, by path relative to it."""
    base = f"/etc/medai/{role}/"
    return {f["mountPath"][len(base):]: f for f in values["singleuser"]["extraFiles"].values()
            if f["mountPath"].startswith(base)}


@pytest.mark.parametrize("role", ["student", "instructor"])
def test_role_config_equals_what_the_local_hub_writes(values, course, role):
    files = role_files(values, role)
    assert set(files) == {"nbgrader_config.py", "jupyter_server_config.json", "labconfig/page_config.json"}
    assert files["jupyter_server_config.json"]["data"] == server_config(role)
    assert files["labconfig/page_config.json"]["data"] == page_config(role)

    c = Config()
    exec(files["nbgrader_config.py"]["stringData"], {"get_config": lambda: c})
    assert c.CourseDirectory.course_id == course.course.id
    assert c.Exchange.root in mounts(values)
    assert c.ExchangeFactory.submit == PRIVATE_SUBMIT


def test_students_start_with_the_student_config(values):
    assert values["singleuser"]["extraEnv"]["JUPYTER_CONFIG_PATH"] == "/etc/medai/student"


# --- hub.extraConfig: per-role behaviour of KubeSpawner ----------------------------------------------------

class FakeHTTPError(Exception):
    def __init__(self, status_code, log_message=None, *args):
        super().__init__(status_code, log_message)
        self.status_code = status_code


@pytest.fixture
def extra_config(values, monkeypatch) -> Config:
    """The chart's KubeSpawner config after hub.extraConfig ran (tornado stubbed: not needed to test)."""
    web = types.ModuleType("tornado.web")
    web.HTTPError = FakeHTTPError
    tornado = types.ModuleType("tornado")
    tornado.web = web
    monkeypatch.setitem(sys.modules, "tornado", tornado)
    monkeypatch.setitem(sys.modules, "tornado.web", web)

    c = Config()
    c.KubeSpawner.profile_list = copy.deepcopy(profiles(values))  # what the chart sets from singleuser.*
    for _, code in sorted(values["hub"]["extraConfig"].items()):
        exec(compile(code, "hub.extraConfig", "exec"), {"c": c})
    return c


def spawner(groups: list[str], user_id: int = 7):
    user = SimpleNamespace(groups=[SimpleNamespace(name=g) for g in groups], name="u", id=user_id)
    return SimpleNamespace(user=user, environment={"JUPYTER_CONFIG_PATH": "/etc/medai/student"})


@pytest.mark.parametrize("groups", [
    [STUDENTS, "medicine"], [STUDENTS, "engineering"], [INSTRUCTORS], [STAFF], [INSTRUCTORS, STAFF], [],
])
def test_pre_spawn_hook_does_what_the_local_hub_does(extra_config, groups):
    s = spawner(groups)
    role = role_of(set(groups))
    if role == "staff":
        with pytest.raises(FakeHTTPError) as refused:
            extra_config.KubeSpawner.pre_spawn_hook(s)
        assert refused.value.status_code == 403
        return
    extra_config.KubeSpawner.pre_spawn_hook(s)
    assert s.environment["JUPYTER_CONFIG_PATH"] == f"/etc/medai/{role}"


@pytest.mark.parametrize("groups, offered", [
    ([STUDENTS, "medicine"], {"cpu-common"}),
    ([STUDENTS, "engineering"], {"cpu-common", "cpu-engineering", "gpu-deep-learning"}),
    ([INSTRUCTORS], {"cpu-common", "cpu-engineering", "gpu-deep-learning"}),
])
def test_profiles_are_offered_per_group(extra_config, groups, offered):
    listed = extra_config.KubeSpawner.profile_list(spawner(groups))
    assert {p["slug"] for p in listed} == offered


def test_each_user_runs_as_their_own_uid(extra_config, values):
    uid = extra_config.KubeSpawner.uid
    assert uid(spawner([STUDENTS], user_id=1)) != uid(spawner([STUDENTS], user_id=2))
    assert min(uid(spawner([STUDENTS], user_id=i)) for i in range(1, 50)) > 65535
    assert extra_config.KubeSpawner.gid == values["singleuser"]["fsGid"] == 100


# --- the contest page and the LMS (values-lti.yaml), as on the local hub ------------------------------------

LMS = dict(lti_issuer="https://lms.example.ac.kr", lti_client_id="medai-tool", lti_deployment_id="1",
           lti_token_url="https://lms.example.ac.kr/mod/lti/token.php",
           lti_lineitems_url="https://lms.example.ac.kr/mod/lti/services.php/2/lineitems?type_id=1",
           lti_memberships_url="https://lms.example.ac.kr/mod/lti/services.php/CourseSection/2/bindings/1/memberships")


def local_hub(course, roster, layout, **kw) -> Config:
    """The local hub's configuration as root (contests and lms-sync run only then)."""
    s = HubSettings(layout=layout, course_file=COURSE_YAML, port=8123, venv_bin=layout.root / "venv" / "bin",
                    proxy_command=("/opt/chp",), single_account=False, **kw)
    c = Config()
    apply_all(c, s, course, roster, cli_token="t" * 64)
    return c


def helm_merge(base: dict, over: dict) -> dict:
    """What `helm --values a.yaml --values b.yaml` gives: maps merged key by key, anything else replaced."""
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = helm_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


@pytest.fixture(scope="module")
def lti_values(values) -> dict:
    return helm_merge(values, yaml.safe_load(LTI_VALUES.read_text(encoding="utf-8")))


def test_the_helm_merge_is_real():
    assert helm_merge({"a": {"b": 1, "c": [1]}, "d": 1}, {"a": {"c": [2]}, "e": 2}) == {"a": {"b": 1, "c": [2]},
                                                                                       "d": 1, "e": 2}


def test_the_contest_page_is_a_service_the_same_roles_reach(values, course, roster, layout):
    local = local_hub(course, roster, layout)
    [page] = [s for s in local.JupyterHub.services if s["name"] == CONTEST_SERVICE]
    k8s = values["hub"]["services"][CONTEST_SERVICE]
    assert k8s["url"].startswith("http://medai-contest:")
    assert {k: k8s[k] for k in ("display", "oauth_no_confirm")} == {k: page[k] for k in ("display", "oauth_no_confirm")}
    assert k8s["info"] == page["info"]
    reach = {r["name"] for r in local.JupyterHub.load_roles if set(CONTEST_SCOPES) <= set(r["scopes"])}
    assert reach == {"student", "instructor", "staff"}
    assert {name for name, r in roles(values).items() if set(CONTEST_SCOPES) <= set(r["scopes"])} == reach
    # no role holds only half of them, and nothing else of the contest service is granted
    assert not [s for r in roles(values).values() for s in r["scopes"] if "contest" in s and s not in CONTEST_SCOPES]


def test_values_with_the_lti_option_validate_against_the_chart_schema(schema, lti_values):
    errors = schema_errors(schema, lti_values)
    assert not errors, describe(errors)
    broken = copy.deepcopy(lti_values)
    broken["hub"]["config"]["medaiLTI"] = {}  # hub.config keys are class names
    assert [list(e.absolute_path) for e in schema_errors(schema, broken)] == [["hub", "config"]]


def test_the_lti_option_is_the_local_hubs_authenticator(lti_values, course, roster, layout):
    local = local_hub(course, roster, layout, auth="lti13", **LMS)
    config = lti_values["hub"]["config"]
    assert config["JupyterHub"]["authenticator_class"] == local.JupyterHub.authenticator_class
    module, _, name = config["JupyterHub"]["authenticator_class"].rpartition(".")
    assert getattr(__import__(module, fromlist=[name]), name) is MedaiLTI13Authenticator
    assert config["Authenticator"]["enable_auth_state"] is local.Authenticator.enable_auth_state is True
    k8s = config["MedaiLTI13Authenticator"]
    assert set(k8s) <= set(MedaiLTI13Authenticator.class_traits(config=True)), "not a trait of the authenticator"
    want = local.MedaiLTI13Authenticator
    assert k8s["roster_keys"] == want.roster_keys  # the roster, keyed as the local hub keys it
    assert k8s["username_key"] == want.username_key == default("lti_user_key")
    assert (k8s["issuer"], set(k8s["client_id"]), k8s["deployment_id"]) == (want.issuer, want.client_id,
                                                                            want.deployment_id)
    assert lti_values["hub"]["image"]["name"] != "quay.io/jupyterhub/k8s-hub"  # the hub must import medai


def test_lms_sync_runs_in_the_hub_pod_as_the_local_hub_runs_it(lti_values, course, roster, layout):
    local = local_hub(course, roster, layout, auth="lti13", **LMS)
    [want] = [s for s in local.JupyterHub.services if s["name"] == LMS_SERVICE]
    sync = lti_values["hub"]["services"][LMS_SERVICE]
    assert [w.rsplit("/", 1)[-1] for w in sync["command"][:4]] == [w.rsplit("/", 1)[-1] for w in want["command"][:4]]
    assert sync["command"][3] == f"--every={default('lti_sync_every')}"
    assert "url" not in sync and "url" not in want  # no page: it calls the LMS
    # it never calls the hub's API: no role names it, here or on the local hub
    assert not [r for r in roles(lti_values).values() if LMS_SERVICE in r.get("services", [])]
    assert not [r for r in local.JupyterHub.load_roles if LMS_SERVICE in r.get("services", [])]
    # its environment is medai's settings, enough for a sync, and the key beside the JWKS the hub serves
    env = sync["environment"]
    assert set(env) <= {env_name(f) for f in Settings.model_fields}
    s = Settings.from_env(env)
    assert s.lms_configured and s.lti_lineitems_url and s.lti_memberships_url
    jwks = lti_values["hub"]["config"]["MedaiLTI13Authenticator"]["tool_jwks_file"]
    assert str(s.lti_key_path.with_name("jwks.json")) == jwks
    store = lti_values["hub"]["config"]["MedaiLTI13Authenticator"]["launch_store"]
    assert store == local.MedaiLTI13Authenticator.launch_store.replace(str(layout.hub_dir), "/srv/jupyterhub")
    assert s.lti_key_path.parent.as_posix().startswith("/srv/jupyterhub")  # the hub's own volume, not a user's
    assert (s.lti_issuer, s.lti_client_id) == (lti_values["hub"]["config"]["MedaiLTI13Authenticator"]["issuer"],
                                               "medai-tool")


def test_lms_sync_gets_the_gradebook_url_from_the_hub_pod(lti_values, monkeypatch):
    c = Config()
    c.JupyterHub.services = [{"name": LMS_SERVICE, "environment": {"MEDAI_ROOT": "/srv/medai"}}, {"name": "other"}]
    monkeypatch.setenv("MEDAI_GRADEBOOK_URL", "postgresql://grader@db/medai101")
    exec(compile(lti_values["hub"]["extraConfig"]["medai-lms-sync"], "hub.extraConfig", "exec"), {"c": c})
    assert c.JupyterHub.services[0]["environment"] == {"MEDAI_ROOT": "/srv/medai",
                                                       "MEDAI_GRADEBOOK_URL": "postgresql://grader@db/medai101"}
    assert "environment" not in c.JupyterHub.services[1]
    assert lti_values["hub"]["extraEnv"]["MEDAI_GRADEBOOK_URL"]["valueFrom"]["secretKeyRef"]  # never in the file
