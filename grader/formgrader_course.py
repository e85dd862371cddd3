"""course.yaml is the one source of assignments and due dates, also in the formgrader.

nbgrader's formgrader lets an instructor add an assignment in the browser and edit its due date; both write
straight into the gradebook (`PUT /formgrader/api/assignment/<id>`), where course.yaml never hears of them. medai
refuses those edits instead of writing them back into course.yaml: course.yaml is reviewed, versioned text that
`medai up` validates whole, and the formgrader's server (the grader account) has no business rewriting it.
Served by medai.grader.formgrader_guard, in front of nbgrader's own routes:

- `PUT /formgrader/api/assignment/<id>` (nbgrader's "Add new assignment" and its edit form) answers 409 with a
  message, Korean then English, that names course.yaml and what to do, when the assignment is not in course.yaml
  or the due date asked for is not course.yaml's; the same due date as course.yaml's passes (nbgrader then
  creates or keeps the gradebook row);
- `POST /formgrader/api/assignment/<id>/assign` (the Generate button) first sets the gradebook's due date from
  course.yaml (nbgrader's generate would create the row without one), and refuses, 409, to create a gradebook
  assignment course.yaml does not list (one already in the gradebook is generated as before);
- manage_assignments.js: "Add new assignment..." is replaced by a note saying where assignments come from, the
  edit form shows the due date read-only with a note and no Save button, a refusal shows its message, and an
  assignment's name (and the preview icon) open its folder in this server's JupyterLab
  (`<base_url>/lab/tree/source/<id>`). nbgrader links to the classic notebook's `/tree/<path>` at the origin's
  root, without the server's prefix, which the hub answers with 404; this server runs JupyterLab 4 only.

Release, collect, autograde and feedback are nbgrader's own. The course: `course_from_settings()` ($MEDAI_COURSE,
reloaded when the file changes); without one nothing is refused (a plain nbgrader course directory).
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from nbgrader.server_extensions.formgrader import apihandlers
from nbgrader.server_extensions.formgrader.base import check_notebook_dir, check_xsrf
from tornado import web

from medai.grader.late import course_from_settings
from medai.i18n import both
from medai.nbgrader_adapter.gradebook import parse_timestamp, sync_due_date

CONFLICT = 409

# what the formgrader's page says where it used to offer an edit: Korean, then English (medai's catalogue; an
# instructor's page, read by whoever grades)
ADD_NOTE = both("Assignments are not added here: list the assignment under assignments: in course.yaml, put its "
                "source notebooks in assignments/<id>/, then run `medai up`.", sep=" / ")
DUE_NOTE = both("The due date comes from course.yaml. To change it, edit this assignment's due in course.yaml, then "
                "run `medai release <id>` (an extension for one student goes under late_policy.extensions).",
                sep=" / ")


@dataclass(frozen=True)
class Refusal:
    """Why the formgrader does not make an edit: `reason` is "not-in-course-yaml" or "due-date-differs"."""

    assignment: str
    reason: str
    message: str
    course_yaml: str
    due: str | None = None  # course.yaml's due date (ISO 8601, course time zone), when it has one

    def to_json(self) -> dict:
        return asdict(self)


def _course_yaml(course) -> str:
    return str(course.source_path) if course.source_path is not None else "course.yaml"


def _listed(course, assignment_id: str):
    return next((a for a in course.assignments if a.id == assignment_id), None)


def not_listed(course, assignment_id: str) -> Refusal:
    path = _course_yaml(course)
    message = both("'{assignment}' is not an assignment in course.yaml ({path}), so the formgrader does not create "
                   "it. List it under assignments: in course.yaml (its source notebooks in assignments/{assignment}/), "
                   "then run `medai up`.", sep=" / ")
    return Refusal(assignment_id, "not-in-course-yaml", message.format(assignment=assignment_id, path=path), path)


def due_differs(course, item) -> Refusal:
    path = _course_yaml(course)
    due = item.due.astimezone(course.course.tz)
    shown = f"{due:%Y-%m-%d %H:%M} ({course.course.timezone})"
    message = both("The due date of '{assignment}' comes from course.yaml ({path}): {due}; the formgrader does not "
                   "change it. To change it, edit this assignment's due in course.yaml, then run `medai release "
                   "{assignment}` (an extension for one student goes under late_policy.extensions).", sep=" / ")
    return Refusal(item.id, "due-date-differs", message.format(assignment=item.id, path=path, due=shown), path,
                   due.isoformat())


def requested_due(body: dict | None) -> str | None:
    """The due date a `PUT /formgrader/api/assignment/<id>` asks for, composed as nbgrader's handler does."""
    data = body or {}
    duedate, timezone = data.get("duedate_notimezone"), data.get("duedate_timezone")
    if duedate and timezone:
        duedate = f"{duedate} {timezone}"
    return duedate or None


def edit_refusal(course, assignment_id: str, due: str | None) -> Refusal | None:
    """None when creating or updating `assignment_id` with due date `due` (as nbgrader's handler receives it)
    agrees with course.yaml; else why not. Without a course nothing is refused."""
    if course is None:
        return None
    item = _listed(course, assignment_id)
    if item is None:
        return not_listed(course, assignment_id)
    wanted = parse_timestamp(due) if due else None
    if wanted is None or wanted != item.due:
        return due_differs(course, item)
    return None


def generate_refusal(course, assignment_id: str, *, in_gradebook: bool) -> Refusal | None:
    """None when the Generate button may run for `assignment_id`: course.yaml lists it, or the gradebook already
    has it (nothing new is created); without a course, always."""
    if course is None or in_gradebook or _listed(course, assignment_id) is not None:
        return None
    return not_listed(course, assignment_id)


class _Refusing:
    def refuse(self, refusal: Refusal, **extra) -> None:
        self.log.warning("medai: formgrader edit of %s refused (%s): course.yaml is the source",
                         refusal.assignment, refusal.reason)
        self.set_status(CONFLICT)
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(json.dumps({**refusal.to_json(), **extra}, ensure_ascii=False))


class CourseAssignmentHandler(_Refusing, apihandlers.AssignmentHandler):
    """nbgrader's assignment API; creating an assignment or setting a due date must agree with course.yaml."""

    @web.authenticated
    @check_xsrf
    @check_notebook_dir
    def put(self, assignment_id):
        refusal = edit_refusal(course_from_settings(), assignment_id.strip(), requested_due(self.get_json_body()))
        if refusal is not None:
            return self.refuse(refusal)
        return super().put(assignment_id)


class CourseAssignHandler(_Refusing, apihandlers.AssignHandler):
    """nbgrader's Generate: with course.yaml's due date in the gradebook, and only for assignments it knows."""

    @web.authenticated
    @check_xsrf
    @check_notebook_dir
    def post(self, assignment_id):
        course = course_from_settings()
        if course is not None:
            item = _listed(course, assignment_id)
            if item is not None:
                sync_due_date(self.gradebook, assignment_id, item.due)
            else:
                names = {a.name for a in self.gradebook.assignments}
                refusal = generate_refusal(course, assignment_id, in_gradebook=assignment_id in names)
                if refusal is not None:  # the shape of nbgrader's answer, so its page can show the message
                    return self.refuse(refusal, success=False, log=refusal.message, error="")
        return super().post(assignment_id)


REPLACED = {apihandlers.AssignmentHandler: CourseAssignmentHandler, apihandlers.AssignHandler: CourseAssignHandler}


# -- manage_assignments.js ------------------------------------------------------------------------------------

_SOURCE_LINK = '.map(linkTo("directory", url_prefix + "/" + this.model.get("source_path")))'
_PREVIEW_LINK = '.map(linkTo("directory", url_prefix + "/" + release_path))'
_MODAL_READY = "this.$modal_save.click(_.bind(this.save, this));"
_ASSIGN_FAILED = "assign_failure: function (response) {\n        this.model.fetch();\n"
_SAVE = 'this.model.save({"duedate_notimezone": duedate, "duedate_timezone": timezone});'
_CREATE = "var createAssignmentModal = function () {"
_LOAD = "$(window).on('load', function () {\n    loadAssignments();\n"

_PRELUDE = """// medai (medai.grader.formgrader_course): course.yaml is the one source of assignments and due dates
var medaiAddNote = %(add)s;
var medaiDueNote = %(due)s;
var medaiRefused = function (xhr) {
    if (!xhr || xhr.status !== 409) return false;
    var message = xhr.responseText;
    try { message = JSON.parse(xhr.responseText).message || message; } catch (e) {}
    createModal("medai-refused-modal", "course.yaml", $("<p/>").addClass("medai-refused").text(message));
    return true;
};
// this server runs JupyterLab 4 (no classic notebook's /tree/): a folder opens in its file browser
var medaiLabTree = function (type, path) {
    if (window !== window.top) return linkTo(type, path);  // inside JupyterLab: nbgrader's own messages
    var parts = path.split("/").filter(function (p) { return p !== "" && p !== "."; });
    return function (_, el) {
        return $(el).attr("href", base_url + "/lab/tree/" + parts.map(encodeURIComponent).join("/"))
            .attr("target", "_blank")[0];
    };
};
"""

_READ_ONLY = """
        this.$modal_duedate.prop("readonly", true);
        this.$modal_timezone.prop("readonly", true);
        this.$modal_save.hide();
        this.$modal.find(".modal-body").append($("<p/>").addClass("medai-course-note alert alert-info")
            .text(medaiDueNote.split("<id>").join(this.model.get("name"))));"""

_NO_ADD = """var createAssignmentModal = function () {
    createModal("add-assignment-modal", "course.yaml", $("<p/>").addClass("medai-course-note").text(medaiAddNote));
};

var medaiNbgraderCreateAssignmentModal = function () {"""

_NOTE_ON_LOAD = """$(window).on('load', function () {
    $("a[onclick^='createAssignmentModal']").closest("td").empty()
        .append($("<span/>").addClass("medai-course-note text-muted").text(medaiAddNote));
    $("#collapseOne li").filter(function () { return $(this).text().indexOf("Add new assignment") !== -1; })
        .text(medaiAddNote);
    loadAssignments();
"""


def _replace(source: str, old: str, new: str, what: str, count: int = 1) -> str:
    if source.count(old) != count:
        raise ValueError(f"nbgrader's manage_assignments.js no longer has {what} ({old!r})")
    return source.replace(old, new)


def course_assignments_script(source: str) -> str:
    """manage_assignments.js with course.yaml as the source: no "Add new assignment", the due date read-only
    with a note, refusals shown, names and previews linked to this server's JupyterLab. Raises ValueError when
    nbgrader's script no longer matches."""
    source = _replace(source, _SOURCE_LINK, _SOURCE_LINK.replace("linkTo(", "medaiLabTree("),
                      "the link from an assignment's name to its source")
    source = _replace(source, _PREVIEW_LINK, _PREVIEW_LINK.replace("linkTo(", "medaiLabTree("),
                      "the preview link")
    source = _replace(source, _MODAL_READY, _MODAL_READY + _READ_ONLY, "the edit form's Save button")
    source = _replace(source, _ASSIGN_FAILED, _ASSIGN_FAILED + "        if (medaiRefused(response)) return;\n",
                      "the Generate button's failure handler")
    source = _replace(source, _SAVE, _SAVE[:-2] + ', {wait: true, error: _.bind(function (model, xhr) { '
                      'this.closeModal(); medaiRefused(xhr); }, this)});', "the edit form's save")
    source = _replace(source, _CREATE, _NO_ADD, "the Add new assignment form")
    source = _replace(source, _LOAD, _NOTE_ON_LOAD, "the page's load handler")
    return _PRELUDE % {"add": json.dumps(ADD_NOTE), "due": json.dumps(DUE_NOTE)} + source


SCRIPT_REWRITES = {"manage_assignments.js": course_assignments_script}
