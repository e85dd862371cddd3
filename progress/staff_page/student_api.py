"""The students' API of the progress service: `GET <prefix>api/students/<id>/my-course`, JSON.

It feeds the My-course panel in each student's JupyterLab (medai.hub.my_course, in the student's own server,
calls it with that server's hub token). A student reads their own course only: any other id answers 403,
whoever asks; staff and instructors may read any student's (they see the same numbers on the staff page).
The hub admits a token here when it carries `access:services!service=progress` (students' servers get it).

    ?fetched=<id>,<id>   the assignment folders in the student's home (only their server can see them)
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

from jupyterhub.services.auth import HubOAuth
from tornado import web

from medai.progress.my_course import NotAStudent, my_course
from medai.progress.staff_page.json_api import JsonApiHandler

MAX_FOLDERS = 500  # a home holds far fewer assignment folders; more is not a real request
# a student who just submitted is waiting for "grading…": what they see is at most this old (one read of the
# gradebook and the exchange every FRESH_SECONDS for all students together, ~20 ms for a course)
FRESH_SECONDS = 2.0


class MyCourseHandler(JsonApiHandler):
    def initialize(self, state, hub_auth: HubOAuth, reads_all) -> None:
        self.state = state
        self.hub_auth = hub_auth
        self.reads_all = reads_all  # user model -> whether they may read every student's (staff, instructors)

    @web.authenticated
    def get(self, student_id: str) -> None:
        user = self.current_user
        if user.get("name") != student_id and not self.reads_all(user):
            raise web.HTTPError(403, f"{user.get('name')} may read their own course only, not {student_id}'s")
        fetched = [f for arg in self.get_arguments("fetched") for f in arg.split(",") if f][:MAX_FOLDERS]
        now = self.state.as_of or datetime.now(timezone.utc)
        try:
            payload = my_course(self.state.inputs(FRESH_SECONDS), student_id, fetched=fetched, now=now,
                                on_submit=self.state.on_submit)
        except NotAStudent:
            raise web.HTTPError(404, f"{student_id} is not a student on the course's roster") from None
        self.finish(json.dumps(payload, ensure_ascii=False))
