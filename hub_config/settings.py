"""The hub's view of medai's settings (medai.settings.Settings: every MEDAI_* variable and its default).

HubSettings adds no setting of its own: the ports derived from the hub's, and the checks only the hub needs
(a shared password long enough when the demo's authenticator is chosen; the course file made absolute, since
the hub runs in <root>/hub). `medai up` builds one and hands it to the hub process as its environment
(Settings.to_env); jupyterhub_config.py reads it back with HubSettings.from_env().
"""
from __future__ import annotations

from pathlib import Path

from pydantic import field_validator, model_validator

from medai.settings import AUTH_CHOICES, Settings

__all__ = ["AUTH_CHOICES", "HubSettings"]


class HubSettings(Settings):
    """Everything the hub config needs to know, besides the course and the roster."""

    @model_validator(mode="after")
    def _hub_checks(self) -> "HubSettings":
        if self.auth == "shared-password" and len(self.shared_password) < 8:
            raise ValueError("MEDAI_AUTH=shared-password needs MEDAI_SHARED_PASSWORD of at least 8 characters")
        return self

    @field_validator("course_file")
    @classmethod
    def _absolute_course_file(cls, value: Path) -> Path:
        return value.resolve()

    @property
    def formgrader_url(self) -> str:
        return f"http://127.0.0.1:{self.formgrader_port or self.port + 10}"

    @property
    def hub_api_port(self) -> int:
        return self.port + 1

    @property
    def proxy_api_port(self) -> int:
        return self.port + 2
