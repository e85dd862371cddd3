"""A browser-like HTTP client for a real hub: logs in with the login form (with _xsrf), spawns, and calls
users' servers with the X-XSRFToken header that POSTs need."""
from __future__ import annotations

import html
import json
import re
import time
from pathlib import Path
from urllib.parse import urljoin

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
        """Start the user's server the way the browser does: /hub/spawn, then the spawn-pending page's progress
        event stream until it says ready, then the server's own URL, which completes the OAuth handshake with
        the server (its own cookie). Returns the JupyterLab page."""
        page = self.s.get(f"{self.base}/hub/spawn", timeout=60)
        if self._is_lab(page):  # started within the hub's slow_spawn_timeout: redirected straight there
            return page
        progress = re.search(r'new EventSource\("([^"]+)"\)', page.text)
        if progress:
            self.follow_progress(html.unescape(progress.group(1)), timeout)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r = self.s.get(f"{self.base}/user/{self.name}/lab", timeout=60)
            if self._is_lab(r):
                return r
            time.sleep(0.5)
        raise TimeoutError(f"{self.name}'s server did not start within {timeout} s")

    def _is_lab(self, r: requests.Response) -> bool:
        return r.status_code == 200 and r.url.rstrip("/").endswith(f"/user/{self.name}/lab")

    def follow_progress(self, url: str, timeout: float) -> dict:
        """Read the hub's spawn progress events (server-sent events, as the browser's EventSource does) until
        the one that says ready; raise on a failed spawn. Returns the last event."""
        deadline = time.monotonic() + timeout
        with self.s.get(urljoin(self.base + "/", url), stream=True, timeout=(30, timeout),
                        headers={"Accept": "text/event-stream", "Sec-Fetch-Mode": "cors"}) as r:
            if r.status_code != 200:
                raise RuntimeError(f"progress stream: HTTP {r.status_code} {r.text[:200]}")
            for line in r.iter_lines(decode_unicode=True):
                if line and line.startswith("data:"):
                    event = json.loads(line[5:])
                    if event.get("failed"):
                        raise RuntimeError(f"spawn failed: {event.get('message')}")
                    if event.get("ready"):
                        return event
                if time.monotonic() > deadline:
                    break
        raise TimeoutError(f"{self.name}'s server was not ready within {timeout} s")

    def api(self, method: str, path: str, **kw) -> requests.Response:
        """Call the hub's REST API with the login cookie, as the hub's own pages do (X-XSRFToken, fetch mode)."""
        headers = {"X-XSRFToken": self.xsrf("/hub/"), "Sec-Fetch-Mode": "cors", "Sec-Fetch-Site": "same-origin",
                   **kw.pop("headers", {})}
        return self.s.request(method, f"{self.base}/hub/api{path}", headers=headers, timeout=60, **kw)

    def stop_server(self, timeout: float = 120.0) -> None:
        """Stop the user's own server (the hub home page's "Stop My Server") and wait until the hub says so."""
        r = self.api("DELETE", f"/users/{self.name}/server")
        if r.status_code not in (202, 204):
            raise RuntimeError(f"stop: HTTP {r.status_code} {r.text[:200]}")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            me = self.api("GET", f"/users/{self.name}")
            if me.status_code == 200 and not me.json().get("servers"):
                return
            time.sleep(0.5)
        raise TimeoutError(f"{self.name}'s server did not stop within {timeout} s")

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
