"""Pure functions that apply medai's hub configuration to a traitlets Config.

No I/O happens here: each function reads the settings, the course and the roster, and sets config values.
jupyterhub_config.py calls :func:`apply_all`; tests apply them to a bare ``traitlets.Config()``.
"""
from __future__ import annotations

from pathlib import Path

from medai.course import Course, Roster
from medai.course.model import ROLE_GROUPS
from medai.hub.settings import HubSettings
from medai.hub.storage import parse_size
from medai.i18n import translator
from medai.settings import env_name

# hub groups: one per roster role (named in medai.course.model), and students per track from the course's tracks
STUDENTS, INSTRUCTORS, STAFF = ROLE_GROUPS["student"], ROLE_GROUPS["instructor"], ROLE_GROUPS["staff"]
GRADER_ACCOUNT = "medai-grader"  # the Unix account that owns the course directory and runs the formgrader
CLI_SERVICE = "medai-cli"
LMS_SERVICE = "lms-sync"  # grades back to the LMS (medai lms sync --every), when one is configured
PROGRESS_SERVICE = "progress"  # the staff progress page (`medai report serve`)
GRADE_ON_SUBMIT_SERVICE = "grade-on-submit"
STORAGE_SERVICE = "storage-guard"
PROGRESS_PORT_OFFSET = 11  # it listens on 127.0.0.1:<hub port + 11>; the formgrader on + 10
CONTEST_SERVICE = "contest"  # the contests' leaderboard page (`medai contest serve`), when course.yaml has contests
CONTEST_PORT_OFFSET = 13
CONTEST_SCOPES = [f"access:services!service={CONTEST_SERVICE}", f"read:services!service={CONTEST_SERVICE}"]
TEMPLATES = Path(__file__).with_name("templates")  # the hub's pages: medai's, extending JupyterHub's own
# what a user's server may do with its hub token: JupyterHub's own (activity, its server) and, for the My-course
# panel (medai.hub.my_course), find and call the progress service; each token holds only what its user holds
MY_COURSE_SCOPES = [f"access:services!service={PROGRESS_SERVICE}", f"read:services!service={PROGRESS_SERVICE}"]
SERVER_TOKEN_SCOPES = ["users:activity!user", "access:servers!server", *MY_COURSE_SCOPES]
STAFF_NO_SERVER = "Program staff accounts have no notebook server"  # the pre-spawn hook's 403 (error.html)
LOCALE_DIR = Path(__file__).with_name("locale")  # the hub pages' catalogue: locale/ko/LC_MESSAGES/hub.po
HUB_DOMAIN = "hub"


def formgrader_service(course: Course) -> str:
    """Name of the hub service that serves nbgrader's formgrader for this course."""
    return f"formgrader-{course.course.id}"


def progress_url(s: HubSettings) -> str:
    """Where the staff progress page listens (loopback only; the proxy serves it to browsers)."""
    return f"http://127.0.0.1:{s.port + PROGRESS_PORT_OFFSET}"


def contest_url(s: HubSettings) -> str:
    """Where the contest page listens (loopback only)."""
    return f"http://127.0.0.1:{s.port + CONTEST_PORT_OFFSET}"


def apply_hub(c, s: HubSettings) -> None:
    """Where the hub listens and keeps its state; the proxy it starts (configurable-http-proxy)."""
    hub = s.layout.hub_dir
    c.JupyterHub.bind_url = f"http://{s.ip}:{s.port}"
    c.JupyterHub.hub_ip = "127.0.0.1"
    c.JupyterHub.hub_port = s.hub_api_port
    c.JupyterHub.db_url = f"sqlite:///{hub / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(hub / "jupyterhub_cookie_secret")
    c.JupyterHub.pid_file = str(hub / "jupyterhub.pid")
    c.JupyterHub.proxy_class = "configurable-http-proxy"
    c.ConfigurableHTTPProxy.command = list(s.proxy_command)
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{s.proxy_api_port}"
    c.ConfigurableHTTPProxy.pid_file = str(hub / "proxy.pid")
    c.ConfigurableHTTPProxy.should_start = True
    # Ctrl-C on `medai up` stops the proxy and every user's server it started
    c.JupyterHub.cleanup_servers = True
    c.JupyterHub.cleanup_proxy = True
    c.JupyterHub.log_level = "DEBUG" if s.debug else "INFO"
    if s.subdomain_host:
        # production: every user's server and every service on an origin of its own (<name>.<host>,
        # <service>--service.<host>), so a script in one cannot read or act on another's pages or the hub's
        c.JupyterHub.subdomain_host = s.subdomain_host


def apply_auth(c, s: HubSettings, roster: Roster) -> None:
    """Only roster users can log in, whatever the authenticator; nobody is a hub admin by default."""
    c.Authenticator.allowed_users = {p.id for p in roster.people}
    c.Authenticator.allow_all = False
    c.Authenticator.admin_users = set()
    if s.auth == "firstuse":
        # each roster user chooses a password at their first login; names outside the roster are refused
        # (FirstUseAuthenticator's rules and password file; bcrypt off the hub's event loop, see medai.hub.auth)
        c.JupyterHub.authenticator_class = "medai.hub.auth.ThreadedFirstUseAuthenticator"
        c.FirstUseAuthenticator.create_users = False
        c.FirstUseAuthenticator.min_password_length = 8
        c.FirstUseAuthenticator.dbm_path = str(s.layout.hub_dir / "passwords.dbm")
    elif s.auth == "shared-password":
        # the demo: every roster user logs in with one password (MEDAI_DEMO_PASSWORD)
        c.JupyterHub.authenticator_class = "shared-password"
        c.SharedPasswordAuthenticator.user_password = s.shared_password
    elif s.auth == "oauth":
        # university SSO over OpenID Connect: the endpoints and client come from OAUTH_* variables
        # (OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET, OAUTH_CALLBACK_URL, OAUTH2_AUTHORIZE_URL, OAUTH2_TOKEN_URL,
        # OAUTH2_USERDATA_URL) read by oauthenticator itself; the roster still decides who may enter.
        c.JupyterHub.authenticator_class = "generic-oauth"
        c.GenericOAuthenticator.username_claim = "preferred_username"
        c.GenericOAuthenticator.scope = ["openid", "profile", "email"]
    elif s.auth == "lti13":
        # an LMS (Canvas, Moodle, Blackboard) launches the hub with LTI 1.3 (ltiauthenticator, medai.hub.lti):
        # the platform from MEDAI_LTI_* (README "The university's LMS"), launches mapped to roster people
        from medai.hub.lti import apply_lti

        apply_lti(c, s, roster)


def hub_groups(course: Course, roster: Roster) -> dict[str, list[str]]:
    """Group name -> sorted member ids: students, one group per student track, instructors, staff."""
    groups: dict[str, list[str]] = {STUDENTS: [], INSTRUCTORS: [], STAFF: []}
    for track in course.student_tracks:
        groups[track] = []
    for name, members in roster.groups().items():
        groups.setdefault(name, []).extend(members)
    return {name: sorted(set(members)) for name, members in groups.items()}


def apply_groups_and_roles(c, s: HubSettings, course: Course, roster: Roster) -> None:
    """RBAC: students reach only their own server (JupyterHub's default `user` role); instructors reach the
    course's formgrader service and the progress page; staff reach the progress page and no user's server.
    Services get just the scopes they use."""
    c.JupyterHub.load_groups = {
        name: {"users": members, "properties": {"medai": True}}
        for name, members in hub_groups(course, roster).items()
    }
    formgrader = formgrader_service(course)
    c.JupyterHub.load_roles = [
        {
            "name": "student",
            "description": "Reads their own course (the My-course panel) from the progress service",
            "groups": [STUDENTS],
            "scopes": MY_COURSE_SCOPES,
        },
        {
            "name": "instructor",
            "description": "Grades the course through its formgrader service",
            "groups": [INSTRUCTORS],
            "scopes": [
                f"access:services!service={formgrader}",
                f"read:services!service={formgrader}",
                f"access:services!service={PROGRESS_SERVICE}",
                f"read:services!service={PROGRESS_SERVICE}",
                "list:services",
                "self",
            ],
        },
        {
            "name": "staff",
            "description": "Program staff: reports and progress pages; no access to anyone's server",
            "groups": [STAFF],
            "scopes": [f"access:services!service={PROGRESS_SERVICE}", "list:services", "read:services", "self"],
        },
        {
            "name": "idle-culler",
            "description": "Stops servers idle for longer than the cull timeout",
            "services": ["idle-culler"],
            "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
        },
        {
            "name": "medai-cli",
            "description": "medai's own commands: keep hub users and groups equal to the roster",
            "services": [CLI_SERVICE],
            "scopes": ["admin:users", "admin:groups", "list:users", "list:groups", "read:users", "read:groups"],
        },
    ]
    if runs_contests(s, course):  # students, instructors and staff reach the contest page
        for role in c.JupyterHub.load_roles:
            if role["name"] in ("student", "instructor", "staff"):
                role["scopes"] = [*role["scopes"], *CONTEST_SCOPES]
    c.JupyterHub.default_url = landing_page


def landing_page(handler) -> str:
    """Where a user lands after logging in: staff (who get no server) on the progress page; everyone else where
    JupyterHub sends them ("" keeps its default: their own server)."""
    user = handler.current_user
    if user is not None and STAFF in {g.name for g in user.groups}:
        return f"{handler.base_url}services/{PROGRESS_SERVICE}/"
    return ""


def role_of(group_names: set[str]) -> str:
    """The role whose Jupyter configuration a user's server gets."""
    if INSTRUCTORS in group_names:
        return "instructor"
    if STAFF in group_names:
        return "staff"
    return "student"


def apply_spawner(c, s: HubSettings) -> None:
    """Each user's JupyterLab runs as their own Unix account (system mode), with limits and culling."""
    bin_dir = str(s.venv_bin)
    if s.single_account:
        # DEVELOPER LAPTOP ONLY: every server runs as the account that runs the hub; users can read each
        # other's files. Never use this with real students.
        c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"
        c.SimpleLocalProcessSpawner.home_dir_template = str(s.layout.home_dir / "{username}")
    else:
        c.JupyterHub.spawner_class = "medai.hub.spawner.LimitedLocalProcessSpawner"
        c.LimitedLocalProcessSpawner.max_processes = s.max_processes
        # storage (medai.hub.storage): a cap on every file, private /proc (hidepid) and /tmp per server
        c.LimitedLocalProcessSpawner.file_size_limit = parse_size(s.file_limit)
        c.LimitedLocalProcessSpawner.tmp_size = parse_size(s.tmp_limit)
        c.LimitedLocalProcessSpawner.keep_paths = [str(s.layout.root)]
        # every server's HOME and root folder are <root>/home/<user>, whatever the account's passwd home says
        c.LimitedLocalProcessSpawner.home_root = str(s.layout.home_dir)
    c.Spawner.cmd = [f"{bin_dir}/jupyterhub-singleuser"]
    c.Spawner.server_token_scopes = SERVER_TOKEN_SCOPES
    c.Spawner.default_url = "/lab"
    # a save that hits the home's limit tells the student so, in words (medai.hub.full_home)
    c.Spawner.args = ["--ServerApp.contents_manager_class=medai.hub.full_home.StorageLimitContentsManager"]
    c.Spawner.mem_limit = s.mem_limit
    c.Spawner.cpu_limit = s.cpu_limit
    c.Spawner.http_timeout = 120
    c.Spawner.start_timeout = 180
    c.Spawner.environment = {
        # nbgrader runs `alembic` by name: the environment's bin/ comes first on PATH
        "PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin",
        env_name("data_dir"): str(s.data_path),  # where medai.datasets finds the built data (MEDAI_DATA)
    }
    c.Spawner.pre_spawn_hook = _role_config_hook(s)
    # the spawn-pending page's "ready" line in both languages (medai.hub.spawn_progress)
    from medai.hub.spawn_progress import ready_event

    c.Spawner.progress_ready_hook = ready_event


def _role_config_hook(s: HubSettings):
    """A pre-spawn hook that gives each server its role's Jupyter configuration (nbgrader course, exchange,
    which nbgrader extensions show), and refuses a server to staff accounts."""
    etc = s.layout.etc_dir

    def pre_spawn_hook(spawner) -> None:
        from tornado import web

        role = role_of({g.name for g in spawner.user.groups})
        if role == "staff":
            raise web.HTTPError(403, f"{STAFF_NO_SERVER}; use the hub's services.")
        spawner.environment["JUPYTER_CONFIG_PATH"] = str(etc / role)
        from medai.hub.user_language import spawn_language

        spawner.environment[env_name("lang")] = spawn_language(s, spawner.user.name)

    return pre_spawn_hook



def apply_pages(c, course: Course) -> None:
    """The hub's pages: medai's templates (hub_config/templates/) extend JupyterHub's own. The login page names the
    course and says what to do; staff's home page links to the progress page instead of a server they do not
    have; instructors' also to their formgrader; a 403 says why, for the role that reached it, and where to go
    instead. Every sentence is an English msgid of the "hub" catalogue, shown Korean first with the English
    beside it (the pages are read before anyone's language is known)."""
    c.JupyterHub.template_paths = [str(TEMPLATES)]
    c.JupyterHub.template_vars = {
        "medai_role": page_role,  # JupyterHub calls it with the page's current user
        "ko": hub_korean,  # ditto; it gives the pages their Korean: ko(msgid)
        "medai": {"progress": PROGRESS_SERVICE, "formgrader": formgrader_service(course),
                  "contest": CONTEST_SERVICE if course.contests else "",  # the home page's button to the contests
                  "staff_no_server": STAFF_NO_SERVER,
                  "course_title": course.course.title, "course_title_ko": course.course.title_ko,
                  "first_use_passwords": first_use_passwords},
    }


def hub_korean(user):
    """The hub pages' Korean, whoever `user` is (JupyterHub calls every callable of template_vars with the
    page's user): msgid -> its Korean in hub_config/locale/ko/LC_MESSAGES/hub.po."""
    return translator("ko", domain=HUB_DOMAIN, localedir=LOCALE_DIR).gettext


def first_use_passwords(authenticator) -> bool:
    """Whether the login page's authenticator lets each user choose their password at their first login."""
    from firstuseauthenticator import FirstUseAuthenticator

    return isinstance(authenticator, FirstUseAuthenticator)


def page_role(user) -> str:
    """The role a hub page is shown for: "student", "instructor" or "staff"; "" when nobody is logged in."""
    return role_of({g.name for g in user.groups}) if user is not None else ""


def apply_services(c, s: HubSettings, course: Course, *, cli_token: str) -> None:
    """Hub-managed services: the course's formgrader, the idle culler, the release scheduler, the staff
    progress page, a token for medai's own commands, the storage guard, and grade on submit (see
    grades_on_submit)."""
    bin_dir = str(s.venv_bin)
    course_dir = str(s.layout.course_dir)
    grader_env = {
        "PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin",
        "JUPYTER_CONFIG_PATH": str(s.layout.role_config_dir("grader")),
        "JUPYTERHUB_DEFAULT_URL": "/formgrader",
        # every setting the hub has (root, course, course directory, gradebook, sandbox prefix, ...), passwords
        # left out, so the services' own medai commands read the same ones back (medai.settings)
        **s.replace(course_dir=s.layout.course_dir).to_env(secrets=False),
    }
    run_as = {} if s.single_account else {"user": GRADER_ACCOUNT}
    c.JupyterHub.services = [
        {
            # nbgrader's formgrader, opened in its own browser tab: JupyterHub >= 4.1 forbids framing
            # single-user pages (frame-ancestors 'none'), which blanks the formgrader inside Lab
            "name": formgrader_service(course),
            "display": True,
            "info": {"description": f"Formgrader for {course.course.title}"},
            "url": s.formgrader_url,
            "command": [f"{bin_dir}/jupyterhub-singleuser", f"--ServerApp.root_dir={course_dir}"],
            "cwd": course_dir,
            "environment": grader_env,
            "oauth_no_confirm": True,
            **run_as,
        },
        {
            "name": "idle-culler",
            "command": [
                f"{bin_dir}/python", "-m", "jupyterhub_idle_culler",
                f"--timeout={s.cull_timeout}", f"--cull-every={s.cull_every}",
            ],
        },
        {
            # releases every assignment whose release date has passed, so releases happen on time
            "name": "release-scheduler",
            "command": [
                f"{bin_dir}/medai", "release", "--due", f"--every={s.release_every}",
                f"--course={s.course_file}", f"--course-dir={course_dir}",
            ],
            "environment": {k: v for k, v in grader_env.items() if k != "JUPYTERHUB_DEFAULT_URL"},
            "cwd": course_dir,
            **run_as,
        },
        {
            # the staff progress page: cohort table, a page per student, plots and downloads; it reads the
            # gradebook, so it runs as the grader account; the hub's OAuth admits staff and instructors only
            "name": PROGRESS_SERVICE,
            "display": True,
            "info": {"description": "Progress across the tracks, and report export (CSV, Excel, PDF)"},
            "url": progress_url(s),
            "command": [
                f"{bin_dir}/medai", "report", "serve",
                f"--course={s.course_file}", f"--course-dir={course_dir}",
            ],
            "environment": {**{k: v for k, v in grader_env.items() if k != "JUPYTERHUB_DEFAULT_URL"},
                            # students' My-course panels say "grading…" after a submit only when it is true
                            env_name("grade_on_submit"): "true" if grades_on_submit(s, course) else "false"},
            "cwd": course_dir,
            "oauth_no_confirm": True,
            **run_as,
        },
        {"name": CLI_SERVICE, "api_token": cli_token},
        {
            # the storage guard: keeps the newest submissions per student and assignment in inbound (as root:
            # inbound holds folders any student made) and logs who is near or over their home's limit
            "name": STORAGE_SERVICE,
            "command": [
                f"{bin_dir}/medai", "storage", "--prune", f"--keep={s.submissions_keep}",
                f"--every={s.storage_every}", f"--course={s.course_file}", f"--course-dir={course_dir}",
            ],
            "environment": {k: v for k, v in grader_env.items() if k != "JUPYTERHUB_DEFAULT_URL"},
            "cwd": str(s.layout.hub_dir),
        },
    ]
    if s.lms_configured and s.lti_push:  # the endpoints: the launches' (medai.lti_store), else the settings'
        # grades back to the LMS: every round posts what changed since (a hand grade in the formgrader, a
        # regrade) and retries the outbox; as the hub's account, the only one that reads the tool's key
        c.JupyterHub.services.append({
            "name": LMS_SERVICE,
            "command": [f"{bin_dir}/medai", "lms", "sync", f"--every={s.lti_sync_every}",
                        f"--course={s.course_file}", f"--course-dir={course_dir}"],
            "environment": {k: v for k, v in grader_env.items() if k != "JUPYTERHUB_DEFAULT_URL"},
            "cwd": str(s.layout.hub_dir),
        })
    if grades_on_submit(s, course):
        c.JupyterHub.services.append({
            # grade on submit: collects each new submission, grades it in the sandbox (which needs root: this
            # service runs as the hub's account; student code runs as sandbox accounts, the gradebook is written
            # as the grader) and returns the feedback; hidden tests follow course.yaml's grading policy
            "name": GRADE_ON_SUBMIT_SERVICE,
            "command": [
                f"{bin_dir}/medai", "grade-watch", "--quiet", f"--workers={s.grade_workers}",
                f"--course={s.course_file}", f"--course-dir={course_dir}",
            ],
            "environment": {**{k: v for k, v in grader_env.items() if k != "JUPYTERHUB_DEFAULT_URL"},
                            # useradd (sandbox accounts are created on first use) lives in /usr/sbin
                            "PATH": f"{bin_dir}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
            "cwd": course_dir,
        })


    if runs_contests(s, course):
        # the My-course panel's Contests section: each server calls the contest service as its user
        c.Spawner.server_token_scopes = [*SERVER_TOKEN_SCOPES, *CONTEST_SCOPES]
        c.JupyterHub.services.append({
            # the contests' page: leaderboards, team submissions run in the grading sandbox (so as root, as grade
            # on submit), the instructors' view and reveal; the hub's OAuth admits the course's users
            "name": CONTEST_SERVICE,
            "display": True,
            "info": {"description": "Contests: leaderboards and submissions"},
            "url": contest_url(s),
            "command": [f"{bin_dir}/medai", "contest", "serve", f"--course={s.course_file}",
                        f"--course-dir={course_dir}"],
            "environment": {**{k: v for k, v in grader_env.items() if k != "JUPYTERHUB_DEFAULT_URL"},
                            "PATH": f"{bin_dir}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
            "cwd": course_dir,
            "oauth_no_confirm": True,
        })


def runs_contests(s: HubSettings, course: Course) -> bool:
    """Whether the hub runs the contest page: the course has contests and the hub has root (for the sandbox)."""
    return bool(course.contests) and not s.single_account


def grades_on_submit(s: HubSettings, course: Course) -> bool:
    """Whether the hub runs the grade-on-submit service: the environment overrides course.yaml; never with
    single_account (no root, so no sandbox for student code)."""
    wanted = course.grading.on_submit if s.grade_on_submit is None else s.grade_on_submit
    return wanted and not s.single_account


def apply_all(c, s: HubSettings, course: Course, roster: Roster, *, cli_token: str) -> None:
    apply_hub(c, s)
    apply_pages(c, course)
    apply_auth(c, s, roster)
    apply_groups_and_roles(c, s, course, roster)
    apply_spawner(c, s)
    apply_services(c, s, course, cli_token=cli_token)
