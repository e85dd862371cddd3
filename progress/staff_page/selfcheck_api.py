"""The self-check log's door: `POST <prefix>api/selfchecks`, one record of a self-check's or a hint's use, JSON.

A student's kernel (medai.selfcheck_record) posts here with its server's own hub token (students' servers hold
`access:services!service=progress`); the hub tells this service whose token it is, and that name, never one in
the body, is the record's student: nobody records anything in another's name. Only members of the hub's
`students` group are recorded (an instructor trying the checks is not the class). With course.yaml's
`selfchecks.record: false` nothing is written. Why a service writes the log and no student's process does:
medai.progress.insight.selfcheck_log.

Answers: 201 {"recorded": true}; 200 {"recorded": false, "reason": "off" | "full"}; 400 a record that is not
one; 403 not a student, or no token; 413 a body over 8 KiB. The kernel ignores every answer: a check's verdict
never waits on, or depends on, this.
"""
from __future__ import annotations

import json
from pathlib import Path

from jupyterhub.services.auth import HubOAuth
from tornado import web

from medai.course import load_course
from medai.course.roster import ROLE_GROUPS
from medai.progress.insight.selfcheck_log import MAX_BODY, BadRecord, append, from_request
from medai.progress.staff_page.json_api import JsonApiHandler

_courses: dict[tuple[str, int], bool] = {}  # (course.yaml, its mtime) -> whether recording is on


def recording_on(course_file: Path) -> bool:
    """course.yaml's `selfchecks.record`, read again when the file changes."""
    key = (str(course_file), course_file.stat().st_mtime_ns)
    if key not in _courses:
        _courses.clear()
        _courses[key] = load_course(course_file, check_files=False).selfchecks.record
    return _courses[key]


class SelfCheckHandler(JsonApiHandler):
    def initialize(self, state, hub_auth: HubOAuth) -> None:
        self.state = state
        self.hub_auth = hub_auth

    @web.authenticated
    def post(self) -> None:
        user = self.current_user
        if user.get("kind", "user") != "user" or ROLE_GROUPS["student"] not in set(user.get("groups") or ()):
            raise web.HTTPError(403, f"{user.get('name')} is not a student: only students' self-checks are recorded")
        if len(self.request.body) > MAX_BODY:
            raise web.HTTPError(413, f"a record is at most {MAX_BODY} bytes")
        if not recording_on(self.state._sources()[0]):
            self.finish({"recorded": False, "reason": "off"})
            return
        try:
            use = from_request(user["name"], json.loads(self.request.body or b"null"))
        except (ValueError, BadRecord) as err:
            raise web.HTTPError(400, f"not a self-check record: {err}") from None
        if not append(self.state.layout.selfcheck_dir, use):
            self.finish({"recorded": False, "reason": "full"})
            return
        self.set_status(201)
        self.finish({"recorded": True})
