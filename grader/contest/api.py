"""The contest service's JSON API, for the My-course panel (hub_config/labextension/src/contests.ts), which reaches
it through the student's own server (medai.hub.my_contests) with that server's hub token.

- `GET  api/mine?lang=ko|en`: the signed-in student's open contests: titles, the open phase, their team, the
  submissions left today (or when the next is allowed), their team's latest submissions with public scores,
  and whether one of theirs is still running.
- `POST api/c/<id>/submit?lang=...` (the notebook or predictions file as the body): one submission for the
  student's team, through `medai.grader.contest.submit.submit` (the page's own path). It answers 200 with the
  outcome when it is done within a moment, 202 while it still runs (the panel polls `api/mine`), and 409 with
  the reason, in the reader's language and in both, when it is refused (over the cap, in no team, no phase open).

The student is the hub's (the token's) user, never anything the request says; only students may use the API
(403 for instructors, staff and anyone else), and only with a token (`Authorization: token ...`): the API is not
for a browser's cookie, so it needs no XSRF form token.
"""
from __future__ import annotations

import asyncio
import json
from concurrent.futures import Future
from datetime import datetime

from tornado import web

from medai.course.model import Contest, Course
from medai.grader.contest import submit as submitting
from medai.grader.contest import teams
from medai.errors import UserError
from medai.grader.contest.page import MAX_UPLOAD, STUDENTS, _Handler, groups_of
from medai.grader.contest.store import SCORED, Store
from medai.grader.contest.words import N_, ContestError, gettext_for
from medai.i18n import LANGUAGES

LATEST = 5  # submissions of the team shown in the panel
WAIT_SECONDS = 2.0  # how long a submit request waits for its outcome before answering 202


def _iso(moment: datetime | None, course: Course) -> str | None:
    return moment.astimezone(course.course.tz).isoformat() if moment else None


def _words(msgid: str, fields: dict) -> dict[str, str]:
    return {lang: gettext_for(lang).gettext(msgid).format(**fields) for lang in LANGUAGES}


class _Api(_Handler):
    def set_default_headers(self) -> None:
        super().set_default_headers()
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.set_header("Cache-Control", "no-store")

    def check_xsrf_cookie(self) -> None:
        """Only token requests get here (see prepare): no browser sends that header by itself."""

    def prepare(self) -> None:
        if not self.request.headers.get("Authorization", "").lower().startswith(("token ", "bearer ")):
            raise web.HTTPError(403, self._("this API takes a hub token"))
        user = self.current_user
        if user is None:
            raise web.HTTPError(403, self._("this API takes a hub token"))
        if STUDENTS not in groups_of(user):
            raise web.HTTPError(403, self._("only students submit to contests from My course"))

    def refuse(self, status: int, msgid: str, **fields) -> None:
        words = _words(msgid, fields)
        self.set_status(status)
        self.finish(json.dumps({"message": words[self.lang], "messages": words}, ensure_ascii=False))

    def write_error(self, status_code: int, **kwargs) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        message = exc.log_message if isinstance(exc, web.HTTPError) and exc.log_message else self._reason
        self.finish(json.dumps({"message": message}, ensure_ascii=False))


def _submission(row, lang: str) -> dict:
    summary = gettext_for(lang).gettext(row.summary).format(**row.fields) if row.summary else ""
    return {"id": row.id, "submitted": row.submitted.isoformat(), "status": row.status, "student": row.student,
            "public": row.public if row.status == SCORED else None, "low": row.public_low, "high": row.public_high,
            "summary": summary}


class MineHandler(_Api):
    def get(self) -> None:
        state = self.state
        course = state.course()
        students = teams.Students.of(state.roster(course))
        me = self.current_user["name"]
        now = state.clock()
        out = []
        for contest in course.contests:
            phase = submitting.open_phase(contest, now)
            if phase is None:
                continue
            out.append(self.one(course, contest, phase, students, me, now))
        self.finish(json.dumps({"now": _iso(now, course), "contests": out}, ensure_ascii=False))

    def one(self, course: Course, contest: Contest, phase, students, me: str, now: datetime) -> dict:
        store = Store(self.state.paths(contest.id).database)
        if contest.teams.fixed:  # course.yaml's teams into the record, as a submission would
            teams.sync_fixed(contest, store, students)
        team = store.team_of(me)
        item = {"id": contest.id, "title": contest.title, "title_ko": contest.title_ko, "kind": contest.submission,
                "phase": {"id": phase.id, "title": phase.title, "title_ko": phase.title_ko,
                          "ends": _iso(phase.ends, course)},
                "page": self.url(f"c/{contest.id}"), "cap": contest.daily_cap, "team": team, "members": [],
                "left_today": 0, "next_allowed": None, "latest": [], "running": False, "refused": None}
        if team is None:
            item["refused"] = _words(N_("{student} is in no team of this contest; create or join one first"),
                                     {"student": me})[self.lang]
            return item
        rows = store.submissions(team)
        start, end = submitting.day_bounds(now, course)
        used = len([r for r in rows if start <= r.submitted < end])
        item.update(members=store.teams().get(team, []), left_today=max(contest.daily_cap - used, 0),
                    latest=[_submission(r, self.lang) for r in sorted(rows, key=lambda r: r.id)[-LATEST:][::-1]])
        if used >= contest.daily_cap:
            item["next_allowed"] = _iso(end, course)
        job = self.state.running.get((contest.id, team))
        if job is not None:
            future: Future = job["future"]
            if not future.done():
                item["running"] = True
            elif isinstance(future.exception(), ContestError):
                item["refused"] = future.exception().text(self.lang)
        return item


class SubmitApiHandler(_Api):
    async def post(self, contest_id: str) -> None:
        state = self.state
        course = state.course()
        contest = self.contest(course, contest_id)
        data = self.request.body
        if not data:
            return self.refuse(400, N_("choose a file to submit"))
        if len(data) > MAX_UPLOAD:
            return self.refuse(400, N_("the file is larger than 20 MB"))
        me = self.current_user["name"]
        roster = state.roster(course)
        try:  # the team is the student's, as the record says; the request names none
            team = teams.team_for_submission(contest, Store(state.paths(contest.id).database), teams.Students.of(roster),
                                             student=me)
        except ContestError as err:
            return self.refuse(409, err.msgid, **err.fields)
        running = state.running
        job = running.get((contest.id, team))
        if job is not None and not job["future"].done():
            return self.refuse(409, N_("a submission of team {team} is still running"), team=team)
        future = state.pool.submit(lambda: submitting.submit(
            course=course, contest_id=contest.id, paths=state.paths(contest.id), roster=roster, student=me,
            data=data, options=state.options, layout=state.layout, when=state.clock()))
        running[(contest.id, team)] = {"future": future, "student": me}
        try:
            result = await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)), WAIT_SECONDS)
        except asyncio.TimeoutError:
            self.set_status(202)
            return self.finish(json.dumps({"running": True, "team": team}))
        except ContestError as err:
            return self.refuse(409, err.msgid, **err.fields)
        except UserError as err:  # e.g. no sandbox on this machine: the instructors' problem, said plainly
            raise web.HTTPError(503, str(err)) from None
        summary = gettext_for(self.lang).gettext(result.summary).format(**result.fields) if result.summary else ""
        self.finish(json.dumps({"id": result.id, "team": result.team, "status": result.status,
                                "public": result.public.value if result.public else None, "summary": summary},
                               ensure_ascii=False))


def handlers(prefix: str, args: dict) -> list:
    from jupyterhub.utils import url_path_join

    return [(url_path_join(prefix, "api/mine"), MineHandler, args),
            (url_path_join(prefix, r"api/c/([a-z0-9-]+)/submit"), SubmitApiHandler, args)]
