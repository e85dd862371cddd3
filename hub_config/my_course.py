"""The My-course panel's server side: a Jupyter server extension in each student's own server.

`GET <server>/medai/my-course` answers the panel (hub_config/labextension) with the student's course: what the
progress service computes for them (medai.progress.my_course, over `api/students/<me>/my-course`, called with
this server's own hub token, so the service knows who asks and answers for them only), joined per assignment
with what nbgrader's own assignment list says in this server (`local`: fetched or not, the notebooks'
paths, feedback fetched or waiting in the exchange). The panel fetches, submits and fetches feedback through
nbgrader's own handlers (`assignments/fetch|submit|fetch_feedback`); nothing here touches the exchange.

The service is found through the hub's API (`GET services/progress`: its URL and prefix), as JupyterHub
deployments place services where they like (loopback here, a Kubernetes service in Z2JH).
"""
from __future__ import annotations

import json
import os
from urllib.parse import quote, urlencode

from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado import web
from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest

SERVICE = "progress"  # medai.hub.apply.PROGRESS_SERVICE (this module runs in users' servers: no hub imports)
ROUTE = "medai/my-course"
TIMEOUT = 20.0


def _nothing() -> dict:
    return {"status": None, "notebooks": [], "feedback": {"local": False, "exchange": False, "updated": False,
                                                          "path": None}}


def _local(listing: list[dict]) -> dict[str, dict]:
    """assignment id -> what nbgrader's list (released + submitted entries) says of it in this server."""
    out: dict[str, dict] = {}
    for entry in listing:
        local = out.setdefault(entry["assignment_id"], _nothing())
        if entry.get("status") in ("released", "fetched"):
            if local["status"] != "submitted":
                local["status"] = entry["status"]
            local["notebooks"] = [{"notebook_id": n["notebook_id"], "path": n["path"]}
                                  for n in entry.get("notebooks", []) if entry["status"] == "fetched"]
        elif entry.get("status") == "submitted" and entry.get("submissions"):
            local["status"] = "submitted"
            last = sorted(entry["submissions"], key=lambda s: s.get("timestamp") or "")[-1]
            path = None
            if last.get("has_local_feedback") and last.get("local_feedback_path") and last.get("notebooks"):
                path = url_path_join(last["local_feedback_path"], f"{last['notebooks'][0]['notebook_id']}.html")
            local["feedback"] = {"local": bool(last.get("has_local_feedback")),
                                 "exchange": bool(last.get("has_exchange_feedback")),
                                 "updated": bool(last.get("feedback_updated")), "path": path}
    return out


def join_local(payload: dict, listing: list[dict]) -> dict:
    """The service's payload with `local` (nbgrader's view in this server) on each assignment."""
    local = _local(listing)
    for row in payload.get("assignments", []):
        row["local"] = local.get(row["id"]) or _nothing()
    return payload


class ServiceClient(APIHandler):
    """Calls a hub service with this server's own hub token (the service knows who asks from it)."""

    service = SERVICE
    _service_url: str | None = None  # found once per server and class

    async def _hub(self, path: str, **params) -> dict:
        api = os.environ.get("JUPYTERHUB_API_URL", "")
        return await self._get(url_path_join(api, path) + (f"?{urlencode(params)}" if params else ""))

    async def _get(self, url: str) -> dict:
        return json.loads((await self._fetch(url)).body)

    async def _fetch(self, url: str, *, headers: dict | None = None, **kwargs):
        token = os.environ.get("JUPYTERHUB_API_TOKEN", "")
        request = HTTPRequest(url, headers={**(headers or {}), "Authorization": f"token {token}"},
                              request_timeout=TIMEOUT, **kwargs)
        return await AsyncHTTPClient().fetch(request)

    async def _service(self) -> str:
        cls = type(self)
        if cls._service_url is None:
            model = await self._hub(f"services/{self.service}")
            if not model.get("url"):
                raise web.HTTPError(503, f"the hub's {self.service} service has no URL")
            cls._service_url = url_path_join(model["url"], model.get("prefix") or f"/services/{self.service}/")
        return cls._service_url


class MyCourseHandler(ServiceClient):
    """The student's course, for their panel (JSON)."""

    def _listing(self) -> list[dict]:
        """nbgrader's own list (its assignment_list server extension), for the course its config names."""
        manager = self.settings.get("assignment_list_manager")
        if manager is None:
            return []
        result = manager.list_assignments(course_id=None)
        if not result.get("success"):
            self.log.warning("nbgrader's assignment list failed: %s", str(result.get("value"))[-500:])
            return []
        return result["value"]

    @web.authenticated
    async def get(self) -> None:
        user = os.environ.get("JUPYTERHUB_USER") or self.current_user.username
        try:
            base = await self._service()
            listing = self._listing()
            fetched = sorted({e["assignment_id"] for e in listing if e.get("status") in ("fetched", "submitted")})
            url = url_path_join(base, f"api/students/{quote(user, safe='')}/my-course")
            payload = await self._get(url + (f"?{urlencode({'fetched': ','.join(fetched)})}" if fetched else ""))
            listing = [e for e in listing if e.get("course_id") == payload["course"]["id"]]
        except HTTPClientError as err:
            status = err.code if err.code in (403, 404) else 502
            detail = ""
            if err.response is not None and err.response.body:
                try:
                    detail = json.loads(err.response.body).get("message", "")
                except ValueError:
                    detail = ""
            type(self)._service_url = None if status == 502 else type(self)._service_url
            raise web.HTTPError(status, detail or f"the course service answered {err.code}") from None
        except OSError as err:
            type(self)._service_url = None
            raise web.HTTPError(502, f"the course service cannot be reached ({err})") from None
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(join_local(payload, listing), ensure_ascii=False))


def _load_jupyter_server_extension(serverapp) -> None:
    web_app = serverapp.web_app
    route = url_path_join(web_app.settings["base_url"], ROUTE)
    from medai.hub.my_contests import handlers as contest_handlers

    web_app.add_handlers(".*$", [(route, MyCourseHandler), *contest_handlers(web_app.settings["base_url"])])
    serverapp.log.info("medai My course: %s", route)


def _jupyter_server_extension_points() -> list[dict]:
    return [{"module": "medai.hub.my_course"}]
