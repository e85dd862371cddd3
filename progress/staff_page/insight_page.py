"""The instructor's page of the progress service: per assignment, the item table with its flags and plots, the
failure groups, the self-check use (live: read on every request) and the similar answers; an Excel workbook with one sheet per view.

    <prefix>insight/                         the assignments in the gradebook
    <prefix>insight/<assignment>             the page
    <prefix>insight/<assignment>/<plot>.png  items (difficulty x discrimination), totals (histogram per track)
    <prefix>insight/<assignment>/download.xlsx

Instructors (hub group `instructors`) see everything. Program staff get 403, except for the aggregate item
statistics (the item table, the plots and a workbook of that sheet only) when course.yaml's
`insight.staff_item_statistics` is true; never the failure groups (students' messages) nor similarity. Students
get 403 everywhere (the staff page's own check, medai.progress.staff_page.app). Nothing is sent to students:
the similarity list says "look at these", no more.
"""
from __future__ import annotations

import asyncio

from tornado import web

from medai.course.roster import ROLE_GROUPS
from medai.progress.staff_page.app import _Handler

FORMGRADER_SERVICE = "formgrader-{course}"  # the hub's name of the course's formgrader (medai.hub.apply)


def is_instructor(user: dict | None) -> bool:
    return bool(user) and ROLE_GROUPS["instructor"] in set(user.get("groups") or ())


def segments(text: str, spans) -> list[tuple[str, bool]]:
    """`text` cut at `spans` into (piece, matched) for the side-by-side view."""
    out, at = [], 0
    for start, end in sorted(spans):
        start = max(start, at)
        if start > at:
            out.append((text[at:start], False))
        if end > start:
            out.append((text[start:end], True))
        at = max(at, end)
    if at < len(text):
        out.append((text[at:], False))
    return out


def _load(kind: str, course_dir, db_url: str, assignment: str):
    if kind == "items":
        from medai.progress.insight.items import load_items

        return load_items(course_dir=course_dir, db_url=db_url, assignment=assignment)
    if kind == "items-first":
        from medai.progress.insight.items import load_items

        return load_items(course_dir=course_dir, db_url=db_url, assignment=assignment, attempt="first")
    if kind == "failures":
        from medai.progress.insight.failures import load_failures

        return load_failures(course_dir=course_dir, db_url=db_url, assignment=assignment)
    from medai.progress.insight.similarity import load_similarity

    return load_similarity(course_dir=course_dir, db_url=db_url, assignment=assignment)


def _assignments(db_url: str) -> list[str]:
    from medai.nbgrader_adapter.cells import assignment_names
    from medai.progress.insight.gradebook import open_gradebook

    with open_gradebook(db_url) as gb:
        return assignment_names(gb)


def _selfchecks(layout, assignment: str, students: list[str]):
    from medai.progress.insight.selfcheck_use import selfcheck_use

    return selfcheck_use(layout=layout, assignment=assignment, students=students)


def _plot(items, name: str, tracks: dict, lang: str) -> bytes:
    from medai.progress.insight.plots import plot_png

    return plot_png(items, name, tracks=tracks, lang=lang)


def _workbook(views: dict, lang: str) -> bytes:
    from medai.progress.insight.export import workbook_bytes

    return workbook_bytes(**views, lang=lang)


class _InsightHandler(_Handler):
    def prepare(self) -> None:
        super().prepare()
        if self._finished:
            return
        if not self.instructor and not self.staff_sees_items:
            raise web.HTTPError(403, self.words.gettext(
                "{name}: the insight page is for instructors").format(name=self.current_user.get("name")))

    @property
    def instructor(self) -> bool:
        return is_instructor(self.current_user)

    @property
    def staff_sees_items(self) -> bool:
        return bool(self.state.inputs().course.insight.staff_item_statistics)

    async def view(self, kind: str, assignment: str):
        from medai.progress.insight.gradebook import UnknownAssignment

        lay = self.state.layout
        try:
            return await self.state.render(("insight", kind, assignment), _load, kind, lay.course_dir,
                                           lay.gradebook_url, assignment)
        except UnknownAssignment:
            raise web.HTTPError(404, self.words.gettext("the gradebook has no assignment {id}").format(
                id=repr(assignment))) from None

    async def selfchecks(self, assignment: str):
        """Read on every request, never cached: the log grows while students work (the view is live)."""
        students = [s.id for s in self.state.inputs().students]
        return await asyncio.get_running_loop().run_in_executor(self.state.pool, _selfchecks, self.state.layout,
                                                                assignment, students)

    def tracks(self) -> dict[str, str]:
        return {s.id: s.track for s in self.state.inputs().students}

    def formgrader_link(self, student: str, assignment: str) -> str:
        from jupyterhub.utils import url_path_join

        hub = self.hub_auth.hub_prefix
        base = hub[: -len("hub/")] if hub.endswith("hub/") else "/"
        course = self.state.inputs().course.course.id
        return url_path_join(base, "services", FORMGRADER_SERVICE.format(course=course), "formgrader",
                             "manage_students", student, assignment)


class InsightIndexHandler(_InsightHandler):
    async def get(self) -> None:
        names = await self.state.render(("insight", "assignments"), _assignments, self.state.layout.gradebook_url)
        self.render("insight_index.html", assignments=names, url=self.url, instructor=self.instructor)


class InsightHandler(_InsightHandler):
    async def get(self, assignment: str) -> None:
        items = await self.view("items", assignment)
        first = await self.view("items-first", assignment)
        failures = similarity = selfcheck = None
        if self.instructor:
            failures = await self.view("failures", assignment)
            similarity = await self.view("similarity", assignment)
            selfcheck = await self.selfchecks(assignment)
        from medai.progress.insight.tables import assignment_notes, first_attempts_title, flag_text

        w = self.words
        tz = self.state.inputs().course.course.timezone
        self.render("insight.html", a=items, first=first if first.resubmitted else None, failures=failures,
                    similarity=similarity, url=self.url, notes=assignment_notes(items, w),
                    flag_text=lambda f: flag_text(f, w), segments=segments, formgrader=self.formgrader_link,
                    instructor=self.instructor, first_title=lambda n: first_attempts_title(n, w),
                    students=lambda n: w.ngettext("{n} student", "{n} students", n).format(n=n),
                    selfcheck=selfcheck, recording=self.state.inputs().course.selfchecks.record,
                    used=lambda sc: w.ngettext(
                        "{assignment}: {n} student used the self-checks, {records} times ({first} to {last})",
                        "{assignment}: {n} students used the self-checks, {records} times ({first} to {last})",
                        sc.students).format(assignment=sc.assignment, n=sc.students, records=sc.records,
                                            first=w.date(sc.first, tz), last=w.date(sc.last, tz)))


class InsightPlotHandler(_InsightHandler):
    async def get(self, assignment: str, name: str) -> None:
        from medai.progress.insight.plots import PLOTS

        if name not in PLOTS:
            raise web.HTTPError(404)
        items = await self.view("items", assignment)
        data = await self.state.render(("insight-plot", assignment, name, self.lang), _plot, items, name,
                                       self.tracks(), self.lang)
        self.set_header("Content-Type", "image/png")
        self.set_header("Cache-Control", "private, max-age=30")
        self.finish(data)


class InsightDownloadHandler(_InsightHandler):
    async def get(self, assignment: str) -> None:
        from medai.progress.insight.export import XLSX_TYPE

        views = {"items": await self.view("items", assignment)}
        if self.instructor:
            views["failures"] = await self.view("failures", assignment)
            views["similarity"] = await self.view("similarity", assignment)
        key = ("insight-xlsx", assignment, self.instructor, self.lang)
        if self.instructor:  # the self-check sheet is live: this workbook is built afresh
            views["selfcheck"] = await self.selfchecks(assignment)
            data = await asyncio.get_running_loop().run_in_executor(self.state.pool, _workbook, views, self.lang)
        else:
            data = await self.state.render(key, _workbook, views, self.lang)
        self.set_header("Content-Type", XLSX_TYPE)
        self.set_header("Content-Disposition", f'attachment; filename="{assignment}-insight.xlsx"')
        self.set_header("Cache-Control", "private, no-store")
        self.finish(data)


def routes(prefix: str, args: dict) -> list:
    from jupyterhub.utils import url_path_join

    name = r"([A-Za-z0-9_.-]+)"
    return [
        (url_path_join(prefix, "insight/"), InsightIndexHandler, args),
        (url_path_join(prefix, rf"insight/{name}"), InsightHandler, args),
        (url_path_join(prefix, rf"insight/{name}/(items|totals)\.png"), InsightPlotHandler, args),
        (url_path_join(prefix, rf"insight/{name}/download\.xlsx"), InsightDownloadHandler, args),
    ]
