"""Names and Role Provisioning Services 2.0 (https://www.imsglobal.org/spec/lti-nrps/v2p0): the course's
members, and who of them is who on medai's roster.

A member is matched to a roster person by `MEDAI_LTI_USER_KEY`: the e-mail address (case-insensitive), the
SIS id (`lis_person_sourcedid`), or a custom field (`custom_<name>`, from the member's `message` claims) that
holds the roster id. The same key finds a person at launch (medai.hub.lti), and LTI's `sub` is NRPS's `user_id`.
"""
from __future__ import annotations

from .client import LmsClient, LmsError
from .text import lms_text

SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
MEMBERSHIPS = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
CUSTOM = "https://purl.imsglobal.org/spec/lti/claim/custom"
LIS = "http://purl.imsglobal.org/vocab/lis/v2/membership#"


def fetch_members(client: LmsClient, memberships_url: str) -> list[dict]:
    """Every member of the course (all pages); members the LMS marks Inactive or Deleted are left out."""
    members = []
    for page in client.pages(memberships_url, scopes=(SCOPE,), accept=MEMBERSHIPS):
        if not isinstance(page, dict) or not isinstance(page.get("members"), list):
            raise LmsError(lms_text(client.lang).gettext("GET {url}: the LMS sent no list of members")
                           .format(url=memberships_url))
        members += page["members"]
    return [m for m in members if m.get("status", "Active") == "Active" and m.get("user_id")]


def custom_fields(member: dict) -> dict:
    out = {}
    for message in member.get("message") or []:
        out.update(message.get(CUSTOM) or {})
    return out


def member_key(member: dict, user_key: str) -> str | None:
    """The value that names this member on the roster (lower-cased e-mail), None when the LMS did not send it."""
    if user_key == "email":
        value = member.get("email")
        return value.strip().lower() if value else None
    if user_key == "lis_person_sourcedid":
        value = member.get("lis_person_sourcedid")
    else:
        value = custom_fields(member).get(user_key.removeprefix("custom_"))
    return str(value).strip() if value else None


def person_key(person, user_key: str) -> str:
    """The same value for a roster person: the e-mail (lower-cased), else the roster id."""
    return person.email.lower() if user_key == "email" else person.id


def roles(member: dict) -> set[str]:
    """The member's roles, short names for the LIS membership ones (Learner, Instructor, ...)."""
    return {r.removeprefix(LIS) for r in member.get("roles", [])} | set(member.get("roles", []))


def user_ids(members: list[dict], people, *, user_key: str) -> dict[str, str]:
    """roster id -> the LMS's user id (LTI `sub`), for the people the LMS lists."""
    by_key = {}
    for m in members:
        k = member_key(m, user_key)
        if k:
            by_key[k] = str(m["user_id"])
    return {p.id: by_key[person_key(p, user_key)] for p in people if person_key(p, user_key) in by_key}
