"""The staff progress page: cohort table with filters, a page per student, the plots, and downloads.

A JupyterHub-managed service (name `progress`): users sign in through the hub with OAuth
(jupyterhub.services.auth.HubOAuthenticated). The hub lets only roles with
`access:services!service=progress` (staff, instructors) complete the sign-in; every handler checks again that
the user is in the `staff` or `instructors` group, and answers 403 otherwise. Server-rendered HTML, GET only.

Every page is in Korean, or in English with `?lang=en` (a 한국어 | English switch on every page keeps the
filters; links, plots and downloads carry the language on): the words come from the "reports" catalogue
(medai.progress.reports.words), titles from course.yaml (`title_ko` in Korean), dates in the course's time zone.

The report is recomputed when it is older than `max_age` seconds (the gradebook is read, never written).
Rendering (plots, PDF, workbook) runs in one worker thread, so the page stays responsive while a large PDF is
built, and matplotlib is only ever used by one thread.
"""
from __future__ import annotations

import asyncio
import logging
import os
import re
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode, urlparse

from jupyterhub.services.auth import HubOAuth, HubOAuthCallbackHandler, HubOAuthenticated
from jupyterhub.utils import url_path_join
from tornado import ioloop, web

from medai.course import ProblemsError, load_course
from medai.course.layout import Layout
from medai.course.roster import ROLE_GROUPS
from medai.errors import UserError
from medai.i18n import DEFAULT_LANGUAGE, LANGUAGES, normalise
from medai.settings import Settings
from medai.progress.model import STATES, ProgressReport
from medai.progress.reports.tables import by_state, track_summaries
from medai.progress.reports.words import Words, words
from medai.progress.sources import ProgressInputs, load_inputs
from medai.progress.staff_page.selfcheck_api import SelfCheckHandler
from medai.progress.staff_page.student_api import MyCourseHandler

log = logging.getLogger("medai.staff_page")
ALLOWED_GROUPS = frozenset({ROLE_GROUPS["staff"], ROLE_GROUPS["instructor"]})
TEMPLATES = Path(__file__).with_name("templates")
PLOTS = ("scores", "completion", "competencies")
DOWNLOADS = {  # name -> (content type, file extension)
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "pdf": ("application/pdf", "pdf"),
    "csv": ("text/csv; charset=utf-8", "csv"),
    "csv-students": ("text/csv; charset=utf-8", "csv"),
    "canvas": ("text/csv; charset=utf-8", "csv"),
    "moodle": ("text/csv; charset=utf-8", "csv"),
}
# each language's name in itself, for the switch (never translated)
LANGUAGE_NAMES = {"ko": "한국어", "en": "English"}


def download_labels(w: Words) -> dict[str, str]:
    _ = w.gettext
    return {"xlsx": _("Excel"), "pdf": _("PDF"), "csv": _("CSV (details)"), "csv-students": _("CSV (per student)"),
            "canvas": _("Canvas grades"), "moodle": _("Moodle grades")}


def plot_labels(w: Words) -> dict[str, str]:
    _ = w.gettext
    return {"scores": _("Score distribution per assignment, by track"),
            "completion": _("Completion over time, by track (dotted: due dates)"),
            "competencies": _("Competency mastery by track and cohort (grey: not assessed)")}


def allowed(user: dict | None) -> bool:
    """Program staff and instructors (by their hub groups), nobody else."""
    return bool(user) and user.get("kind", "user") == "user" and bool(ALLOWED_GROUPS & set(user.get("groups") or ()))


@dataclass
class PageState:
    """What the handlers share: where to read from, the cached inputs and report, the rendering thread.

    The inputs are read again when older than `max_age` seconds, and at once when course.yaml, the roster, the
    (SQLite) gradebook or the course's collected submissions changed: an extension granted, a hand grade saved or
    a submission graded a moment ago shows on the next request."""

    course_path: str | None
    layout: Layout
    roster_path: str | None
    max_age: float = 30.0
    as_of: datetime | None = None  # None: now, at every reload
    on_submit: bool | None = None  # grade on submit as the hub runs it (None: course.yaml's)
    _inputs: ProgressInputs | None = None
    _report: ProgressReport | None = None
    _loaded: float = 0.0
    _stamp: tuple = ()
    _cache: dict = field(default_factory=dict)
    pool: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="render"))

    def _sources(self) -> tuple[Path, Path]:
        return (Path(self.course_path or Settings.from_env().course_file),
                Path(self.roster_path) if self.roster_path else self.layout.roster_file)

    def _watched(self, sources: tuple[Path, Path]) -> tuple[Path, ...]:
        """What a change of reloads at once: course.yaml, the roster, a SQLite gradebook (every write touches the
        file), the collected submissions."""
        url = self.layout.gradebook_url
        gradebook = (Path(url[len("sqlite:///"):]),) if url.startswith("sqlite:///") else ()
        return (*sources, *gradebook, self.layout.course_dir / "submitted")

    def inputs(self, max_age: float | None = None) -> ProgressInputs:
        """The inputs, read again when older than `max_age` (default: the page's) or when a source changed."""
        sources = self._sources()
        stamp = tuple(p.stat().st_mtime_ns if p.exists() else None for p in self._watched(sources))
        age = self.max_age if max_age is None else min(max_age, self.max_age)
        if self._inputs is None or stamp != self._stamp or time.monotonic() - self._loaded > age:
            course = load_course(sources[0])
            self._inputs = load_inputs(course=course, layout=self.layout, roster_path=sources[1], as_of=self.as_of)
            self._loaded, self._stamp, self._report = time.monotonic(), stamp, None
            self._cache.clear()
        return self._inputs

    def report(self) -> ProgressReport:
        inputs = self.inputs()
        if self._report is None:
            self._report = inputs.report()
        return self._report

    async def render(self, key: tuple, fn, *args):
        """fn(*args) in the rendering thread, cached with the report."""
        if key not in self._cache:
            self._cache[key] = await asyncio.get_running_loop().run_in_executor(self.pool, fn, *args)
        return self._cache[key]


# the page runs no script at all; its CSS is inline; images (plots) and the filter form stay on its origin
PAGE_POLICY = ("default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; form-action 'self'; "
               "base-uri 'none'; frame-ancestors 'none'")


class _Handler(HubOAuthenticated, web.RequestHandler):
    def initialize(self, state: PageState, hub_auth: HubOAuth) -> None:
        self.state = state
        self.hub_auth = hub_auth

    def set_default_headers(self) -> None:
        self.set_header("Content-Security-Policy", PAGE_POLICY)
        self.set_header("X-Content-Type-Options", "nosniff")

    @property
    def lang(self) -> str:
        """?lang=ko|en (a language medai has no catalogue for: the default, Korean)."""
        try:
            return normalise(self.get_argument("lang", "")) or DEFAULT_LANGUAGE
        except ValueError:
            return DEFAULT_LANGUAGE

    @property
    def explicit_lang(self) -> str:
        """The language the visitor chose (carried into every link), "" when none was."""
        return self.lang if self.get_argument("lang", "") else ""

    @property
    def words(self) -> Words:
        return words(self.lang)

    def prepare(self) -> None:
        user = self.current_user  # None: not signed in (or refused by the hub's scopes: 403 on redirect)
        if user is None:
            url = self.get_login_url()
            self.redirect(url)
            return
        if not allowed(user):
            _ = self.words.gettext
            if ROLE_GROUPS["student"] in set(user.get("groups") or ()):
                raise web.HTTPError(403, _("{name}: this page is for program staff and instructors; your own course, "
                                           "deadlines and scores are in JupyterLab, My course").format(
                    name=user.get("name")))
            raise web.HTTPError(403, _("{name} is neither program staff nor an instructor").format(name=user.get("name")))

    def url(self, path: str = "", **params) -> str:
        """A link on this page; the language chosen goes with it."""
        params = {"lang": self.explicit_lang, **params}
        query = urlencode({k: v for k, v in params.items() if v})
        return url_path_join(self.hub_auth.base_url, path) + (f"?{query}" if query else "")

    def here(self, **params) -> str:
        """This page with its filters, and `params` changed (the language switch)."""
        path = self.request.path[len(self.hub_auth.base_url.rstrip("/")):].lstrip("/")
        return self.url(path, **{**self.filters(), **params})

    def filters(self) -> dict[str, str]:
        return {k: self.get_argument(k, "") for k in ("track", "cohort", "at_risk")}

    def selected(self) -> ProgressReport:
        f = self.filters()
        return self.state.report().select(track=f["track"] or None, cohort=f["cohort"] or None,
                                          at_risk=True if f["at_risk"] else None)

    def write_error(self, status_code: int, **kwargs) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        message = exc.log_message if isinstance(exc, web.HTTPError) and exc.log_message else self._reason
        if isinstance(exc, (UserError, ProblemsError)):
            message = str(exc)
        self.render("error.html", status=status_code, message=message, home=self.url())

    def get_template_namespace(self) -> dict:
        namespace = super().get_template_namespace()
        w = self.words
        namespace.update(user_name=(self.current_user or {}).get("name", ""), w=w, _=w.gettext, ngettext=w.ngettext,
                         lang=w.lang, explicit_lang=self.explicit_lang, here=self.here,
                         languages=[(code, LANGUAGE_NAMES[code]) for code in LANGUAGES])
        return namespace


class CohortHandler(_Handler):
    def get(self) -> None:
        report = self.state.report()
        chosen = self.selected()
        f = self.filters()
        self.render("cohort.html", report=report, chosen=chosen, filters=f, tracks=track_summaries(chosen),
                    states=by_state(chosen), state_names=STATES, plots=plot_labels(self.words),
                    downloads=download_labels(self.words), url=self.url,
                    insight=ROLE_GROUPS["instructor"] in set(self.current_user.get("groups") or ())
                    or self.state.inputs().course.insight.staff_item_statistics)


class StudentHandler(_Handler):
    def get(self, student_id: str) -> None:
        report = self.state.report()
        chosen = report.select(student=student_id)
        if not chosen.students:
            raise web.HTTPError(404, self.words.gettext("no student {id} on the roster").format(id=repr(student_id)))
        w = self.words
        self.render("student.html", report=report, s=chosen.students[0], url=self.url,
                    titles=w.competency_titles(report), assignment_titles={a.id: w.title(a) for a in report.assignments})


def _plot(report: ProgressReport, name: str, lang: str) -> bytes:
    from medai.progress.reports.plots import plot_png

    return plot_png(report, name, lang=lang)


def _download(report: ProgressReport, name: str, lang: str) -> bytes:
    """The file of a download button: Excel and PDF in the page's language; CSV and the LMS files are for
    programs (stable columns, the format Canvas and Moodle import), the same in every language."""
    if name in ("canvas", "moodle"):
        from medai.progress.reports.lms import lms_csv

        return lms_csv(report, lms=name).encode("utf-8")
    if name == "csv-students":
        from medai.progress.reports.csv_export import summary_csv

        return summary_csv(report).encode("utf-8-sig")
    from medai.progress.reports.export import progress_bytes

    return progress_bytes(report, fmt=name, lang=lang)


class PlotHandler(_Handler):
    async def get(self, name: str) -> None:
        if name not in PLOTS:
            raise web.HTTPError(404)
        chosen = self.selected()
        data = await self.state.render(("plot", name, self.lang, tuple(self.filters().values())), _plot, chosen, name,
                                       self.lang)
        self.set_header("Content-Type", "image/png")
        self.set_header("Cache-Control", "private, max-age=30")
        self.finish(data)


class DownloadHandler(_Handler):
    async def get(self, name: str) -> None:
        if name not in DOWNLOADS:
            raise web.HTTPError(404)
        chosen = self.selected()
        data = await self.state.render(("download", name, self.lang, tuple(self.filters().values())), _download,
                                       chosen, name, self.lang)
        content_type, ext = DOWNLOADS[name]
        kind = {"canvas": "canvas", "moodle": "moodle", "csv-students": "progress-students"}.get(name, "progress")
        chosen_by = [re.sub(r"[^A-Za-z0-9_-]", "", self.get_argument(k, "")) for k in ("track", "cohort")]
        parts = [chosen.course_id, kind, *[v for v in chosen_by if v], chosen.as_of[:10]]
        self.set_header("Content-Type", content_type)
        self.set_header("Content-Disposition", f'attachment; filename="{"-".join(parts)}.{ext}"')
        self.set_header("Cache-Control", "private, no-store")
        self.finish(data)


class _CallbackHandler(HubOAuthCallbackHandler):
    def initialize(self, hub_auth: HubOAuth) -> None:
        self.hub_auth = hub_auth


def make_app(*, course_path: str | None, layout: Layout, roster_path: str | None = None,
             hub_auth: HubOAuth | None = None, max_age: float = 30.0,
             as_of: datetime | None = None, on_submit: bool | None = None) -> web.Application:
    """The tornado application; `hub_auth` defaults to one configured from the hub's JUPYTERHUB_* variables;
    `as_of` fixes the report's moment (default: now); `on_submit`: whether the hub grades on submit (None:
    course.yaml says)."""
    from medai.progress.staff_page.insight_page import routes as insight_routes

    hub_auth = hub_auth or HubOAuth.instance()
    state = PageState(course_path=course_path, layout=layout, roster_path=roster_path, max_age=max_age, as_of=as_of,
                      on_submit=on_submit)
    prefix = hub_auth.base_url  # the service prefix, e.g. /services/progress/
    args = {"state": state, "hub_auth": hub_auth}
    return web.Application([
        (url_path_join(prefix, "oauth_callback"), _CallbackHandler, {"hub_auth": hub_auth}),
        (prefix, CohortHandler, args),
        (url_path_join(prefix, r"student/([^/]+)"), StudentHandler, args),
        (url_path_join(prefix, r"plot/([a-z]+)\.png"), PlotHandler, args),
        (url_path_join(prefix, r"download/([a-z-]+)"), DownloadHandler, args),
        (url_path_join(prefix, r"api/students/([^/]+)/my-course"), MyCourseHandler, {**args, "reads_all": allowed}),
        (url_path_join(prefix, "api/selfchecks"), SelfCheckHandler, args),  # students' kernels record self-checks
        *insight_routes(prefix, args),  # the instructor's page (medai.progress.staff_page.insight_page)
    ], cookie_secret=secrets.token_bytes(32), xsrf_cookies=False, template_path=str(TEMPLATES),
        autoescape="xhtml_escape")


def _warm_up() -> None:
    import nbgrader.api  # noqa: F401

    import medai.progress.reports.plots  # noqa: F401


def serve(*, course_path: str | None, layout: Layout, roster_path: str | None = None, ip: str = "127.0.0.1",
          port: int = 0) -> None:
    """Run the page until interrupted, on 127.0.0.1 and the port of $JUPYTERHUB_SERVICE_URL (or `port`)."""
    if ip != "127.0.0.1":
        raise UserError("the staff page listens on 127.0.0.1 only; the hub's proxy serves it to browsers")
    if not port:
        url = urlparse(os.environ.get("JUPYTERHUB_SERVICE_URL", ""))
        if not url.port:
            raise UserError("give --port, or run it as a hub service (the hub sets $JUPYTERHUB_SERVICE_URL)")
        port = url.port
    logging.basicConfig(level=logging.INFO, format="[%(levelname)s %(asctime)s %(name)s] %(message)s")
    app = make_app(course_path=course_path, layout=layout, roster_path=roster_path,
                   on_submit=Settings.from_env().grade_on_submit)
    app.listen(port, address=ip)
    # import nbgrader and matplotlib now (seconds), not on the first visitor's request
    ioloop.IOLoop.current().run_in_executor(None, _warm_up)
    log.info("staff progress page on http://%s:%d%s", ip, port, HubOAuth.instance().base_url)
    try:
        ioloop.IOLoop.current().start()
    except KeyboardInterrupt:
        pass
