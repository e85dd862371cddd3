"""The LMS store: the course endpoints the LMS sent with its launches (LTI 1.3 `lineitems`, NRPS
`context_memberships_url`), kept for `medai lms sync` and `medai roster import --from-lms`.

The hub's authenticator (medai.hub.lti) records every accepted launch here, beside the tool's key in
`<root>/hub/lms/` (0600 in a 0700 directory only the hub's account enters); the lms package reads the newest one
of its platform and deployment. The endpoints a launch sends are the LMS's own word for this course, so they
win over `MEDAI_LTI_LINEITEMS_URL` / `MEDAI_LTI_MEMBERSHIPS_URL`, which stay the fallback (no launch yet). A leaf
module both sides import (medai.hub may not import medai.lms): the file's format lives only here.
"""
from __future__ import annotations

import fcntl
import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

NAME = "launches.json"


@dataclass(frozen=True)
class Launch:
    """What one launch said about its course."""

    issuer: str
    client_id: str
    deployment_id: str
    context: str
    lineitems: str | None
    memberships_url: str | None
    at: str  # ISO 8601, UTC


def store_path(key_path: Path) -> Path:
    """The store beside the tool's key (MEDAI_LTI_KEY_FILE)."""
    return Path(key_path).with_name(NAME)


def _read(path: Path) -> list[dict]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError):
        return []  # unreadable or half-written by hand: as if no launch were known (the settings then apply)
    return [d for d in data.get("launches", []) if isinstance(d, dict)] if isinstance(data, dict) else []


def record(path: Path, launch: Launch) -> None:
    """Keep `launch` as its course's newest (one entry per issuer, client, deployment and context)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path.with_name(NAME + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        key = (launch.issuer, launch.client_id, launch.deployment_id, launch.context)
        kept = [d for d in _read(path)
                if (d.get("issuer"), d.get("client_id"), d.get("deployment_id"), d.get("context")) != key]
        tmp = path.with_name(NAME + ".tmp")
        out = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(out, "w", encoding="utf-8") as f:
            json.dump({"launches": [*kept, asdict(launch)]}, f, indent=1, sort_keys=True)
        os.replace(tmp, path)
    finally:
        os.close(fd)


def from_claims(state: dict, *, now: datetime | None = None) -> Launch:
    """A Launch from what medai.hub.lti keeps of an id_token (its kept_state)."""
    aud = state.get("aud")
    client = aud[0] if isinstance(aud, list) and aud else aud
    at = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).isoformat(timespec="seconds")
    return Launch(issuer=str(state.get("iss") or ""), client_id=str(client or ""),
                  deployment_id=str(state.get("deployment_id") or ""), context=str(state.get("context") or ""),
                  lineitems=state.get("lineitems") or None, memberships_url=state.get("memberships_url") or None,
                  at=at)


def newest(path: Path, *, issuer: str, client_id: str, deployment_id: str = "") -> Launch | None:
    """The newest launch from this platform and registration (and deployment, when one is set), or None."""
    found = [d for d in _read(path) if d.get("issuer") == issuer and d.get("client_id") == client_id
             and (not deployment_id or d.get("deployment_id") == deployment_id)]
    if not found:
        return None
    d = max(found, key=lambda d: str(d.get("at", "")))
    return Launch(**{k: d.get(k) for k in Launch.__dataclass_fields__})
