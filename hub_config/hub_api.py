"""A small client for the running hub's REST API, used by medai's own commands (service medai-cli)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import requests

from medai.course.layout import Layout

URL_FILE = "hub-api-url"


@dataclass
class HubAPI:
    url: str  # e.g. http://127.0.0.1:8000/hub/api
    token: str
    timeout: float = 10.0

    @classmethod
    def for_layout(cls, layout: Layout) -> "HubAPI | None":
        """The API of the hub `medai up` runs for this data root, or None when none was started."""
        url_file, token_file = layout.hub_dir / URL_FILE, layout.hub_dir / "cli-token"
        if not (url_file.exists() and token_file.exists()):
            return None
        return cls(url_file.read_text().strip(), token_file.read_text().strip())

    def _call(self, method: str, path: str, json=None):
        r = requests.request(method, f"{self.url}{path}", json=json, timeout=self.timeout,
                             headers={"Authorization": f"token {self.token}"})
        r.raise_for_status()
        return r.json() if r.content else None

    def alive(self) -> bool:
        try:
            self._call("GET", "/")
            return True
        except requests.RequestException:
            return False

    def users(self) -> set[str]:
        return {u["name"] for u in self._call("GET", "/users?limit=100000")}

    def groups(self) -> dict[str, set[str]]:
        return {g["name"]: set(g["users"]) for g in self._call("GET", "/groups?limit=100000")}

    def add_users(self, names: list[str]) -> None:
        if names:
            self._call("POST", "/users", json={"usernames": sorted(names)})

    def delete_user(self, name: str) -> None:
        self._call("DELETE", f"/users/{name}")

    def create_group(self, name: str) -> None:
        self._call("POST", f"/groups/{name}")

    def add_to_group(self, group: str, names: set[str]) -> None:
        if names:
            self._call("POST", f"/groups/{group}/users", json={"users": sorted(names)})

    def remove_from_group(self, group: str, names: set[str]) -> None:
        if names:
            self._call("DELETE", f"/groups/{group}/users", json={"users": sorted(names)})


def write_url(layout: Layout, url: str) -> Path:
    path = layout.hub_dir / URL_FILE
    path.write_text(url)
    return path
