"""The LMS calls as the CLI runs them, from the settings: the client, `medai lms sync`, the members for
`medai roster import --from-lms`, and the tool's keys (`medai lms keys`)."""
from __future__ import annotations

from pathlib import Path

from medai.course import Course
from medai.course.roster import parse_roster
from medai.errors import UserError
from medai.settings import Settings

from .client import LmsClient, Platform
from .endpoints import Endpoints, course_endpoints
from .keys import ensure_key, load_key, public_jwk, write_jwks
from .ledger import Ledger, locked
from .nrps import fetch_members, user_ids
from .roster import LmsRoster, roster_csv
from .sync import SyncReport, sync_scores
from .text import lms_text


def _need(settings: Settings, *names: str) -> None:
    from medai.settings import env_name

    missing = [env_name(n) for n in names if not getattr(settings, n)]
    if missing:
        raise UserError(lms_text(settings.lang).gettext(
            "the LMS is not configured: set {names} (README \"The university's LMS\")").format(names=", ".join(missing)))


def make_keys(*, settings: Settings) -> tuple[Path, Path]:
    """(the private key, 0600; the public JWKS the hub serves), the key made once."""
    key = ensure_key(settings.lti_key_path)
    return key, write_jwks(key)


def client_for(settings: Settings) -> LmsClient:
    _need(settings, "lti_issuer", "lti_client_id", "lti_token_url")
    key = load_key(settings.lti_key_path)
    platform = Platform(issuer=settings.lti_issuer, client_id=settings.lti_client_id,
                        token_url=settings.lti_token_url, deployment_id=settings.lti_deployment_id,
                        audience=settings.lti_token_audience)
    return LmsClient(platform=platform, private_key=key, kid=public_jwk(key)["kid"], lang=settings.lang)


def members(*, settings: Settings, client: LmsClient | None = None, where: Endpoints | None = None) -> list[dict]:
    """The course's members, from the memberships URL of the newest launch, else of the settings."""
    where = where or course_endpoints(settings)
    where.need("memberships", lang=settings.lang)
    return fetch_members(client or client_for(settings), where.memberships)


def sync(*, course: Course, settings: Settings, assignment: str | None = None,
         client: LmsClient | None = None) -> SyncReport:
    """Post the changed scores of every roster student the LMS lists (of one assignment, or all)."""
    from medai.progress.sources import load_progress

    _need(settings, "lti_issuer", "lti_client_id", "lti_token_url")
    where = course_endpoints(settings)
    where.need("lineitems", "memberships", lang=settings.lang)
    client = client or client_for(settings)
    report = load_progress(course=course, layout=settings.layout)
    roster = parse_roster(settings.layout.roster_file, course=course)
    ids = user_ids(members(settings=settings, client=client, where=where), roster.by_role("student"),
                   user_key=settings.lti_user_key)
    with locked(settings.lti_key_path.parent):
        ledger = Ledger.load(settings.lti_key_path.parent)
        out = sync_scores(client=client, report=report, lineitems_url=where.lineitems, user_ids=ids,
                          ledger=ledger, resubmissions=course.lms.resubmissions, assignment=assignment)
    out.endpoints = where
    return out


def roster_from_lms(*, course: Course, settings: Settings, client: LmsClient | None = None) -> LmsRoster:
    """The LMS course's members as a roster CSV (not yet validated nor applied)."""
    path = settings.layout.roster_file
    existing = parse_roster(path, course=course) if path.is_file() else None
    return roster_csv(members(settings=settings, client=client), existing=existing, user_key=settings.lti_user_key,
                      staff_role=settings.lti_staff_role, track_field=settings.lti_track_field)
