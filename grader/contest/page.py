"""The contest page: a JupyterHub-managed service (name `contest`) showing each contest's leaderboards, where a
team submits and chooses its final submissions, and where instructors see every submission and reveal the
private leaderboard.

It lives beside the contest's record (medai.grader may import course and datasets, never hub or progress), as
the staff progress page lives in medai.progress: users sign in through the hub with OAuth
(jupyterhub.services.auth.HubOAuthenticated), every handler checks the user's hub groups again. Students see the
public leaderboard, their own team's submissions (score, or a summary of the failure: never outputs or messages)
and, once revealed, the private leaderboard; instructors see both leaderboards at any time and every submission
with its reason. Submissions run in the grading sandbox, so the service runs as root (as grade on submit does).

Korean by default, English with `?lang=en`; titles from course.yaml (`title_ko` in Korean); times in the
course's time zone. Server-rendered HTML, no script; forms carry tornado's XSRF token.
"""
from __future__ import annotations

import asyncio
import logging
import os
import re
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable
from urllib.parse import urlencode, urlparse

from jupyterhub.services.auth import HubOAuth, HubOAuthCallbackHandler, HubOAuthenticated
from jupyterhub.utils import url_path_join
from tornado import ioloop, web

from medai.course import load_course
from medai.course.layout import Layout
from medai.course.model import ROLE_GROUPS, Contest, Course
from medai.errors import UserError
from medai.i18n import DEFAULT_LANGUAGE, LANGUAGES, normalise
from medai.grader.contest import leaderboard, teams
from medai.grader.contest import submit as submitting
from medai.grader.contest.paths import ContestPaths
from medai.grader.contest.store import Store, now_utc
from medai.grader.contest.words import ContestError, gettext_for

log = logging.getLogger("medai.contest_page")
TEMPLATES = Path(__file__).with_name("templates")
STUDENTS, INSTRUCTORS, STAFF = ROLE_GROUPS["student"], ROLE_GROUPS["instructor"], ROLE_GROUPS["staff"]
LANGUAGE_NAMES = {"ko": "한국어", "en": "English"}
TITLE_FIELD = {"ko": "title_ko", "en": "title"}
DESCRIPTION_FIELD = {"ko": "description_ko", "en": "description"}
MAX_UPLOAD = 20 << 20
PAGE_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; "
               "frame-ancestors 'none'")


def groups_of(user: dict | None) -> set[str]:
    return set((user or {}).get("groups") or ())


def is_instructor(user: dict | None) -> bool:
    return INSTRUCTORS in groups_of(user)


@dataclass
class PageState:
    course_path: str | None
    layout: Layout
    data_dir: Path
    options: submitting.SubmitOptions = field(default_factory=submitting.SubmitOptions)
    clock: Callable[[], datetime] = now_utc
    pool: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(2, thread_name_prefix="contest"))
    running: dict = field(default_factory=dict)  # (contest, team) -> the API's submission under way (its future)

    def course(self) -> Course:
        from medai.settings import Settings

        return load_course(self.course_path or Settings.from_env().course_file)

    def roster(self, course: Course):
        from medai.course.roster import parse_roster

        return parse_roster(self.layout.roster_file, course=course)

    def paths(self, contest_id: str) -> ContestPaths:
        return ContestPaths.of(self.layout, contest_id, data_dir=self.data_dir)


class _Handler(HubOAuthenticated, web.RequestHandler):
    def initialize(self, state: PageState, hub_auth: HubOAuth) -> None:
        self.state = state
        self.hub_auth = hub_auth

    def set_default_headers(self) -> None:
        self.set_header("Content-Security-Policy", PAGE_POLICY)
        self.set_header("X-Content-Type-Options", "nosniff")

    @property
    def lang(self) -> str:
        try:
            return normalise(self.get_argument("lang", "")) or DEFAULT_LANGUAGE
        except ValueError:
            return DEFAULT_LANGUAGE

    @property
    def _(self):
        return gettext_for(self.lang).gettext

    def prepare(self) -> None:
        user = self.current_user
        if user is None:
            self.redirect(self.get_login_url())
            return
        if not groups_of(user) & {STUDENTS, INSTRUCTORS, STAFF}:
            raise web.HTTPError(403, self._("{name} takes part in no contest of this course").format(
                name=user.get("name")))

    def url(self, path: str = "", **params) -> str:
        params = {"lang": self.get_argument("lang", ""), **params}
        query = urlencode({k: v for k, v in params.items() if v})
        return url_path_join(self.hub_auth.base_url, path) + (f"?{query}" if query else "")

    def contest(self, course: Course, contest_id: str) -> Contest:
        try:
            return course.contest(contest_id)
        except KeyError:
            raise web.HTTPError(404, self._("no contest {id}").format(id=contest_id)) from None

    def when(self, moment: datetime, course: Course) -> str:
        return moment.astimezone(course.course.tz).strftime("%Y-%m-%d %H:%M %Z")

    def write_error(self, status_code: int, **kwargs) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        message = exc.log_message if isinstance(exc, web.HTTPError) and exc.log_message else self._reason
        if isinstance(exc, UserError):
            message = str(exc)
        self.render("error.html", status=status_code, message=message, home=self.url())

    def get_template_namespace(self) -> dict:
        ns = super().get_template_namespace()
        here = re.sub(r"/(submit|choose|reveal|team)$", "", self.request.path)  # after a form: the contest's page
        ns.update(_=self._, lang=self.lang, user_name=(self.current_user or {}).get("name", ""), url=self.url,
                  languages=[(c, LANGUAGE_NAMES[c], f"{here}?{urlencode({'lang': c})}") for c in LANGUAGES],
                  title_of=lambda item: getattr(item, TITLE_FIELD[self.lang]))
        return ns


class IndexHandler(_Handler):
    def get(self) -> None:
        course = self.state.course()
        self.render("index.html", course=course, contests=course.contests)


class ContestHandler(_Handler):
    def get(self, contest_id: str) -> None:
        self.show(contest_id)

    def show(self, contest_id: str, *, notice: str = "", refused: str = "") -> None:
        course = self.state.course()
        contest = self.contest(course, contest_id)
        paths = self.state.paths(contest.id)
        store = Store(paths.database)
        user = self.current_user
        instructor = is_instructor(user)
        revealed = store.revealed()
        team = store.team_of(user["name"])
        now = self.state.clock()
        phase = submitting.open_phase(contest, now)
        rows = store.submissions() if instructor else (store.submissions(team) if team else [])
        private = leaderboard.private_board(contest, store) if (revealed or instructor) else None
        self.render("contest.html", course=course, contest=contest, public=leaderboard.public_board(contest, store),
                    private=private, revealed=revealed, instructor=instructor, team=team,
                    members=store.teams().get(team, []) if team else [], rows=rows, phase=phase,
                    final_over=now >= contest.final_phase.ends, notice=notice, refused=refused, when=self.when,
                    summary=lambda r: gettext_for(self.lang).gettext(r.summary).format(**r.fields) if r.summary else "",
                    description=getattr(contest, DESCRIPTION_FIELD[self.lang]), student=STUDENTS in groups_of(user),
                    chosen=[r.id for r in leaderboard.chosen_or_default(rows, contest.metric)] if team else [])


class SubmitHandler(ContestHandler):
    async def post(self, contest_id: str) -> None:
        files = self.request.files.get("submission") or []
        course = self.state.course()
        contest = self.contest(course, contest_id)
        if not files or not files[0]["body"]:
            return self.show(contest.id, refused=self._("choose a file to submit"))
        data = files[0]["body"]
        if len(data) > MAX_UPLOAD:
            return self.show(contest.id, refused=self._("the file is larger than 20 MB"))
        state = self.state
        try:
            result = await asyncio.get_running_loop().run_in_executor(state.pool, lambda: submitting.submit(
                course=course, contest_id=contest.id, paths=state.paths(contest.id), roster=state.roster(course),
                student=self.current_user["name"], data=data, options=state.options, layout=state.layout,
                when=state.clock()))
        except ContestError as err:
            return self.show(contest.id, refused=err.text(self.lang))
        if result.public is None:
            text = gettext_for(self.lang).gettext(result.summary).format(**result.fields)
            return self.show(contest.id, refused=self._("submission {id} failed: {why}").format(id=result.id, why=text))
        self.show(contest.id, notice=self._("submission {id}: public score {score}").format(
            id=result.id, score=f"{result.public.value:.4f}"))


class TeamHandler(ContestHandler):
    """A student creates a team or joins one (when the contest lets students form teams)."""

    def post(self, contest_id: str) -> None:
        course = self.state.course()
        contest = self.contest(course, contest_id)
        action = self.get_argument("action", "")
        if action not in ("create", "join"):
            raise web.HTTPError(400)
        try:
            store = Store(self.state.paths(contest.id).database)
            teams.enrol(contest, store, teams.Students.of(self.state.roster(course)), student=self.current_user["name"],
                        team=self.get_argument("team", "").strip(), create=action == "create")
        except ContestError as err:
            return self.show(contest.id, refused=err.text(self.lang))
        self.show(contest.id, notice=self._("you are in team {team}").format(team=self.get_argument("team").strip()))


class ChooseHandler(ContestHandler):
    def post(self, contest_id: str) -> None:
        course = self.state.course()
        contest = self.contest(course, contest_id)
        try:
            ids = [int(v) for v in self.get_arguments("chosen")]
            submitting.choose(course=course, contest_id=contest.id, paths=self.state.paths(contest.id),
                              roster=self.state.roster(course), student=self.current_user["name"], ids=ids)
        except ContestError as err:
            return self.show(contest.id, refused=err.text(self.lang))
        except ValueError:
            raise web.HTTPError(400) from None
        self.show(contest.id, notice=self._("your choice for the final ranking is saved"))


class RevealHandler(ContestHandler):
    def post(self, contest_id: str) -> None:
        if not is_instructor(self.current_user):
            raise web.HTTPError(403, self._("only instructors reveal the private leaderboard"))
        course = self.state.course()
        contest = self.contest(course, contest_id)
        try:
            submitting.reveal(course=course, contest_id=contest.id, paths=self.state.paths(contest.id),
                              by=self.current_user["name"], when=self.state.clock())
        except ContestError as err:
            return self.show(contest.id, refused=err.text(self.lang))
        self.show(contest.id, notice=self._("the private leaderboard is revealed"))


class _CallbackHandler(HubOAuthCallbackHandler):
    def initialize(self, hub_auth: HubOAuth) -> None:
        self.hub_auth = hub_auth


def make_app(*, course_path: str | None, layout: Layout, data_dir: Path, hub_auth: HubOAuth | None = None,
             options: submitting.SubmitOptions | None = None,
             clock: Callable[[], datetime] | None = None) -> web.Application:
    hub_auth = hub_auth or HubOAuth.instance()
    state = PageState(course_path=course_path, layout=layout, data_dir=Path(data_dir),
                      options=options or submitting.SubmitOptions(), clock=clock or now_utc)
    prefix = hub_auth.base_url
    args = {"state": state, "hub_auth": hub_auth}
    from medai.grader.contest import api  # the panel's JSON API (it builds on this module's handlers)

    return web.Application([
        *api.handlers(prefix, args),
        (url_path_join(prefix, "oauth_callback"), _CallbackHandler, {"hub_auth": hub_auth}),
        (prefix, IndexHandler, args),
        (url_path_join(prefix, r"c/([a-z0-9-]+)"), ContestHandler, args),
        (url_path_join(prefix, r"c/([a-z0-9-]+)/submit"), SubmitHandler, args),
        (url_path_join(prefix, r"c/([a-z0-9-]+)/choose"), ChooseHandler, args),
        (url_path_join(prefix, r"c/([a-z0-9-]+)/team"), TeamHandler, args),
        (url_path_join(prefix, r"c/([a-z0-9-]+)/reveal"), RevealHandler, args),
    ], cookie_secret=secrets.token_bytes(32), xsrf_cookies=True, template_path=str(TEMPLATES),
        autoescape="xhtml_escape", max_body_size=MAX_UPLOAD + (1 << 20))


def serve(*, course_path: str | None, layout: Layout, data_dir: Path, port: int = 0) -> None:
    """Run the page on 127.0.0.1 and the port of $JUPYTERHUB_SERVICE_URL (or `port`) until interrupted."""
    if not port:
        url = urlparse(os.environ.get("JUPYTERHUB_SERVICE_URL", ""))
        if not url.port:
            raise UserError("give --port, or run it as a hub service (the hub sets $JUPYTERHUB_SERVICE_URL)")
        port = url.port
    logging.basicConfig(level=logging.INFO, format="[%(levelname)s %(asctime)s %(name)s] %(message)s")
    from medai.settings import Settings

    options = submitting.SubmitOptions(sandbox_prefix=Settings.from_env().sandbox_prefix)
    make_app(course_path=course_path, layout=layout, data_dir=data_dir, options=options).listen(port, address="127.0.0.1")
    log.info("contest page on http://127.0.0.1:%d%s", port, HubOAuth.instance().base_url)
    try:
        ioloop.IOLoop.current().start()
    except KeyboardInterrupt:
        pass
