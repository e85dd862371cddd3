"""A real LTI 1.3 platform on 127.0.0.1 for the LMS tests: OpenLearning's `lti1p3platform` (PyPI, MIT).

The library is a platform's protocol half: the registration and its keys, the OIDC login initiation, the signed
launch message (id_token) with the AGS and NRPS claims, the OAuth 2 token endpoint that checks the tool's signed
JWT assertion against the tool's JWKS, and the AGS/NRPS request handlers that check the bearer token and its
scopes. What it leaves to each platform (abstract methods) is storage and serving: here a gradebook in memory
(line items, scores, results), a member list, and a stdlib HTTP server that hands each request to the library.
The server runs in a thread of the test process, so a test reads the platform's gradebook directly.

Its one gap found: the token endpoint verifies the assertion's signature and expiry but not its `aud`
(`_jwt_verify_options = {"verify_aud": False}`); the platform here checks it as a real LMS does.
"""
from __future__ import annotations

import importlib.resources
import json
import threading
import time
import typing as t
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlparse

import jinja2
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from lti1p3platform.exceptions import LineItemNotFoundException, LtiException, LtiServiceException
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.membership import Context
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request
from lti1p3platform.score import UpdateScoreStatus
from lti1p3platform.service_connector import AssignmentsGradesService, NamesRoleProvisioningService

LIS = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
LAUNCH_FORM = jinja2.Template(
    importlib.resources.files("lti1p3platform.framework").joinpath("templates/launch.html").read_text())


def _pem(key, private: bool) -> str:
    if private:
        return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption()).decode()
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


@dataclass
class Member:
    user_id: str
    name: str
    email: str
    roles: list[str]
    custom: dict = field(default_factory=dict)
    sourcedid: str | None = None

    def nrps(self) -> dict:
        out = {"user_id": self.user_id, "name": self.name, "email": self.email, "status": "Active",
               "roles": [r if r.startswith("http") else LIS + r for r in self.roles]}
        if self.sourcedid:
            out["lis_person_sourcedid"] = self.sourcedid
        if self.custom:
            out["message"] = [{"https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiResourceLinkRequest",
                               "https://purl.imsglobal.org/spec/lti/claim/custom": self.custom}]
        return out


@dataclass
class Gradebook:
    """The platform's own gradebook: line items and, per line item and user, the latest accepted score."""

    items: dict[str, dict] = field(default_factory=dict)
    scores: dict[tuple[str, str], dict] = field(default_factory=dict)
    posts: int = 0  # score posts accepted
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Request(Request):
    def build_metadata(self, h: "_Handler"):
        return {"method": h.command, "form_data": h.form, "get_data": h.query, "headers": h.headers,
                "content_type": h.headers.get("Content-Type"), "path": h.path_only, "json": h.json_body}


class LmsPlatform:
    """A course on an LTI 1.3 platform; `start()` serves it on 127.0.0.1."""

    def __init__(self, *, client_id: str = "medai-tool", deployment_id: str = "dep-1", context_id: str = "course-1"):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.client_id, self.deployment_id, self.context_id = client_id, deployment_id, context_id
        self.gradebook = Gradebook()
        self.members: list[Member] = []
        self.links: dict[str, dict] = {}  # resource link id -> its custom parameters (e.g. {"assignment": ...})
        self.tool_jwks: dict | None = None  # the tool's public keys; else fetched from tool_jwks_url
        self.tool_jwks_url = ""
        self.tool_login_url = ""  # the tool's OIDC login initiation URL
        self.tool_launch_url = ""  # target_link_uri
        self.fail_scores = 0  # the next N score posts answer 503 (a platform that is down)
        self.token_requests = 0
        self.server: ThreadingHTTPServer | None = None
        self.launches: list[dict] = []  # every id_token's claims as signed

    # --- serving
    def start(self) -> "LmsPlatform":
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def issuer(self) -> str:
        return self.url

    @property
    def token_url(self) -> str:
        return f"{self.url}/token"

    @property
    def lineitems_url(self) -> str:
        return f"{self.url}/lineitems"

    @property
    def memberships_url(self) -> str:
        return f"{self.url}/memberships"

    @property
    def jwks_url(self) -> str:
        return f"{self.url}/jwks"

    @property
    def auth_url(self) -> str:
        return f"{self.url}/authorize"

    def launch_url(self, user_id: str, resource_link: str = "rl-1") -> str:
        """Where a browser starts a launch of `user_id` (the LMS's link to the tool)."""
        return f"{self.url}/launch?user={user_id}&rl={resource_link}"

    # --- the library's configuration
    def registration(self) -> Registration:
        reg = (Registration().set_iss(self.issuer).set_client_id(self.client_id)
               .set_deployment_id(self.deployment_id).set_platform_public_key(_pem(self.key, False))
               .set_platform_private_key(_pem(self.key, True)))
        if self.tool_login_url:
            reg.set_oidc_login_url(self.tool_login_url)
        if self.tool_launch_url:
            reg.set_launch_url(self.tool_launch_url)
        if self.tool_jwks is not None:
            reg.set_tool_key_set(self.tool_jwks)
        elif self.tool_jwks_url:
            reg.set_tool_key_set_url(self.tool_jwks_url)
        return reg

    def conf(self) -> LTI1P3PlatformConfAbstract:
        platform = self

        class Conf(LTI1P3PlatformConfAbstract):
            def init_platform_config(self, **kwargs):
                pass

            def get_registration_by_params(self, **kwargs):
                return platform.registration()

        c = Conf()
        c.get_registration()
        return c

    def sign(self, claims: dict) -> str:
        """An id_token signed with the platform's key, as the library signs its launches."""
        return self.conf().get_registration().platform_encode_and_sign(claims)

    def score(self, resource_id: str, user_id: str) -> dict | None:
        """The platform gradebook's cell: the latest score of `user_id` on the line item of `resource_id`."""
        with self.gradebook.lock:
            ids = [i for i, item in self.gradebook.items.items() if item.get("resourceId") == resource_id]
            assert len(ids) <= 1, f"{len(ids)} line items for {resource_id}"
            return self.gradebook.scores.get((ids[0], user_id)) if ids else None


def _handler_for(platform: LmsPlatform):
    class Handler(_Handler):
        lms = platform
    return Handler


class _Handler(BaseHTTPRequestHandler):
    lms: LmsPlatform
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _read(self):
        u = urlparse(self.path)
        self.path_only = u.path
        self.query = dict(parse_qsl(u.query))
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        ctype = (self.headers.get("Content-Type") or "").split(";")[0]
        self.form = dict(parse_qsl(raw.decode())) if ctype == "application/x-www-form-urlencoded" else {}
        self.json_body = json.loads(raw) if raw and ctype.endswith("json") else None

    def _send(self, code: int, body: t.Any = None, *, ctype: str = "application/json", headers: dict | None = None):
        data = b"" if body is None else (body.encode() if isinstance(body, str) else json.dumps(body).encode())
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self._route()

    def do_POST(self):
        self._route()

    def do_PUT(self):
        self._route()

    def _route(self):
        self._read()
        p, lms = self.path_only, self.lms
        try:
            if p == "/jwks":
                return self._send(200, lms.conf().get_jwks())
            if p == "/token":
                return self._token()
            if p == "/launch":
                return self._launch_start()
            if p == "/authorize":
                return self._authorize()
            if p == "/memberships":
                return self._service(_Nrps(_Request(self), lms.conf(), lms.memberships_url, lms).handle_get_members)
            if p.startswith("/lineitems"):
                return self._ags(p)
            return self._send(404, {"error": "not found"})
        except LtiException as err:
            return self._send(400, {"error": str(err)})

    def _token(self):
        lms = self.lms
        lms.token_requests += 1
        conf = lms.conf()
        try:
            claims = jwt.decode(self.form.get("client_assertion", ""), options={"verify_signature": False})
            if claims.get("aud") != lms.token_url or claims.get("iss") != lms.client_id:
                return self._send(401, {"error": "invalid_client"})
            return self._send(200, conf.get_access_token(self.form))
        except Exception as err:  # the library raises its own and PyJWT's errors: all are invalid_client
            return self._send(401, {"error": "invalid_client", "error_description": str(err)})

    def _launch_start(self):
        lms = self.lms
        conf = lms.conf()
        platform_self = self

        class Login(OIDCLoginAbstract):
            def set_lti_message_hint(self, **kwargs):
                self._lti_message_hint = kwargs["hint"]

            def get_redirect(self, url):
                return platform_self._send(302, "", headers={"Location": url})

        login = Login(_Request(self), conf)
        login.set_lti_message_hint(hint=json.dumps({"rl": self.query.get("rl", "rl-1")}))
        return login.initiate_login(self.query["user"])

    def _authorize(self):
        lms = self.lms
        args = {**self.query, **self.form}
        member = next((m for m in lms.members if m.user_id == args.get("login_hint")), None)
        if member is None:
            return self._send(403, "unknown user")
        hint = json.loads(args.get("lti_message_hint") or "{}")
        platform_self = self

        class Launch(LTIAdvantageMessageLaunchAbstract):
            def get_preflight_response(self):
                return args

            def render_launch_form(self, launch_data, **kwargs):
                return platform_self._send(200, LAUNCH_FORM.render(launch_data), ctype="text/html")

            def generate_launch_request(self):
                data = super().generate_launch_request()
                lms.launches.append(jwt.decode(data["id_token"], options={"verify_signature": False}))
                return data

        launch = Launch(_Request(self), lms.conf())
        launch.set_user_data(member.user_id, [r if r.startswith("http") else LIS + r for r in member.roles],
                             full_name=member.name, email_address=member.email)
        launch.set_resource_link_claim(hint.get("rl", "rl-1"), title=hint.get("rl", "rl-1"))
        launch.set_launch_context_claim(lms.context_id, context_title="Medical AI", context_label="MEDAI101")
        custom = {**member.custom, **lms.links.get(hint.get("rl", "rl-1"), {})}
        if custom:
            launch.set_custom_parameters_claim(custom)
        launch.set_ags(lms.lineitems_url)
        launch.set_nrps(lms.memberships_url)
        return launch.lti_launch()

    def _service(self, handle, *args):
        try:
            resp = handle(*args)
        except LtiServiceException as err:  # the library's own refusal (no token, a wrong scope)
            return self._send(err.status_code, {"error": err.message})
        body = resp.result if resp.result is not None else ({"message": resp.message} if resp.code >= 400 else None)
        return self._send(resp.code, body, ctype=resp.media_type)

    def _ags(self, p: str):
        lms = self.lms
        parts = p.strip("/").split("/")  # lineitems[/<id>[/scores|results]]
        svc = _Ags(_Request(self), lms.conf(), lms.lineitems_url, lms)
        if len(parts) == 1:
            return self._service(svc.handle_get_lineitems if self.command == "GET" else svc.handle_create_lineitem)
        item = f"{lms.lineitems_url}/{parts[1]}"
        if len(parts) == 2:
            return self._service(svc.handle_get_lineitem if self.command == "GET" else svc.handle_update_lineitem, item)
        if parts[2] == "scores":
            if lms.fail_scores > 0:
                lms.fail_scores -= 1
                return self._send(503, {"error": "unavailable"})
            return self._service(svc.handle_update_score, item)
        if parts[2] == "results":
            return self._service(svc.handle_get_results, item)
        return self._send(404, {"error": "not found"})


class _Ags(AssignmentsGradesService):
    """The library's AGS handlers over the platform's gradebook."""

    def __init__(self, request, conf, lineitems_url, lms: LmsPlatform):
        super().__init__(request, conf, lineitems_url)
        self.gb = lms.gradebook

    def find_lineitems(self, page=1, limit=None, line_item_id=None, resource_link_id=None, resource_id=None,
                       tag=None):
        with self.gb.lock:
            items = [i for i in self.gb.items.values()
                     if (resource_id is None or i.get("resourceId") == resource_id)
                     and (tag is None or i.get("tag") == tag)]
        return {"content": items, "has_next": False, "next": None}

    def find_lineitem(self, line_item_id):
        with self.gb.lock:
            if line_item_id not in self.gb.items:
                raise LineItemNotFoundException(line_item_id)
            return self.gb.items[line_item_id]

    def create_lineitem(self, creation_data):
        with self.gb.lock:
            new_id = f"{self.ags.lineitems_url}/{len(self.gb.items) + 1}"
            self.gb.items[new_id] = {**creation_data, "id": new_id}
            return self.gb.items[new_id]

    def update_lineitem(self, update_data):
        with self.gb.lock:
            if update_data["id"] not in self.gb.items:
                raise LineItemNotFoundException(update_data["id"])
            self.gb.items[update_data["id"]].update(update_data)
            return self.gb.items[update_data["id"]]

    def delete_lineitem(self, line_item_id):
        with self.gb.lock:
            self.gb.items.pop(line_item_id)

    def update_score(self, line_item_id, score):
        with self.gb.lock:
            if line_item_id not in self.gb.items:
                raise LineItemNotFoundException(line_item_id)
            for need in ("userId", "activityProgress", "gradingProgress", "timestamp"):
                if need not in score:
                    return UpdateScoreStatus.NOTAPPLIED
            if "scoreGiven" in score and "scoreMaximum" not in score:
                return UpdateScoreStatus.NOTAPPLIED
            key = (line_item_id, score["userId"])
            old = self.gb.scores.get(key)
            if old and old["timestamp"] >= score["timestamp"]:
                return UpdateScoreStatus.OLD_TIMESTAMP
            self.gb.scores[key] = dict(score)
            self.gb.posts += 1
            return UpdateScoreStatus.SUCCESS if old else UpdateScoreStatus.CREATED

    def get_results(self, line_item_id, page=1, limit=None, user_id=None):
        with self.gb.lock:
            rows = [{"userId": u, "resultScore": s.get("scoreGiven"), "resultMaximum": s.get("scoreMaximum")}
                    for (i, u), s in self.gb.scores.items() if i == line_item_id and (user_id in (None, u))]
        return {"content": rows, "has_next": False, "next": None}


class _Nrps(NamesRoleProvisioningService):
    def __init__(self, request, conf, url, lms: LmsPlatform):
        super().__init__(request, conf, url)
        self.lms = lms

    def get_member_data_page(self, page=1, limit=None, role=None, since=None, **kw):
        return {"content": [m.nrps() for m in self.lms.members], "has_next": False, "next": None}

    def get_context_by_id(self):
        return Context(id=self.lms.context_id, label="MEDAI101", title="Medical AI")
