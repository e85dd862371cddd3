"""The hub configuration, applied to a bare traitlets Config (no server started)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from tornado import web
from traitlets.config import Config

from medai.hub.apply import (CONTEST_SCOPES, CONTEST_SERVICE, GRADE_ON_SUBMIT_SERVICE, apply_all, formgrader_service,
                             hub_groups)
from medai.hub.jupyter_files import page_config, server_config
from medai.hub.settings import HubSettings
from tests.conftest import COURSE_YAML


def settings(layout, **kw) -> HubSettings:
    base = dict(layout=layout, course_file=COURSE_YAML, port=8123, venv_bin=layout.root / "venv" / "bin",
                proxy_command=("/opt/chp",))
    return HubSettings(**{**base, **kw})


def applied(course, roster, layout, **kw) -> Config:
    c = Config()
    apply_all(c, settings(layout, **kw), course, roster, cli_token="t" * 64)
    return c


def spawner_for(groups: list[str]):
    user = SimpleNamespace(groups=[SimpleNamespace(name=g) for g in groups], name="u")
    return SimpleNamespace(user=user, environment={})


def test_hub_listens_on_loopback_and_keeps_state_in_the_data_root(course, roster, layout):
    c = applied(course, roster, layout)
    assert c.JupyterHub.bind_url == "http://127.0.0.1:8123"
    assert c.JupyterHub.hub_ip == "127.0.0.1"
    assert c.JupyterHub.db_url == f"sqlite:///{layout.hub_dir / 'jupyterhub.sqlite'}"
    assert c.JupyterHub.cookie_secret_file.startswith(str(layout.hub_dir))
    assert c.ConfigurableHTTPProxy.command == ["/opt/chp"]
    assert c.ConfigurableHTTPProxy.api_url.startswith("http://127.0.0.1:")
    assert c.JupyterHub.cleanup_servers is True and c.JupyterHub.cleanup_proxy is True


def test_only_roster_users_may_log_in_and_nobody_is_admin(course, roster, layout):
    c = applied(course, roster, layout)
    assert c.Authenticator.allowed_users == {p.id for p in roster.people}
    assert c.Authenticator.allow_all is False
    assert c.Authenticator.admin_users == set()
    assert c.FirstUseAuthenticator.create_users is False


@pytest.mark.parametrize("auth, cls", [
    ("firstuse", "medai.hub.auth.ThreadedFirstUseAuthenticator"),
    ("shared-password", "shared-password"),
    ("oauth", "generic-oauth"),
    ("lti13", "medai.hub.lti.MedaiLTI13Authenticator"),
])
def test_authentication_is_a_switch_that_keeps_the_roster_allow_list(course, roster, layout, auth, cls):
    c = applied(course, roster, layout, auth=auth, shared_password="long-enough")
    assert c.JupyterHub.authenticator_class == cls
    assert c.Authenticator.allowed_users == {p.id for p in roster.people}


def test_bad_auth_settings_are_refused(layout):
    with pytest.raises(ValueError, match="choose one of"):
        settings(layout, auth="ldap")
    with pytest.raises(ValueError, match="at least 8"):
        settings(layout, auth="shared-password", shared_password="short")


def test_groups_follow_the_roster(course, roster, layout):
    c = applied(course, roster, layout)
    groups = {name: spec["users"] for name, spec in c.JupyterHub.load_groups.items()}
    assert groups["medicine"] == ["med01", "med02", "med03"]
    assert groups["engineering"] == ["eng01", "eng02", "eng03"]
    assert groups["students"] == sorted(groups["medicine"] + groups["engineering"])
    assert groups["instructors"] == ["prof01"]
    assert groups["staff"] == ["staff01"]
    assert hub_groups(course, roster) == groups


def test_rbac_instructors_reach_the_formgrader_staff_reach_no_server(course, roster, layout):
    c = applied(course, roster, layout)
    roles = {r["name"]: r for r in c.JupyterHub.load_roles}
    fg = formgrader_service(course)
    assert f"access:services!service={fg}" in roles["instructor"]["scopes"]
    assert roles["instructor"]["groups"] == ["instructors"]
    assert roles["staff"]["groups"] == ["staff"]
    for role in roles.values():  # no role widens access to users' servers
        assert not any(s.startswith(("access:servers", "servers", "admin:server")) for s in role["scopes"]), role
    # students: JupyterHub's default `user` role (their own server), and their own course from the progress
    # service (the My-course panel; the service answers a student for themselves only, tests/test_my_course.py)
    assert [name for name, r in roles.items() if "students" in r.get("groups", [])] == ["student"]
    assert roles["student"]["scopes"] == ["access:services!service=progress", "read:services!service=progress",
                                          *CONTEST_SCOPES]  # the course has contests (tests below)
    reach_progress = {name for name, r in roles.items() if "access:services!service=progress" in r["scopes"]}
    assert reach_progress == {"staff", "instructor", "student"}
    # each server's token: JupyterHub's own scopes, plus what the panel needs (only what its user holds)
    assert c.Spawner.server_token_scopes == ["users:activity!user", "access:servers!server",
                                             "access:services!service=progress", "read:services!service=progress",
                                             *CONTEST_SCOPES]  # My course's Contests section calls the service
    assert set(roles["idle-culler"]["scopes"]) >= {"list:users", "read:users:activity", "delete:servers"}


def test_system_mode_spawns_each_user_as_their_own_account_with_limits(course, roster, layout):
    c = applied(course, roster, layout)
    assert c.JupyterHub.spawner_class == "medai.hub.spawner.LimitedLocalProcessSpawner"
    assert c.Spawner.cmd == [f"{layout.root}/venv/bin/jupyterhub-singleuser"]
    assert c.Spawner.environment["PATH"].startswith(f"{layout.root}/venv/bin:")
    assert c.Spawner.mem_limit == "4G" and c.Spawner.cpu_limit == 2.0
    single = applied(course, roster, layout, single_account=True)
    assert single.JupyterHub.spawner_class == "jupyterhub.spawner.SimpleLocalProcessSpawner"


def test_each_role_gets_its_jupyter_config_and_staff_get_no_server(course, roster, layout):
    hook = applied(course, roster, layout).Spawner.pre_spawn_hook
    for groups, role in ((["students", "medicine"], "student"), (["instructors"], "instructor")):
        spawner = spawner_for(groups)
        hook(spawner)
        assert spawner.environment["JUPYTER_CONFIG_PATH"] == str(layout.role_config_dir(role))
    with pytest.raises(web.HTTPError) as err:
        hook(spawner_for(["staff"]))
    assert err.value.status_code == 403


def test_services_formgrader_culler_scheduler(course, roster, layout):
    c = applied(course, roster, layout)
    services = {s["name"]: s for s in c.JupyterHub.services}
    fg = services[formgrader_service(course)]
    assert fg["user"] == "medai-grader"
    assert fg["environment"]["JUPYTERHUB_DEFAULT_URL"] == "/formgrader"
    assert fg["url"] == "http://127.0.0.1:8133"
    assert "--timeout=3600" in services["idle-culler"]["command"]
    assert services["release-scheduler"]["command"][1:3] == ["release", "--due"]
    assert services["medai-cli"]["api_token"] == "t" * 64
    progress = services["progress"]
    assert progress["url"] == "http://127.0.0.1:8134"  # hub port + 11, loopback
    assert progress["command"][0] == f"{layout.root}/venv/bin/medai" and progress["command"][1:3] == ["report", "serve"]
    assert progress["user"] == "medai-grader"
    assert progress["environment"]["MEDAI_COURSE_DIR"] == fg["environment"]["MEDAI_COURSE_DIR"]
    single = {s["name"]: s for s in applied(course, roster, layout, single_account=True).JupyterHub.services}
    assert "user" not in single[formgrader_service(course)]
    assert "user" not in single["progress"]


def test_grade_on_submit_follows_the_course_policy_and_the_environment(course, roster, layout):
    def service(**settings):
        services = {s["name"]: s for s in applied(course, roster, layout, **settings).JupyterHub.services}
        return services.get(GRADE_ON_SUBMIT_SERVICE)

    assert course.grading.on_submit
    watch = service()
    assert watch["command"][1:3] == ["grade-watch", "--quiet"] and "user" not in watch  # root: it builds the sandbox
    assert f"--course-dir={layout.course_dir}" in watch["command"]
    assert "/usr/sbin" in watch["environment"]["PATH"].split(":")  # useradd: sandbox accounts made on first use
    assert service(sandbox_prefix="medai-sbxt")["environment"]["MEDAI_SANDBOX_PREFIX"] == "medai-sbxt"
    assert service(grade_on_submit=False) is None
    assert service(single_account=True) is None  # no root, no sandbox: never grade student code there
    off = course.model_copy(update={"grading": course.grading.model_copy(update={"on_submit": False})})
    assert GRADE_ON_SUBMIT_SERVICE not in {s["name"] for s in applied(off, roster, layout).JupyterHub.services}
    assert {s["name"] for s in applied(off, roster, layout, grade_on_submit=True).JupyterHub.services} >= {
        GRADE_ON_SUBMIT_SERVICE}


def test_the_contest_page_is_a_root_service_open_to_the_course_when_there_are_contests(course, roster, layout):
    c = applied(course, roster, layout)
    page = {s["name"]: s for s in c.JupyterHub.services}[CONTEST_SERVICE]
    assert page["url"] == "http://127.0.0.1:8136" and page["command"][1:3] == ["contest", "serve"]
    assert "user" not in page  # root: submissions run in the grading sandbox
    assert "/usr/sbin" in page["environment"]["PATH"].split(":")
    roles = {r["name"]: r for r in c.JupyterHub.load_roles}
    assert {n for n, r in roles.items() if CONTEST_SCOPES[0] in r["scopes"]} == {"student", "instructor", "staff"}
    none = course.model_copy(update={"contests": []})
    bare = applied(none, roster, layout)
    assert CONTEST_SERVICE not in {s["name"] for s in bare.JupyterHub.services}
    assert not any(CONTEST_SCOPES[0] in r["scopes"] for r in bare.JupyterHub.load_roles)
    single = applied(course, roster, layout, single_account=True)
    assert CONTEST_SERVICE not in {s["name"] for s in single.JupyterHub.services}  # no root, no sandbox


def test_staff_land_on_the_progress_page_and_everyone_else_on_their_server(course, roster, layout):
    landing = applied(course, roster, layout).JupyterHub.default_url

    def handler(groups):
        user = SimpleNamespace(groups=[SimpleNamespace(name=g) for g in groups])
        return SimpleNamespace(current_user=user, base_url="/")

    assert landing(handler(["staff"])) == "/services/progress/"
    assert landing(handler(["students", "medicine"])) == "" and landing(handler(["instructors"])) == ""
    assert landing(SimpleNamespace(current_user=None, base_url="/")) == ""


def test_students_see_only_the_assignment_list(course):
    student_lab = page_config("student")["disabledExtensions"]
    assert {"@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
            "@jupyter/nbgrader:course-list"} <= set(student_lab)
    assert "@jupyter/nbgrader:assignment-list" not in student_lab
    assert "@jupyter/nbgrader:create-assignment" not in page_config("instructor")["disabledExtensions"]
    ext = server_config("student")["ServerApp"]["jpserver_extensions"]
    assert ext["nbgrader.server_extensions.formgrader"] is False
    assert ext["nbgrader.server_extensions.assignment_list"] is True
    assert server_config("grader")["ServerApp"]["jpserver_extensions"]["nbgrader.server_extensions.formgrader"]


def test_a_gradebook_server_reaches_the_grader_services_and_the_grader_config(course, roster, layout, monkeypatch):
    from medai.nbgrader_adapter.config import nbgrader_settings
    from medai.settings import Settings

    monkeypatch.setenv("MEDAI_GRADEBOOK_URL", "postgresql://grader@db.internal/medai101")
    pg = Settings.from_env(root=layout.root).layout
    assert pg.gradebook_url == "postgresql://grader@db.internal/medai101"
    assert nbgrader_settings(course, pg, role="grader")[("CourseDirectory", "db_url")] == pg.gradebook_url
    services = {s["name"]: s for s in applied(course, roster, pg).JupyterHub.services}
    for name in ("progress", "release-scheduler", GRADE_ON_SUBMIT_SERVICE, formgrader_service(course)):
        assert services[name]["environment"]["MEDAI_GRADEBOOK_URL"] == pg.gradebook_url, name
    monkeypatch.delenv("MEDAI_GRADEBOOK_URL")
    assert Settings.from_env(root=layout.root).layout.gradebook_url == f"sqlite:///{layout.root / 'course' / 'gradebook.db'}"


LMS = dict(lti_issuer="https://canvas.instructure.com", lti_client_id="10000000000001",
           lti_token_url="https://sso.canvaslms.com/login/oauth2/token", lti_deployment_id="1:abc",
           lti_lineitems_url="https://u.instructure.com/api/lti/courses/7/line_items",
           lti_memberships_url="https://u.instructure.com/api/lti/courses/7/names_and_roles")


def test_an_lms_gets_the_launch_and_a_grade_sync_service(course, roster, layout):
    plain = {s["name"] for s in applied(course, roster, layout).JupyterHub.services}
    assert "lms-sync" not in plain  # no LMS configured: no service
    c = applied(course, roster, layout, auth="lti13", **LMS)
    services = {s["name"]: s for s in c.JupyterHub.services}
    sync = services["lms-sync"]
    assert sync["command"][1:4] == ["lms", "sync", "--every=300"] and "user" not in sync  # reads the root-only key
    a = c.MedaiLTI13Authenticator
    assert a.issuer == LMS["lti_issuer"] and a.client_id == {LMS["lti_client_id"]}
    assert a.deployment_id == "1:abc" and a.username_key == "email"
    assert a.roster_keys == {p.email.lower(): p.id for p in roster.people}
    assert c.Authenticator.enable_auth_state is True and len(c.CryptKeeper["keys"][0]) == 32  # Config: ["keys"], .keys is dict's
    key = layout.hub_dir / "lms" / "auth-state-key"
    assert key.stat().st_mode & 0o777 == 0o600
    assert applied(course, roster, layout, auth="lti13", **LMS).CryptKeeper["keys"] == c.CryptKeeper["keys"]  # kept
    by_id = applied(course, roster, layout, auth="lti13", lti_user_key="custom_student_number", **LMS)
    assert by_id.MedaiLTI13Authenticator.roster_keys == {p.id: p.id for p in roster.people}
    off = {s["name"] for s in applied(course, roster, layout, lti_push=False, **LMS).JupyterHub.services}
    assert "lms-sync" not in off


def test_the_spawn_progress_lines_are_in_both_languages(course, roster, layout):
    import asyncio

    from medai.hub.spawn_progress import ready_event, starting_event
    from medai.hub.spawner import LimitedLocalProcessSpawner

    assert applied(course, roster, layout).Spawner.progress_ready_hook is ready_event
    ready = ready_event(None, {"progress": 100, "ready": True, "url": "/user/med1/",
                               "message": "Server ready at /user/med1/",
                               "html_message": 'Server ready at <a href="/user/med1/">/user/med1/</a>'})
    assert ready["message"] == "내 서버가 준비되었습니다: /user/med1/ · Your server is ready: /user/med1/"
    assert ready["html_message"].count('<a href="/user/med1/">/user/med1/</a>') == 2 and ready["ready"]
    assert starting_event()["message"] == "내 서버(JupyterLab)를 시작하는 중... · Starting your server (JupyterLab)..."

    async def first():
        async for event in LimitedLocalProcessSpawner().progress():
            return event
    assert asyncio.run(first()) == starting_event()  # instead of JupyterHub's "Spawning server..."
