"""A browser-like HTTP client for a real hub: logs in with the login form (with _xsrf), spawns, and calls
users' servers with the X-XSRFToken header that POSTs need."""
from __future__ import annotations

import re
import time
from pathlib import Path

import requests


class HubUser:
    def __init__(self, base: str, name: str):
        self.base = base.rstrip("/")
        self.name = name
        self.s = requests.Session()

    def xsrf(self, path: str = "/hub/") -> str:
        """The _xsrf cookie that applies to `path` (the hub and each server set their own)."""
        best = ""
        best_len = -1
        for cookie in self.s.cookies:
            if cookie.name == "_xsrf" and path.startswith(cookie.path) and len(cookie.path) > best_len:
                best, best_len = cookie.value, len(cookie.path)
        return best

    def login(self, password: str) -> requests.Response:
        page = self.s.get(f"{self.base}/hub/login", timeout=30)
        token = re.search(r'name="_xsrf" value="([^"]+)"', page.text)
        data = {"username": self.name, "password": password, "_xsrf": token.group(1) if token else ""}
        return self.s.post(f"{self.base}/hub/login?next=", data=data, timeout=30, allow_redirects=False)

    @property
    def logged_in(self) -> bool:
        r = self.s.get(f"{self.base}/hub/home", timeout=30, allow_redirects=False)
        return r.status_code == 200

    def spawn(self, timeout: float = 120.0) -> requests.Response:
        """Start the user's server the way the browser does, and wait until it answers."""
        self.s.get(f"{self.base}/hub/spawn", timeout=60)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            # following the redirects completes the OAuth handshake with the server (its own cookie)
            r = self.s.get(f"{self.base}/user/{self.name}/lab", timeout=60)
            if r.status_code == 200 and r.url.rstrip("/").endswith(f"/user/{self.name}/lab"):
                return r
            time.sleep(0.5)
        raise TimeoutError(f"{self.name}'s server did not start within {timeout} s")

    def server(self, method: str, path: str, **kw) -> requests.Response:
        """Call the user's own server (or, for the access tests, another URL under /user/)."""
        headers = kw.pop("headers", {})
        url = path if path.startswith("http") else f"{self.base}{path}"
        headers["X-XSRFToken"] = self.xsrf(url[len(self.base):] if url.startswith(self.base) else path)
        return self.s.request(method, url, headers=headers, timeout=120, **kw)


def processes_for_root(root: Path, uids: set[int] = frozenset()) -> set[int]:
    """PIDs of processes a deployment started: the hub, its proxy and services carry MEDAI_ROOT=<root> in
    their environment; users' servers run under the given uids."""
    found = set()
    marker = f"MEDAI_ROOT={root}".encode()
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if marker in (proc / "environ").read_bytes() or proc.stat().st_uid in uids:
                    found.add(int(proc.name))
            except OSError:
                continue
    return found
