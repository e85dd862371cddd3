"""The hub's settings: one typed object read from the environment that `medai up` (or a site) sets.

Every knob has a default, so `medai up` works on embedded defaults; production sites override with
environment variables (see README "Production"), or with a site file `<root>/hub/jupyterhub_config.local.py`.
"""
from __future__ import annotations

import os
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from medai.course.layout import Layout
from medai.hub.storage import parse_size

AUTH_CHOICES = ("firstuse", "shared-password", "oauth", "lti13")


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "")
    return value if value != "" else default


def default_venv_bin() -> Path:
    """bin/ of the environment medai runs from: users' servers and services run from the same one."""
    return Path(sys.executable).parent


def default_proxy_command(prefix: Path) -> list[str]:
    """configurable-http-proxy installed by scripts/install.sh under the prefix, else on PATH."""
    local = prefix / "node" / "node_modules" / ".bin" / "configurable-http-proxy"
    if local.exists():
        return [str(local)]
    found = shutil.which("configurable-http-proxy")
    return [found] if found else ["configurable-http-proxy"]


def default_grade_workers() -> int:
    """Grade on submit shares the machine with users' servers: half the CPUs."""
    return max(1, (os.cpu_count() or 2) // 2)


@dataclass(frozen=True)
class HubSettings:
    """Everything the hub config needs to know, besides the course and the roster."""

    layout: Layout
    course_file: Path
    ip: str = "127.0.0.1"
    port: int = 8000
    # how people log in: firstuse (roster users set their password at first login), shared-password (demo),
    # oauth (university SSO, OpenID Connect), lti13 (an LMS launches the hub)
    auth: str = "firstuse"
    shared_password: str = ""
    # True only on a developer's laptop: every server runs as the hub's own account (no isolation)
    single_account: bool = False
    venv_bin: Path = field(default_factory=default_venv_bin)
    proxy_command: tuple[str, ...] = ()
    mem_limit: str = "4G"
    cpu_limit: float = 2.0
    max_processes: int = 512
    cull_timeout: int = 3600
    cull_every: int = 300
    release_every: int = 300
    # grade on submit (`medai grade-watch` as a hub service): None follows course.yaml's grading.on_submit
    grade_on_submit: bool | None = None
    grade_workers: int = field(default_factory=default_grade_workers)
    sandbox_prefix: str = "medai-sandbox"  # the grading sandbox's accounts: <prefix>-0, -1, ...
    formgrader_port: int = 0  # 0: hub port + 10
    # production: one origin per user and per service (JupyterHub.subdomain_host), e.g. https://hub.example.ac.kr
    # with wildcard DNS and certificate for *.hub.example.ac.kr; "" serves everything from the hub's one origin
    subdomain_host: str = ""
    # storage (medai.hub.storage): each user's home and the exchange are size-limited filesystems of their own
    # ("0" turns one off); every file a user's server writes is capped (RLIMIT_FSIZE); /tmp, /var/tmp and
    # /dev/shm are private to each server, in memory, of tmp_limit; inbound keeps the newest submissions_keep
    # submissions per student and assignment
    home_limit: str = "2G"
    exchange_limit: str = "8G"
    file_limit: str = "1G"
    tmp_limit: str = "512M"
    submissions_keep: int = 5
    storage_every: int = 60
    debug: bool = False

    @classmethod
    def from_env(cls) -> "HubSettings":
        layout = Layout.from_env()
        venv_bin = Path(_env("MEDAI_VENV_BIN", str(default_venv_bin())))
        prefix = Path(_env("MEDAI_PREFIX", str(venv_bin.parent.parent)))
        auth = _env("MEDAI_AUTH", "firstuse")
        return cls(
            layout=layout,
            course_file=Path(_env("MEDAI_COURSE", "course/course.yaml")).resolve(),
            ip=_env("MEDAI_HUB_IP", "127.0.0.1"),
            port=int(_env("MEDAI_HUB_PORT", "8000")),
            auth=auth,
            shared_password=_env("MEDAI_SHARED_PASSWORD", ""),
            single_account=_env("MEDAI_SINGLE_ACCOUNT", "0") == "1" or os.geteuid() != 0,
            venv_bin=venv_bin,
            proxy_command=tuple(_env("MEDAI_PROXY_COMMAND", "").split() or default_proxy_command(prefix)),
            mem_limit=_env("MEDAI_MEM_LIMIT", "4G"),
            cpu_limit=float(_env("MEDAI_CPU_LIMIT", "2")),
            cull_timeout=int(_env("MEDAI_CULL_TIMEOUT", "3600")),
            release_every=int(_env("MEDAI_RELEASE_EVERY", "300")),
            grade_on_submit={"1": True, "0": False}.get(_env("MEDAI_GRADE_ON_SUBMIT", "")),
            sandbox_prefix=_env("MEDAI_SANDBOX_PREFIX", "medai-sandbox"),
            grade_workers=int(_env("MEDAI_GRADE_WORKERS", str(default_grade_workers()))),
            home_limit=_env("MEDAI_HOME_LIMIT", "2G"),
            exchange_limit=_env("MEDAI_EXCHANGE_LIMIT", "8G"),
            file_limit=_env("MEDAI_FILE_LIMIT", "1G"),
            tmp_limit=_env("MEDAI_TMP_LIMIT", "512M"),
            submissions_keep=int(_env("MEDAI_SUBMISSIONS_KEEP", "5")),
            storage_every=int(_env("MEDAI_STORAGE_EVERY", "60")),
            subdomain_host=_env("MEDAI_SUBDOMAIN_HOST", ""),
            debug=_env("MEDAI_DEBUG", "0") == "1",
        )

    def __post_init__(self) -> None:
        if self.auth not in AUTH_CHOICES:
            raise ValueError(f"MEDAI_AUTH={self.auth!r}: choose one of {', '.join(AUTH_CHOICES)}")
        if self.auth == "shared-password" and len(self.shared_password) < 8:
            raise ValueError("MEDAI_AUTH=shared-password needs MEDAI_SHARED_PASSWORD of at least 8 characters")
        if self.subdomain_host and not re.match(r"^https?://[a-z0-9.-]+(:\d+)?$", self.subdomain_host):
            raise ValueError(f"MEDAI_SUBDOMAIN_HOST={self.subdomain_host!r}: give the hub's scheme and host, "
                             "e.g. https://hub.example.ac.kr, with no path")
        for knob in ("home_limit", "exchange_limit", "file_limit", "tmp_limit"):
            try:
                parse_size(getattr(self, knob))
            except ValueError as err:
                raise ValueError(f"MEDAI_{knob.upper()}: {err}") from None

    @property
    def formgrader_url(self) -> str:
        return f"http://127.0.0.1:{self.formgrader_port or self.port + 10}"

    @property
    def hub_api_port(self) -> int:
        return self.port + 1

    @property
    def proxy_api_port(self) -> int:
        return self.port + 2
