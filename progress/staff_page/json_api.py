"""What the progress service's JSON APIs share: hub-token sign-in that answers 403 instead of redirecting, JSON
error bodies ({"status", "message"}), and headers that keep a student's answer out of every cache."""
from __future__ import annotations

import json

from jupyterhub.services.auth import HubOAuthenticated
from tornado import web

from medai.course import ProblemsError
from medai.errors import UserError


class JsonApiHandler(HubOAuthenticated, web.RequestHandler):
    def set_default_headers(self) -> None:
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "private, no-store")
        self.set_header("X-Content-Type-Options", "nosniff")

    def get_login_url(self) -> str:  # an API answers, it does not redirect to a login page
        raise web.HTTPError(403, "sign in through the hub: this API takes a hub token")

    def write_error(self, status_code: int, **kwargs) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        message = exc.log_message if isinstance(exc, web.HTTPError) and exc.log_message else self._reason
        if isinstance(exc, (UserError, ProblemsError)):
            message = str(exc)
        self.finish(json.dumps({"status": status_code, "message": message}, ensure_ascii=False))
