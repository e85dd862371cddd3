"""The progress service's app in-process, on a loopback port, for the self-check log's tests: HubOAuth answers
a token (`Authorization: token <t>`, as a student's kernel sends it) with the user the test gives it, and the
hub API's service model (`GET /hub/api/services/progress`, which a kernel asks to find the service) comes from
the same port. The real hub does both in tests/test_selfcheck_record_live.py."""
from __future__ import annotations

import contextlib
import json

from jupyterhub.services.auth import HubOAuth
from tornado import web

from medai.progress.staff_page.app import make_app
from tests import progress_fixture as pf
from tests.loopback import serving_app

SCOPE = "access:services!service=progress"
TOKENS = {
    "tok-med1": {"name": "med1", "kind": "user", "groups": ["students", "medicine"], "scopes": [SCOPE]},
    "tok-med2": {"name": "med2", "kind": "user", "groups": ["students", "medicine"], "scopes": [SCOPE]},
    "tok-eng1": {"name": "eng1", "kind": "user", "groups": ["students", "engineering"], "scopes": [SCOPE]},
    "tok-prof1": {"name": "prof1", "kind": "user", "groups": ["instructors"], "scopes": [SCOPE]},
    "tok-staff1": {"name": "staff1", "kind": "user", "groups": ["staff"], "scopes": [SCOPE]},
}


class TokenHubOAuth(HubOAuth):
    """HubOAuth whose user is looked up from the request's token in TOKENS instead of asking the hub."""

    def get_user(self, handler, **kwargs):
        header = handler.request.headers.get("Authorization", "")
        return TOKENS.get(header.removeprefix("token ").strip()) if header.startswith("token ") else None


class ServiceModel(web.RequestHandler):
    """What the hub's API says of the progress service (its URL and prefix), to a known token."""

    def initialize(self, port: int) -> None:
        self.port = port

    def get(self) -> None:
        if self.request.headers.get("Authorization", "").removeprefix("token ") not in TOKENS:
            raise web.HTTPError(403)
        self.finish(json.dumps({"name": "progress", "url": f"http://127.0.0.1:{self.port}",
                                "prefix": "/services/progress/"}))


@contextlib.contextmanager
def serving(fx):
    """Yields the hub API URL ($JUPYTERHUB_API_URL for a kernel) of an in-process progress service for `fx`."""
    auth = TokenHubOAuth(api_token="t" * 32, api_url="http://127.0.0.1:9/hub/api", base_url="/services/progress/",
                         oauth_client_id="service-progress", access_scopes={SCOPE})

    def make(port: int) -> web.Application:
        app = make_app(course_path=str(fx.course_file), layout=fx.layout, hub_auth=auth, as_of=pf.AS_OF)
        app.add_handlers(".*$", [("/hub/api/services/progress", ServiceModel, {"port": port})])
        return app

    with serving_app(make) as port:
        yield f"http://127.0.0.1:{port}/hub/api"
