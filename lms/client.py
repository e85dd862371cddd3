"""Tool-to-platform calls: an OAuth 2 access token by the client-credentials grant with a signed JWT assertion
(IMS Security Framework 1.0, section 4.1), then JSON requests with it, following `Link: <...>; rel="next"`.

One token per set of scopes, kept until a minute before it expires. Every failure (network, HTTP status, a body
that is not JSON) is an LmsError naming the URL, so the sync can keep the post in its outbox.
"""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

import jwt
import requests

from medai.errors import UserError

from .text import lms_text

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
TIMEOUT = 20


class LmsError(UserError):
    """A call to the LMS failed; the message names the URL and what came back."""


@dataclass
class Platform:
    """One registration of medai on an LMS: what the LMS gave when medai was added as a tool."""

    issuer: str
    client_id: str
    token_url: str
    deployment_id: str = ""
    audience: str = ""  # the token endpoint's `aud` (Moodle, Canvas: the token URL itself), default token_url


@dataclass
class LmsClient:
    platform: Platform
    private_key: object  # cryptography RSAPrivateKey
    kid: str
    lang: str | None = None  # of its refusals (default: $MEDAI_LANG)
    session: requests.Session = field(default_factory=requests.Session)
    _tokens: dict = field(default_factory=dict)

    def assertion(self) -> str:
        now = int(time.time())
        claims = {"iss": self.platform.client_id, "sub": self.platform.client_id,
                  "aud": self.platform.audience or self.platform.token_url, "iat": now, "exp": now + 300,
                  "jti": uuid.uuid4().hex}
        return jwt.encode(claims, self.private_key, algorithm="RS256", headers={"kid": self.kid})

    def token(self, scopes: tuple[str, ...]) -> str:
        key = tuple(sorted(scopes))
        cached = self._tokens.get(key)
        if cached and cached[1] > time.time() + 60:
            return cached[0]
        form = {"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
                "client_assertion": self.assertion(), "scope": " ".join(key)}
        body = self._send("POST", self.platform.token_url, data=form, headers={"Accept": "application/json"})
        token = body.get("access_token") if isinstance(body, dict) else None
        if not token:
            raise LmsError(f"{self.platform.token_url}: no access_token in the answer")
        granted = set(str(body.get("scope", " ".join(key))).split())
        if not set(key) <= granted:
            raise LmsError(lms_text(self.lang).gettext(
                "{url}: the LMS did not grant {scopes} (enable the service for medai in the LMS's tool settings)")
                .format(url=self.platform.token_url, scopes=" ".join(sorted(set(key) - granted))))
        self._tokens[key] = (token, time.time() + float(body.get("expires_in", 3600)))
        return token

    def _send(self, method: str, url: str, **kw):
        try:
            r = self.session.request(method, url, timeout=TIMEOUT, **kw)
        except requests.RequestException as err:
            raise LmsError(f"{method} {url}: {err}") from None
        if r.status_code >= 400:
            raise LmsError(f"{method} {url}: HTTP {r.status_code} {r.text[:300]}")
        if not r.content:
            return None
        try:
            body = r.json()
        except ValueError:
            raise LmsError(f"{method} {url}: the answer is not JSON") from None
        return body

    def call(self, method: str, url: str, *, scopes: tuple[str, ...], accept: str, json=None,
             content_type: str | None = None, params: dict | None = None):
        headers = {"Authorization": f"Bearer {self.token(scopes)}", "Accept": accept}
        if content_type:
            headers["Content-Type"] = content_type
        try:
            r = self.session.request(method, url, timeout=TIMEOUT, headers=headers, json=json, params=params)
        except requests.RequestException as err:
            raise LmsError(f"{method} {url}: {err}") from None
        if r.status_code >= 400:
            raise LmsError(f"{method} {url}: HTTP {r.status_code} {r.text[:300]}")
        body = None
        if r.content:
            try:
                body = r.json()
            except ValueError:
                raise LmsError(f"{method} {url}: the answer is not JSON") from None
        return body, r.links.get("next", {}).get("url")

    def pages(self, url: str, *, scopes: tuple[str, ...], accept: str, params: dict | None = None):
        """Every page's body of a paged GET, first to last."""
        seen = set()
        while url and url not in seen:
            seen.add(url)
            body, url = self.call("GET", url, scopes=scopes, accept=accept, params=params)
            params = None  # the next link carries its own query
            yield body
