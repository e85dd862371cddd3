"""Every `MEDAI_*` setting and its default, in one pydantic model: the only place the environment is read.

:meth:`Settings.from_env` reads each field's variable (``json_schema_extra["env"]``; an empty value is unset),
validates, and turns a bad value into a :class:`SettingsError` that names the variable (the CLI prints it,
exit 2). :meth:`Settings.to_env` writes the variables back, so `medai up` hands the hub process, and the hub
its services, exactly these settings. README's "Production configuration" table is :func:`markdown_rows`
(tests/test_settings.py fails when it is missing a row or a row is stale); :func:`json_schema` is the schema.

A leaf: it imports medai.errors and medai.course.layout only, so every layer but medai.course may use it.
"""
from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from medai.course.layout import Layout
from medai.errors import UserError

UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([KMGT]?)")


class SettingsError(UserError, ValueError):
    """A setting (an environment variable, or a value given in code) is not valid; the message names it."""


def parse_size(text: str | int) -> int:
    """Bytes in "2G", "512M", "64K", "1024" (a trailing B or iB is allowed); 0 (or "0", "off", "") is none."""
    if isinstance(text, int):
        return text
    value = text.strip().upper().removesuffix("B").removesuffix("I")
    if value in ("", "0", "OFF", "NONE"):
        return 0
    m = _SIZE.fullmatch(value)
    if not m:
        raise SettingsError(f"not a size: {text!r} (examples: 2G, 512M)")
    return int(float(m.group(1)) * UNITS[m.group(2)])


def _default_root() -> Path:
    return Path("/srv/medai") if os.geteuid() == 0 else Path.home() / ".local" / "share" / "medai"


def _default_proxy_command(data: dict[str, Any]) -> tuple[str, ...]:
    """configurable-http-proxy installed by scripts/install.sh under the prefix, else on PATH."""
    local = Path(data["prefix"]) / "node" / "node_modules" / ".bin" / "configurable-http-proxy"
    if local.exists():
        return (str(local),)
    return (shutil.which("configurable-http-proxy") or "configurable-http-proxy",)


def _env(name: str, doc_default: str | None = None, **extra: Any) -> dict[str, Any]:
    """json_schema_extra of a field: its variable, and how README shows a default computed at start-up."""
    return {"env": name, **({"doc_default": doc_default} if doc_default else {}), **extra}


SIZE_FIELDS = ("home_limit", "exchange_limit", "file_limit", "tmp_limit")
AUTH_CHOICES = ("firstuse", "shared-password", "oauth", "lti13")


class Settings(BaseModel):
    """A deployment's settings: where its state is, how the hub runs, limits, grading and storage."""

    model_config = ConfigDict(frozen=True, extra="forbid", title="medai settings (environment variables)")

    # --- where things are ---
    root: Path = Field(
        default_factory=_default_root, json_schema_extra=_env("MEDAI_ROOT", "`/srv/medai` (root), else "
                                                              "`~/.local/share/medai`"),
        description="the data root: the hub's state, the course directory, the exchange, homes, datasets")
    course_file: Path = Field(
        default=Path("course/course.yaml"), json_schema_extra=_env("MEDAI_COURSE"),
        description="the course.yaml every command uses when `--course` is not given")
    course_dir: Path | None = Field(
        default=None, json_schema_extra=_env("MEDAI_COURSE_DIR", "`<root>/course`"),
        description="the nbgrader course directory (sources, submissions, the SQLite gradebook)")
    gradebook_url: str | None = Field(
        default=None, json_schema_extra=_env("MEDAI_GRADEBOOK_URL", "SQLite in `<course>/`"),
        description="the gradebook, e.g. `postgresql://grader@db/medai101`: the formgrader, grade on submit, "
                    "`medai grade` and the progress page all use it")
    data_dir: Path | None = Field(
        default=None, json_schema_extra=_env("MEDAI_DATA", "`<root>/data`"),
        description="built datasets, read-only for students; the hub sets it for every user's server")
    # --- the hub ---
    ip: str = Field(default="127.0.0.1", json_schema_extra=_env("MEDAI_HUB_IP"),
                    description="address the hub listens on (`medai up --ip` overrides)")
    port: int = Field(default=8000, ge=1, le=65535 - 11, json_schema_extra=_env("MEDAI_HUB_PORT"),
                      description="port the hub listens on (`medai up --port` overrides); the next ports serve "
                                  "its API (+1), the proxy's API (+2), the formgrader (+10), the progress page (+11)")
    auth: str = Field(
        default="firstuse", json_schema_extra=_env("MEDAI_AUTH"),
        description="`firstuse`: roster users choose their password at first login; `oauth`: university SSO "
                    "(OpenID Connect); `lti13`: launched from an LMS; `shared-password`: the demo")
    shared_password: str = Field(
        default="", json_schema_extra=_env("MEDAI_SHARED_PASSWORD", "none", secret=True),
        description="with `MEDAI_AUTH=shared-password`: every roster user's password (8 characters at least)")
    demo_password: str = Field(
        default="medai-demo", json_schema_extra=_env("MEDAI_DEMO_PASSWORD", secret=True),
        description="everyone's password under `medai up --demo`")
    single_account: bool = Field(
        default_factory=lambda: os.geteuid() != 0,
        json_schema_extra=_env("MEDAI_SINGLE_ACCOUNT", "`1` unless root"),
        description="`1`: every server runs as the hub's own account, users are not isolated (a developer's "
                    "laptop only; always so when not root)")
    venv_bin: Path = Field(
        default_factory=lambda: Path(sys.executable).parent,
        json_schema_extra=_env("MEDAI_VENV_BIN", "medai's own `bin/`"),
        description="bin/ of the environment users' servers and the services run from")
    prefix: Path = Field(
        default_factory=lambda data: Path(data["venv_bin"]).parent.parent,
        json_schema_extra=_env("MEDAI_PREFIX", "two levels above `MEDAI_VENV_BIN`"),
        description="where scripts/install.sh put the runtime (its `node/` holds configurable-http-proxy)")
    proxy_command: tuple[str, ...] = Field(
        default_factory=_default_proxy_command,
        json_schema_extra=_env("MEDAI_PROXY_COMMAND", "`<prefix>/node/...`, else on PATH"),
        description="configurable-http-proxy's command line (words split at spaces)")
    debug: bool = Field(default=False, json_schema_extra=_env("MEDAI_DEBUG"),
                        description="`1`: the hub logs at DEBUG level")
    subdomain_host: str = Field(
        default="", json_schema_extra=_env("MEDAI_SUBDOMAIN_HOST", "none (one origin)"),
        description="e.g. `https://hub.example.ac.kr`: every user's server and every service on an origin of its "
                    "own (see below)")
    # --- users' servers ---
    mem_limit: str = Field(default="4G", json_schema_extra=_env("MEDAI_MEM_LIMIT"),
                           description="memory limit of each user's server")
    cpu_limit: float = Field(default=2.0, gt=0, json_schema_extra=_env("MEDAI_CPU_LIMIT"),
                             description="CPU limit of each user's server")
    max_processes: int = Field(default=512, ge=1, json_schema_extra=_env("MEDAI_MAX_PROCESSES"),
                               description="processes each user's server may run (RLIMIT_NPROC of their account)")
    cull_timeout: int = Field(default=3600, ge=1, json_schema_extra=_env("MEDAI_CULL_TIMEOUT"),
                              description="seconds before an idle server is stopped")
    cull_every: int = Field(default=300, ge=1, json_schema_extra=_env("MEDAI_CULL_EVERY"),
                            description="seconds between the idle culler's rounds")
    # --- language (medai.i18n) ---
    lang: str = Field(default="ko", pattern=r"^(ko|en)$", json_schema_extra=_env("MEDAI_LANG"),
                      description="language of the messages medai writes (`ko` or `en`); each user's server gets "
                                  "their own, from their JupyterLab language (first: the roster's `lang`)")
    # --- services ---
    release_every: int = Field(default=300, ge=1, json_schema_extra=_env("MEDAI_RELEASE_EVERY"),
                               description="seconds between scheduled releases")
    formgrader_port: int = Field(
        default=0, ge=0, le=65535, json_schema_extra=_env("MEDAI_FORMGRADER_PORT"),
        description="port of the formgrader on 127.0.0.1 (`0`: the hub's port + 10)")
    grade_on_submit: bool | None = Field(
        default=None, json_schema_extra=_env("MEDAI_GRADE_ON_SUBMIT", "course.yaml `grading.on_submit`"),
        description="`1`/`0`: run the grade-on-submit service or not")
    grade_workers: int = Field(
        default_factory=lambda: max(1, (os.cpu_count() or 2) // 2), ge=1,
        json_schema_extra=_env("MEDAI_GRADE_WORKERS", "half the CPUs"),
        description="submissions the grade-on-submit service runs at once (it shares the machine with users' "
                    "servers)")
    sandbox_prefix: str = Field(
        default="medai-sandbox", pattern=r"^[a-z][a-z0-9_-]{0,24}$", json_schema_extra=_env("MEDAI_SANDBOX_PREFIX"),
        description="the grading sandbox's accounts are `<prefix>-0`, `-1`, ... (`medai grade`, grade on submit)")
    # --- storage (medai.hub.storage) ---
    home_limit: str = Field(default="2G", json_schema_extra=_env("MEDAI_HOME_LIMIT"),
                            description="each person's home is a filesystem of this size (`0`: none); see "
                                        "\"Storage limits\"")
    exchange_limit: str = Field(default="8G", json_schema_extra=_env("MEDAI_EXCHANGE_LIMIT"),
                                description="the exchange's own filesystem")
    file_limit: str = Field(default="1G", json_schema_extra=_env("MEDAI_FILE_LIMIT"),
                            description="largest file a user's server may write (RLIMIT_FSIZE)")
    tmp_limit: str = Field(default="512M", json_schema_extra=_env("MEDAI_TMP_LIMIT"),
                           description="each server's private /tmp, /var/tmp, /dev/shm, /run/lock (in memory; `0`: "
                                       "the machine's)")
    submissions_keep: int = Field(
        default=5, ge=1, json_schema_extra=_env("MEDAI_SUBMISSIONS_KEEP"),
        description="submissions kept in inbound per student and assignment (storage-guard service)")
    storage_every: int = Field(default=60, ge=1, json_schema_extra=_env("MEDAI_STORAGE_EVERY"),
                               description="seconds between the storage guard's rounds")
    # --- the LMS (LTI 1.3; medai.lms, medai.hub.lti; README "The university's LMS") ---
    lti_issuer: str = Field(default="", json_schema_extra=_env("MEDAI_LTI_ISSUER", "none"),
                            description="the LMS's issuer (`iss`), e.g. `https://canvas.instructure.com`")
    lti_client_id: str = Field(default="", json_schema_extra=_env("MEDAI_LTI_CLIENT_ID", "none"),
                               description="the client id the LMS gave medai (Canvas: the developer key's id)")
    lti_deployment_id: str = Field(default="", json_schema_extra=_env("MEDAI_LTI_DEPLOYMENT_ID", "none"),
                                   description="the deployment id of medai in the LMS; launches from others are "
                                               "refused")
    lti_auth_url: str = Field(default="", json_schema_extra=_env("MEDAI_LTI_AUTH_URL", "none"),
                              description="the LMS's OIDC authorization endpoint (the launch's second step)")
    lti_jwks_url: str = Field(default="", json_schema_extra=_env("MEDAI_LTI_JWKS_URL", "none"),
                              description="the LMS's public keys (JWKS) that sign its id_tokens")
    lti_token_url: str = Field(default="", json_schema_extra=_env("MEDAI_LTI_TOKEN_URL", "none"),
                               description="the LMS's OAuth 2 token endpoint (grades and roster calls)")
    lti_token_audience: str = Field(default="", json_schema_extra=_env("MEDAI_LTI_TOKEN_AUDIENCE", "the token URL"),
                                    description="`aud` of medai's signed assertion (Canvas, Moodle: the token URL)")
    lti_lineitems_url: str = Field(default="", json_schema_extra=_env("MEDAI_LTI_LINEITEMS_URL", "none"),
                                   description="the course's AGS line items URL (a launch's `lineitems` claim)")
    lti_memberships_url: str = Field(default="", json_schema_extra=_env("MEDAI_LTI_MEMBERSHIPS_URL", "none"),
                                     description="the course's NRPS memberships URL (a launch's "
                                                 "`context_memberships_url`)")
    lti_user_key: str = Field(
        default="email", pattern=r"^(email|lis_person_sourcedid|custom_[A-Za-z0-9_]+)$",
        json_schema_extra=_env("MEDAI_LTI_USER_KEY"),
        description="how an LMS user is found on the roster: `email`, `lis_person_sourcedid` (the SIS id) or `custom_<name>`, a custom field holding "
                    "the roster id (e.g. `custom_student_number` = Canvas `$Canvas.user.sisSourceId`)")
    lti_staff_role: str = Field(
        default="http://purl.imsglobal.org/vocab/lis/v2/membership#ContentDeveloper",
        json_schema_extra=_env("MEDAI_LTI_STAFF_ROLE"),
        description="the LMS role whose members are medai's program staff (roster import from the LMS)")
    lti_track_field: str = Field(default="track", json_schema_extra=_env("MEDAI_LTI_TRACK_FIELD"),
                                 description="the NRPS custom field with a student's track and cohort "
                                             "(`track` / `cohort`); else they stay as on the roster")
    lti_key_file: Path | None = Field(
        default=None, json_schema_extra=_env("MEDAI_LTI_KEY_FILE", "`<root>/hub/lms/tool-key.pem`"),
        description="medai's private key (0600; its public half is served at `/hub/lti13/jwks`)")
    lti_push: bool = Field(default=True, json_schema_extra=_env("MEDAI_LTI_PUSH"),
                           description="`1`: `medai grade` sends the new scores to the LMS when it is configured, "
                                       "and the hub's `lms-sync` service sends what changed since (hand grades)")
    lti_sync_every: int = Field(default=300, ge=10, json_schema_extra=_env("MEDAI_LTI_SYNC_EVERY"),
                                description="seconds between the `lms-sync` service's rounds")
    # --- reports ---
    font: Path | None = Field(
        default=None, json_schema_extra=_env("MEDAI_FONT", "Debian's NanumGothic"),
        description="a .ttf/.otf with Hangul for the plots of PDF reports")

    @model_validator(mode="before")
    @classmethod
    def _from_layout(cls, data: Any) -> Any:
        """`layout=` stands for root, course_dir and gradebook_url (callers that hold a Layout)."""
        if isinstance(data, dict) and "layout" in data:
            data = dict(data)
            lay: Layout = data.pop("layout")
            data.update(root=lay.root, course_dir=lay.course_dir_override, gradebook_url=lay.gradebook_override)
        return data

    @field_validator("root", "course_dir", "data_dir", "lti_key_file")
    @classmethod
    def _absolute(cls, value: Path | None) -> Path | None:
        return value.resolve() if value is not None else None

    @field_validator(*SIZE_FIELDS, "mem_limit")
    @classmethod
    def _a_size(cls, value: str, info: ValidationInfo) -> str:
        try:
            parse_size(value)
        except SettingsError as err:
            raise ValueError(f"{env_name(info.field_name)}: {err}") from None
        return value

    @field_validator("auth")
    @classmethod
    def _an_authenticator(cls, value: str) -> str:
        if value not in AUTH_CHOICES:
            raise ValueError(f"MEDAI_AUTH={value!r}: choose one of {', '.join(AUTH_CHOICES)}")
        return value

    @field_validator("subdomain_host")
    @classmethod
    def _an_origin(cls, value: str) -> str:
        if value and not re.match(r"^https?://[a-z0-9.-]+(:\d+)?$", value):
            raise ValueError(f"MEDAI_SUBDOMAIN_HOST={value!r}: give the hub's scheme and host, "
                             "e.g. https://hub.example.ac.kr, with no path")
        return value

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any):
        """The settings in `environ` (default: os.environ), then `overrides` (field names). A bad value raises
        SettingsError naming its variable."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name, info in cls.model_fields.items():
            raw = environ.get(info.json_schema_extra["env"], "")
            if not raw.strip():  # an empty variable is an unset one
                continue
            if name == "proxy_command":
                values[name] = raw.split()
            else:  # a password is taken as it is; anything else without surrounding blanks
                values[name] = raw if info.json_schema_extra.get("secret") else raw.strip()
        return cls.validated({**values, **overrides})

    @classmethod
    def validated(cls, values: Mapping[str, Any]):
        """Like the constructor, but a bad value is a SettingsError that names the variable."""
        try:
            return cls(**values)
        except ValidationError as err:
            raise SettingsError(describe(err)) from None

    def replace(self, **changes: Any):
        """A copy with `changes` (field names), validated again."""
        return self.validated({**{k: getattr(self, k) for k in type(self).model_fields}, **changes})

    def to_env(self, *names: str, secrets: bool = True) -> dict[str, str]:
        """Variable -> value of every setting that has one (or of `names` only), as :meth:`from_env` reads it
        back; `secrets=False` leaves out passwords (services and users' servers never need them)."""
        out = {}
        for name in names or tuple(type(self).model_fields):
            info = type(self).model_fields[name]
            value = getattr(self, name)
            if value is None or value == "" or (not secrets and info.json_schema_extra.get("secret")):
                continue
            if isinstance(value, bool):
                text = "1" if value else "0"
            elif isinstance(value, tuple):
                text = " ".join(value)
            else:
                text = str(value)
            out[info.json_schema_extra["env"]] = text
        return out

    @property
    def layout(self) -> Layout:
        return Layout(root=self.root, course_dir_override=self.course_dir, gradebook_override=self.gradebook_url)

    @property
    def lti_key_path(self) -> Path:
        """The tool's private key: MEDAI_LTI_KEY_FILE, else `<root>/hub/lms/tool-key.pem`."""
        return self.lti_key_file or self.layout.hub_dir / "lms" / "tool-key.pem"

    @property
    def lms_configured(self) -> bool:
        """The LMS's grade and roster services can be called (issuer, client id and token URL are set)."""
        return bool(self.lti_issuer and self.lti_client_id and self.lti_token_url)

    @property
    def data_path(self) -> Path:
        """Where built datasets are: MEDAI_DATA, else the layout's data/."""
        return self.data_dir or self.layout.data_dir


ENV_NAMES = frozenset(info.json_schema_extra["env"] for info in Settings.model_fields.values())


def env_name(field: str) -> str:
    return Settings.model_fields[field].json_schema_extra["env"]


def default(field: str) -> Any:
    """A setting's static default, for code that needs it without reading the environment."""
    return Settings.model_fields[field].get_default(call_default_factory=False)


def describe(err: ValidationError) -> str:
    """One line per bad setting, each naming its variable."""
    lines = []
    for e in err.errors():
        if e["type"] == "default_factory_not_called":  # a default that depends on a setting reported already
            continue
        field = str(e["loc"][0]) if e["loc"] else ""
        name = env_name(field) if field in Settings.model_fields else field
        msg = e["msg"].removeprefix("Value error, ")
        given = f"={e['input']!r}" if field and not isinstance(e.get("input"), dict) and name not in msg else ""
        if Settings.model_fields.get(field) and Settings.model_fields[field].json_schema_extra.get("secret"):
            given = ""
        lines.append(msg if name in msg else f"{name}{given}: {msg}")
    return "; ".join(lines)


def doc_default(field: str) -> str:
    """A setting's default as README's table shows it."""
    info = Settings.model_fields[field]
    if "doc_default" in info.json_schema_extra:
        return info.json_schema_extra["doc_default"]
    value = info.get_default(call_default_factory=False)
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"`{value}`"


def markdown_rows() -> list[tuple[str, str, str]]:
    """(variable, default, meaning) per setting, as README's "Production configuration" table lists them."""
    return [(f"`{env_name(name)}`", doc_default(name), info.description)
            for name, info in Settings.model_fields.items()]


def json_schema() -> dict[str, Any]:
    return Settings.model_json_schema()
