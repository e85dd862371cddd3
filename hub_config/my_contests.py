"""My course's Contests section, server side (in each student's own server, beside medai.hub.my_course).

- `GET  <server>/medai/contests?lang=`: the contest service's `api/mine` for this server's user.
- `POST <server>/medai/contests/<id>/submit` `{"path": "<file in my home>"}`: reads that file as the student
  (through the server's contents manager: nothing outside the home, no hidden files) and sends it to the
  contest service's `api/c/<id>/submit`, which runs the contest's own submit path for the student's team.

Both calls carry this server's hub token; the contest service takes the student from the hub, never from the
request. The service's answer (200, 202, 409 with the reason in both languages) is passed on as it is.
"""
from __future__ import annotations

import base64
import json
from urllib.parse import quote, urlencode

from jupyter_core.utils import ensure_async
from jupyter_server.utils import url_path_join
from tornado import web
from tornado.httpclient import HTTPClientError

from medai.hub.my_course import ServiceClient
from medai.i18n import LANGUAGES, normalise, translator

SERVICE = "contest"  # medai.hub.apply.CONTEST_SERVICE (no hub imports in users' servers)
ROUTE = "medai/contests"


class _ContestClient(ServiceClient):
    service = SERVICE

    def _lang(self) -> str:
        try:
            return normalise(self.get_argument("lang", "")) or LANGUAGES[0]
        except ValueError:
            return LANGUAGES[0]

    async def _relay(self, path: str, **kwargs) -> None:
        try:
            base = await self._service()
            url = url_path_join(base, path) + f"?{urlencode({'lang': self._lang()})}"
            response = await self._fetch(url, **kwargs)
        except HTTPClientError as err:
            if err.response is None or err.code >= 500 or err.code == 404:
                type(self)._service_url = None
                raise web.HTTPError(502, f"the contest service answered {err.code}") from None
            response = err.response
        except OSError as err:
            type(self)._service_url = None
            raise web.HTTPError(502, f"the contest service cannot be reached ({err})") from None
        self.set_status(response.code)
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(response.body)


class MyContestsHandler(_ContestClient):
    @web.authenticated
    async def get(self) -> None:
        try:
            await self._service()
        except HTTPClientError as err:
            if err.code == 404:  # the hub runs no contest service (the course has none): nothing to list
                self.set_header("Cache-Control", "no-store")
                return self.finish({"contests": []})
        await self._relay("api/mine")


class SubmitHandler(_ContestClient):
    @web.authenticated
    async def post(self, contest_id: str) -> None:
        path = str((self.get_json_body() or {}).get("path") or "").strip().lstrip("/")
        try:
            model = await ensure_async(self.contents_manager.get(path, content=True, type="file", format="base64"))
        except web.HTTPError:
            words = {lang: translator(lang).gettext("There is no file {path} in your home folder.").format(
                path=path or "?") for lang in LANGUAGES}
            self.set_status(400)
            return self.finish(json.dumps({"message": words[self._lang()], "messages": words}, ensure_ascii=False))
        data = base64.b64decode(model["content"])
        await self._relay(f"api/c/{quote(contest_id, safe='')}/submit", method="POST", body=data,
                          headers={"Content-Type": "application/octet-stream"})


def handlers(base_url: str) -> list:
    route = url_path_join(base_url, ROUTE)
    return [(route, MyContestsHandler), (url_path_join(route, r"([a-z0-9-]+)/submit"), SubmitHandler)]
