"""Where the course's AGS line items and NRPS members are: the LMS's own word from its newest launch
(medai.lti_store, written by the hub at each launch), else the settings (`MEDAI_LTI_LINEITEMS_URL`,
`MEDAI_LTI_MEMBERSHIPS_URL`); each endpoint separately, and the report says which was used."""
from __future__ import annotations

from dataclasses import dataclass

from medai.errors import UserError
from medai.lti_store import newest, store_path
from medai.settings import Settings, env_name

from .text import lms_text

LAUNCH, SETTINGS = "launch", "settings"
CLAIMS = {"lineitems": "lineitems", "memberships": "context_memberships_url"}  # the launch's claim names
FIELDS = {"lineitems": "lti_lineitems_url", "memberships": "lti_memberships_url"}


@dataclass(frozen=True)
class Endpoints:
    lineitems: str | None
    memberships: str | None
    sources: dict  # "lineitems" / "memberships" -> LAUNCH or SETTINGS (only those found)
    launch_at: str | None = None  # when the launch that gave them happened

    def need(self, *names: str, lang: str | None = None) -> None:
        """Refuse, naming the settings to set, when an endpoint is known from neither the launches nor them."""
        missing = [env_name(FIELDS[n]) for n in names if not getattr(self, n)]
        if missing:
            raise UserError(lms_text(lang).gettext(
                "the LMS is not configured: set {names} (README \"The university's LMS\")")
                .format(names=", ".join(missing)))

    def lines(self, lang: str | None = None) -> list[str]:
        t = lms_text(lang)
        out = []
        launch = [CLAIMS[n] for n, s in self.sources.items() if s == LAUNCH]
        settings = [env_name(FIELDS[n]) for n, s in self.sources.items() if s == SETTINGS]
        if launch:
            out.append(t.gettext("endpoints from the LMS's launch of {at}: {names}")
                       .format(at=self.launch_at, names=", ".join(launch)))
        if settings:
            out.append(t.gettext("endpoints from the settings (no launch sent them yet): {names}")
                       .format(names=", ".join(settings)))
        return out


def course_endpoints(settings: Settings) -> Endpoints:
    """The newest launch's endpoints of this platform, registration and deployment, else the settings'."""
    launch = None
    if settings.lti_issuer and settings.lti_client_id:
        launch = newest(store_path(settings.lti_key_path), issuer=settings.lti_issuer,
                        client_id=settings.lti_client_id, deployment_id=settings.lti_deployment_id)
    found, sources = {}, {}
    for name, field in FIELDS.items():
        from_launch = getattr(launch, "memberships_url" if name == "memberships" else name, None) if launch else None
        if from_launch:
            found[name], sources[name] = from_launch, LAUNCH
        elif getattr(settings, field):
            found[name], sources[name] = getattr(settings, field), SETTINGS
    return Endpoints(found.get("lineitems"), found.get("memberships"), sources,
                     launch.at if launch and LAUNCH in sources.values() else None)
