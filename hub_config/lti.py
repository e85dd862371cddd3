"""The LMS launch (LTI 1.3) over jupyterhub-ltiauthenticator: OIDC login initiation, the id_token checked
against the platform's JWKS (signature, issuer, audience, expiry, nonce and state: the library's checks), then
medai's: the deployment id, a nonce never accepted twice (the library compares it with a cookie only, so a
captured launch replayed with its cookies would pass), and the person on the roster.

The LMS user is found on the roster by `MEDAI_LTI_USER_KEY` (the e-mail, the SIS id, or a custom field holding
the roster id); a launch from anyone else is refused with a page that says so (hub_config/templates/error.html).
The launch's `sub`, issuer, deployment, resource link and the AGS/NRPS endpoints are kept in the user's
auth_state (encrypted with a key in `<root>/hub/lms/`). The tool's public JWKS is served at `/hub/lti13/jwks`.

A resource link per assignment: its custom parameter `assignment=<id>` (or a target link URI of
`<hub>/hub/user-redirect/lab?medai-assignment=<id>`) lands the student in JupyterLab with My course open on that
assignment's row (the panel reads `medai-assignment` from its URL and says so when the id is not one of theirs).
"""
from __future__ import annotations

import json
import os
import secrets
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

from ltiauthenticator.lti13.auth import LTI13Authenticator
from ltiauthenticator.lti13.constants import LTI13_CUSTOM_CLAIM
from ltiauthenticator.lti13.handlers import LTI13CallbackHandler
from jupyterhub.handlers import BaseHandler
from tornado.web import HTTPError
from traitlets import Dict, Int, Unicode

from medai.lti_store import from_claims, record, store_path

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
REFUSED = "LTI launch refused: %s is not on the course roster"  # error.html shows it in the reader's words
WRONG_DEPLOYMENT = "LTI launch refused: deployment %s is not medai's"
REPLAYED = "LTI launch refused: this launch was used already"
DEEP_LINK_PARAM = "medai-assignment"  # the My-course panel (hub_config/labextension/src/index.ts) reads it
ASSIGNMENT_CUSTOM = "assignment"  # the resource link's custom parameter naming an assignment


def auth_state_key(hub_dir: Path) -> bytes:
    """The key JupyterHub encrypts auth_state with (32 random bytes, made once, 0600)."""
    path = Path(hub_dir) / "lms" / "auth-state-key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text().strip())


def launch_key(id_token: dict, user_key: str) -> str | None:
    """The value naming the launching user on the roster (same rules as medai.lms.nrps.member_key)."""
    if user_key == "email":
        value = id_token.get("email")
        return value.strip().lower() if value else None
    if user_key == "lis_person_sourcedid":
        value = (id_token.get(CLAIM + "lis") or {}).get("person_sourcedid")
    else:
        value = (id_token.get(LTI13_CUSTOM_CLAIM) or {}).get(user_key.removeprefix("custom_"))
    return str(value).strip() if value else None


def kept_state(id_token: dict) -> dict:
    """What later grade and roster calls need from a launch."""
    ags = id_token.get(AGS_CLAIM) or {}
    return {
        "sub": id_token.get("sub"), "iss": id_token.get("iss"), "aud": id_token.get("aud"),
        "deployment_id": id_token.get(CLAIM + "deployment_id"),
        "context": (id_token.get(CLAIM + "context") or {}).get("id"),
        "resource_link": (id_token.get(CLAIM + "resource_link") or {}).get("id"),
        "roles": id_token.get(CLAIM + "roles", []),
        "lineitems": ags.get("lineitems"), "lineitem": ags.get("lineitem"), "ags_scope": ags.get("scope", []),
        "memberships_url": (id_token.get(NRPS_CLAIM) or {}).get("context_memberships_url"),
    }


def linked_assignment(id_token: dict) -> str | None:
    """The assignment a resource link's custom parameter `assignment` names (None without one)."""
    value = (id_token.get(LTI13_CUSTOM_CLAIM) or {}).get(ASSIGNMENT_CUSTOM)
    if value is None:
        return None
    return str(value).strip() or None


def assignment_url(base_url: str, assignment: str) -> str:
    """Where a launch for `assignment` lands: the user's JupyterLab, with My course open on it."""
    return f"{base_url.rstrip('/')}/hub/user-redirect/lab?{urlencode({DEEP_LINK_PARAM: assignment})}"


class CallbackHandler(LTI13CallbackHandler):
    """The library's launch callback; a launch from a resource link naming an assignment lands on it."""

    async def login_user(self, data=None):
        self._medai_assignment = linked_assignment(data or {})
        return await super().login_user(data)

    async def redirect_to_next_url(self, user):
        assignment = getattr(self, "_medai_assignment", None)
        if assignment is None:
            return await super().redirect_to_next_url(user)
        self.redirect(assignment_url(self.base_url, assignment))


class JwksHandler(BaseHandler):
    """GET /hub/lti13/jwks: the tool's public keys, for the LMS to check medai's signed assertions."""

    def get(self):
        path = Path(self.authenticator.tool_jwks_file)
        if not path.is_file():
            raise HTTPError(404, "no tool key yet: run `medai lms keys`")
        self.set_header("Content-Type", "application/json")
        self.finish(path.read_text(encoding="utf-8"))


class MedaiLTI13Authenticator(LTI13Authenticator):
    roster_keys = Dict(config=True, help="roster key (lower-cased e-mail or roster id) -> roster id")
    deployment_id = Unicode("", config=True, help="the only deployment launches may come from ('' = any)")
    nonce_ttl = Int(3600, config=True, help="seconds a used nonce is remembered (longer than an id_token lives)")
    tool_jwks_file = Unicode("", config=True, help="the tool's public JWKS (medai lms keys)")
    launch_store = Unicode("", config=True, help="where each launch's course endpoints are kept for `medai lms "
                                                 "sync` (medai.lti_store; '' = not kept)")

    _used: dict = {}
    _lock = threading.Lock()

    callback_handler = CallbackHandler

    def get_handlers(self, app):
        return [*super().get_handlers(app), (r"/lti13/jwks", JwksHandler)]

    def _first_use(self, nonce: str) -> bool:
        now = time.monotonic()
        with self._lock:
            for n, seen in list(self._used.items()):
                if now - seen > self.nonce_ttl:
                    del self._used[n]
            if nonce in self._used:
                return False
            self._used[nonce] = now
            return True

    async def authenticate(self, handler, data=None):
        token = data or {}
        deployment = token.get(CLAIM + "deployment_id")
        if self.deployment_id and deployment != self.deployment_id:
            raise HTTPError(403, WRONG_DEPLOYMENT, deployment)
        if not self._first_use(str(token.get("nonce"))):
            raise HTTPError(403, REPLAYED)
        key = launch_key(token, self.username_key)
        name = self.roster_keys.get(key) if key else None
        if name is None:
            raise HTTPError(403, REFUSED, key or token.get("sub", "?"))
        state = kept_state(token)
        if self.launch_store:
            record(Path(self.launch_store), from_claims(state))
        return {"name": name, "auth_state": state}


def apply_lti(c, s, roster) -> None:
    """The launch's settings (MEDAI_LTI_*) and the roster's keys on the authenticator."""
    c.JupyterHub.authenticator_class = "medai.hub.lti.MedaiLTI13Authenticator"
    a = c.MedaiLTI13Authenticator
    a.username_key = s.lti_user_key
    if s.lti_issuer:
        a.issuer = s.lti_issuer
    if s.lti_client_id:
        a.client_id = {s.lti_client_id}
    if s.lti_auth_url:
        a.authorize_url = s.lti_auth_url
    if s.lti_jwks_url:
        a.jwks_endpoint = s.lti_jwks_url
    a.deployment_id = s.lti_deployment_id
    a.tool_jwks_file = str(s.lti_key_path.with_name("jwks.json"))
    a.launch_store = str(store_path(s.lti_key_path))
    a.roster_keys = {(p.email.lower() if s.lti_user_key == "email" else p.id): p.id for p in roster.people}
    c.Authenticator.enable_auth_state = True
    c.CryptKeeper.keys = [auth_state_key(s.layout.hub_dir)]
