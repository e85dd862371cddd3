"""course.yaml is the one source of assignments and due dates, also in the formgrader (medai.grader.formgrader_course).

Unit tests: the refusal rules; nbgrader's real manage_assignments.js, rewritten and as nbgrader ships it, run in
node against small stand-ins for jQuery and Backbone (what the page would show and link to). Live tests on a real
hub (`medai up`, the formgrader service as the grader account): an instructor tries to add an assignment and to move
a due date through the formgrader's own API, both are refused with the message and the gradebook is unchanged; the
Generate button still works and takes course.yaml's due date; the link from an assignment's name opens its source
folder in the formgrader server's JupyterLab, in chromium too.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from nbgrader.server_extensions.formgrader import handlers as fg

from medai.grader import formgrader_course as fc

COURSE_ID = "medai101"
ASSIGNMENT = "c02-diagnostic-metrics"
NOTEBOOK = "diagnostic-metrics.ipynb"
FG = f"/services/formgrader-{COURSE_ID}"
NBGRADER_SCRIPT = Path(fg.static_path) / "js" / "manage_assignments.js"
UTILS_SCRIPT = Path(fg.static_path) / "js" / "utils.js"
ARTIFACTS = Path(os.environ.get("MEDAI_ARTIFACTS") or "/tmp/medai-artifacts") / "formgrader-course"

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="users' servers run as their own Unix accounts: needs root")
needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="needs node to run nbgrader's scripts")


def seoul(due: dt.datetime) -> tuple[str, str]:
    """(duedate_notimezone, duedate_timezone) as the formgrader's edit form sends them (Asia/Seoul, +0900)."""
    local = due.astimezone(dt.timezone(dt.timedelta(hours=9)))
    return local.replace(tzinfo=None).isoformat(timespec="minutes"), "+0900"


# -- the rules ---------------------------------------------------------------------------------------------------


def test_without_a_course_nothing_is_refused():
    assert fc.edit_refusal(None, "anything", "2026-01-01T00:00 +0900") is None
    assert fc.generate_refusal(None, "anything", in_gradebook=False) is None


def test_an_assignment_course_yaml_does_not_list_is_refused(course):
    refusal = fc.edit_refusal(course, "x01-quiz", "2026-12-24T23:59 +0900")
    assert refusal is not None and refusal.reason == "not-in-course-yaml" and refusal.assignment == "x01-quiz"
    message = refusal.message
    assert str(course.source_path) in message and refusal.course_yaml == str(course.source_path)
    ko, en = message.index("course.yaml의 assignments:에"), message.index("List it under assignments: in course.yaml")
    assert ko < en  # Korean first, English beside it
    assert "x01-quiz" in message and "`medai up`" in message and "assignments/x01-quiz/" in message
    assert json.loads(json.dumps(refusal.to_json()))["reason"] == "not-in-course-yaml"


def test_a_due_date_other_than_course_yaml_s_is_refused(course):
    item = course.assignment(ASSIGNMENT)
    later, tz = seoul(item.due + dt.timedelta(days=7))
    asked = fc.requested_due({"duedate_notimezone": later, "duedate_timezone": tz})
    refusal = fc.edit_refusal(course, ASSIGNMENT, asked)
    assert refusal is not None and refusal.reason == "due-date-differs"
    shown = item.due.astimezone(course.course.tz).strftime("%Y-%m-%d %H:%M")
    assert f"{shown} ({course.course.timezone})" in refusal.message
    assert f"`medai release {ASSIGNMENT}`" in refusal.message and "late_policy.extensions" in refusal.message
    assert refusal.message.index("마감일은 course.yaml") < refusal.message.index("The due date of")
    assert dt.datetime.fromisoformat(refusal.due) == item.due
    # clearing the date, a minute off, a time zone nbgrader cannot read: all refused, none raises
    for body in ({"duedate_notimezone": None, "duedate_timezone": None}, {},
                 {"duedate_notimezone": seoul(item.due + dt.timedelta(minutes=1))[0], "duedate_timezone": tz},
                 {"duedate_notimezone": seoul(item.due)[0], "duedate_timezone": "Mars/Olympus"}):
        assert fc.edit_refusal(course, ASSIGNMENT, fc.requested_due(body)).reason == "due-date-differs", body


def test_course_yaml_s_own_due_date_passes_in_any_offset(course):
    item = course.assignment(ASSIGNMENT)
    assert fc.edit_refusal(course, ASSIGNMENT, fc.requested_due(dict(zip(
        ("duedate_notimezone", "duedate_timezone"), seoul(item.due))))) is None
    utc = item.due.astimezone(dt.timezone.utc).replace(tzinfo=None).isoformat()
    assert fc.edit_refusal(course, ASSIGNMENT, fc.requested_due({"duedate_notimezone": utc,
                                                                 "duedate_timezone": "+0000"})) is None
    assert fc.edit_refusal(course, ASSIGNMENT, utc) is None  # no offset: nbgrader reads UTC


def test_requested_due_is_composed_as_nbgrader_s_handler_does():
    assert fc.requested_due({"duedate_notimezone": "2026-09-21T23:59", "duedate_timezone": "+0900"}) == \
        "2026-09-21T23:59 +0900"
    assert fc.requested_due({"duedate_notimezone": "2026-09-21T23:59", "duedate_timezone": None}) == "2026-09-21T23:59"
    assert fc.requested_due({"duedate_notimezone": "", "duedate_timezone": "+0900"}) is None
    assert fc.requested_due(None) is None


def test_generate_creates_no_assignment_course_yaml_does_not_list(course):
    assert fc.generate_refusal(course, ASSIGNMENT, in_gradebook=False) is None  # course.yaml lists it
    assert fc.generate_refusal(course, "x01-quiz", in_gradebook=True) is None  # already there: nothing new
    refusal = fc.generate_refusal(course, "x01-quiz", in_gradebook=False)
    assert refusal is not None and refusal.reason == "not-in-course-yaml"


def test_the_formgrader_serves_the_replaced_handlers_with_scored_api():
    from nbgrader.server_extensions.formgrader import apihandlers

    from medai.grader.formgrader_guard import api_routes
    from medai.grader.formgrader_scores import ScoredApiMixin, StoringGradeHandler

    routes = {pattern: handler for pattern, handler, *_ in api_routes("/services/fg/")}
    for pattern, ours in [(r"/formgrader/api/assignment/([^/]+)", fc.CourseAssignmentHandler),
                          (r"/formgrader/api/assignment/([^/]+)/assign", fc.CourseAssignHandler),
                          (r"/formgrader/api/grade/([^/]+)", StoringGradeHandler)]:
        handler = routes["/services/fg" + pattern]
        assert issubclass(handler, ours) and issubclass(handler, ScoredApiMixin), pattern
    release = routes["/services/fg/formgrader/api/assignment/([^/]+)/release"]
    assert issubclass(release, apihandlers.ReleaseHandler) and not issubclass(release, fc._Refusing)
    assert fc.REPLACED == {apihandlers.AssignmentHandler: fc.CourseAssignmentHandler,
                           apihandlers.AssignHandler: fc.CourseAssignHandler}


# -- nbgrader's real script, in node -----------------------------------------------------------------------------

HARNESS = r"""
// stand-ins for the page: jQuery elements that record what is done to them, Backbone's extend, the modals
var calls = {modals: [], saves: [], posts: []};
var window = {}; window.top = window;  // the formgrader in its own tab (the hub forbids framing it)
var base_url = %(base_url)s, url_prefix = ".", default_timezone = "+0900";
function El(sel) { this.sel = sel; this.attrs = {}; this.props = {}; this.kids = []; this.found = {};
                   this.textValue = ""; this.hidden = false; this[0] = this; }
El.prototype.attr = function (k, v) { if (v === undefined) return this.attrs[k]; this.attrs[k] = v; return this; };
El.prototype.prop = function (k, v) { this.props[k] = v; return this; };
El.prototype.val = function (v) { if (v === undefined) return this.props.value; this.props.value = v; return this; };
El.prototype.text = function (t) {
    if (t === undefined) return this.textValue; this.textValue = String(t); return this; };
El.prototype.append = function (c) { this.kids.push(c); return this; };
El.prototype.empty = function () { this.kids = []; this.textValue = ""; return this; };
El.prototype.map = function (f) { return f(0, this) || this; };
El.prototype.find = function (s) { return this.found[s] || (this.found[s] = new El(s)); };
El.prototype.closest = function (s) { return this.find("closest " + s); };
El.prototype.filter = function (f) { return f.call(this) ? this : new El("none"); };
El.prototype.hide = function () { this.hidden = true; return this; };
["addClass", "click", "one", "show", "modal", "html", "on", "removeAttr", "data"].forEach(function (m) {
    El.prototype[m] = function () { return this; }; });
var page = {};
function $(x) {
    if (x instanceof El) return x;
    if (x === window) return {on: function (ev, f) { calls.load = f; }};
    if (typeof x === "string" && x[0] === "<") return new El(x);
    return page[x] || (page[x] = new El(x));
}
$.post = function (url) { calls.posts.push(url); return {done: function () { return this; },
                                                         fail: function () { return this; }}; };
var _ = {bind: function (f, ctx) { return function () { return f.apply(ctx, arguments); }; }};
function extend(p) { var C = function () {}; C.prototype = p; return C; }
var Backbone = {Model: {extend: extend}, Collection: {extend: extend}, View: {extend: extend}};
%(utils)s
createModal = function (id, title, body, footer) {
    var m = new El("modal"); m.id = id; m.title = title; m.body = body; m.footer = footer;
    calls.modals.push(m); return m; };
createLogModal = function (id, title, message) { return createModal(id, title, new El("p").text(message)); };
%(script)s
// the scenario
var model = {attrs: %(model)s, get: function (k) { return this.attrs[k]; }, fetch: function () {},
             save: function (attrs, opts) { calls.saves.push({attrs: attrs, opts: opts || null}); }};
var view = new AssignmentUI(); view.$el = new El("row"); view.model = model; view.listenTo = function () {};
view.initialize({});
var out = {name_href: view.$name.kids[0].attrs.href, name_target: view.$name.kids[0].attrs.target,
           preview_href: view.$preview.kids.length ? view.$preview.kids[0].attrs.href : null};
view.openModal();
var edit = calls.modals[calls.modals.length - 1];
out.edit = {readonly: [edit.find("input.modal-duedate").props.readonly,
                       edit.find("input.modal-timezone").props.readonly],
            save_hidden: edit.find("button.save").hidden,
            notes: edit.find(".modal-body").kids.map(function (k) { return k.text(); })};
view.save();
out.save_options = calls.saves[0].opts && {wait: calls.saves[0].opts.wait, has_error: !!calls.saves[0].opts.error};
var refused = {status: 409, responseText: JSON.stringify({message: "REFUSED: see course.yaml"})};
var shown = function () { var m = calls.modals[calls.modals.length - 1];
                          return {id: m.id, title: m.title, text: m.body && m.body.text ? m.body.text() : ""}; };
if (calls.saves[0].opts && calls.saves[0].opts.error) {
    calls.saves[0].opts.error(model, refused); out.save_refused = shown(); }
view.assign_failure(refused); out.assign_refused = shown();
view.assign_failure({status: 500, responseText: "boom"}); out.assign_failed = shown();
createAssignmentModal(); out.add = shown(); out.add.footer = calls.modals[calls.modals.length - 1].footer !== undefined;
page["#collapseOne li"] = new El("li").text('To create an assignment, click the "Add new assignment..." button below.');
loadAssignments = function () { out.loaded = true; };
calls.load();
var footer = $("a[onclick^='createAssignmentModal']").closest("td");
out.footer = footer.kids.map(function (k) { return k.text(); });
out.instructions = page["#collapseOne li"].text();
process.stdout.write(JSON.stringify(out));
"""

MODEL = {"name": ASSIGNMENT, "source_path": f"source/{ASSIGNMENT}", "release_path": f"release/{ASSIGNMENT}",
         "duedate": "2026-09-21T14:59:00", "display_duedate": "2026-09-21 23:59:00 KST",
         "duedate_notimezone": "2026-09-21T23:59:00", "duedate_timezone": "+0900", "status": "released",
         "releaseable": True, "num_submissions": 0}


def run_page(script: str, *, model: dict | None = None, base_url: str = FG) -> dict:
    """What nbgrader's Manage Assignments view does with `script`: its links, edit form, refusals, page notes."""
    program = HARNESS % {"base_url": json.dumps(base_url), "utils": UTILS_SCRIPT.read_text(encoding="utf-8"),
                         "script": script, "model": json.dumps(model or MODEL)}
    proc = subprocess.run(["node", "-e", program], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@needs_node
def test_nbgrader_s_own_page_links_outside_the_server_and_offers_the_edits():
    """The harness sees nbgrader's bug: /tree/ at the origin's root (the classic notebook, without the server's
    prefix), an editable due date with a Save button, and an Add New Assignment form."""
    page = run_page(NBGRADER_SCRIPT.read_text(encoding="utf-8"))
    assert page["name_href"] == f"/tree/./source/{ASSIGNMENT}"
    assert page["edit"]["readonly"] == [None, None] and page["edit"]["save_hidden"] is False
    assert page["add"]["id"] == "add-assignment-modal" and page["add"]["title"] == "Add New Assignment"
    assert page["footer"] == [] and "Add new assignment" in page["instructions"]


@needs_node
def test_the_rewritten_page_links_the_source_in_jupyterlab_and_offers_no_edit():
    page = run_page(fc.course_assignments_script(NBGRADER_SCRIPT.read_text(encoding="utf-8")))
    assert page["name_href"] == f"{FG}/lab/tree/source/{ASSIGNMENT}" and page["name_target"] == "_blank"
    assert page["preview_href"] == f"{FG}/lab/tree/release/{ASSIGNMENT}"
    edit = page["edit"]
    assert edit["readonly"] == [True, True] and edit["save_hidden"] is True
    [note] = edit["notes"]
    assert note == fc.DUE_NOTE.replace("<id>", ASSIGNMENT) and "course.yaml" in note
    assert note.index("마감일은") < note.index("The due date comes from course.yaml")
    # the edit form's save (not reachable any more) waits for the server and shows a refusal's message
    assert page["save_options"] == {"wait": True, "has_error": True}
    assert page["save_refused"]["text"] == "REFUSED: see course.yaml"
    assert page["assign_refused"] == {"id": "medai-refused-modal", "title": "course.yaml",
                                      "text": "REFUSED: see course.yaml"}
    assert page["assign_failed"]["id"] == "error-modal"  # other failures: nbgrader's own message
    assert page["add"] == {"id": "add-assignment-modal", "title": "course.yaml", "text": fc.ADD_NOTE, "footer": False}
    assert page["footer"] == [fc.ADD_NOTE] and page["instructions"] == fc.ADD_NOTE and page["loaded"] is True


@needs_node
def test_a_name_with_odd_characters_is_linked_escaped():
    model = {**MODEL, "name": "a b#c", "source_path": "source/a b#c", "release_path": None}
    page = run_page(fc.course_assignments_script(NBGRADER_SCRIPT.read_text(encoding="utf-8")), model=model)
    assert page["name_href"] == f"{FG}/lab/tree/source/a%20b%23c"


def test_the_formgrader_serves_the_rewritten_script():
    from medai.grader.formgrader_guard import _rewritten_script, script_rewrites, script_routes

    assert fc.course_assignments_script in script_rewrites()["manage_assignments.js"]
    [(pattern, _)] = script_routes("/services/fg/")
    assert re.fullmatch(pattern, "/services/fg/formgrader/static/js/manage_assignments.js")
    served = _rewritten_script("manage_assignments.js")
    assert served == fc.course_assignments_script(NBGRADER_SCRIPT.read_text(encoding="utf-8"))


@needs_node
def test_the_rewritten_script_is_valid_javascript(tmp_path):
    path = tmp_path / "manage_assignments.js"
    path.write_text(fc.course_assignments_script(NBGRADER_SCRIPT.read_text(encoding="utf-8")), encoding="utf-8")
    subprocess.run(["node", "--check", str(path)], check=True, capture_output=True)


@pytest.mark.parametrize("anchor", [fc._SOURCE_LINK, fc._PREVIEW_LINK, fc._MODAL_READY, fc._ASSIGN_FAILED, fc._SAVE,
                                    fc._CREATE, fc._LOAD])
def test_a_changed_nbgrader_script_fails_loudly(anchor):
    source = NBGRADER_SCRIPT.read_text(encoding="utf-8")
    assert source.count(anchor) == 1
    with pytest.raises(ValueError, match="manage_assignments.js no longer has"):
        fc.course_assignments_script(source.replace(anchor, "/* moved */"))


# -- a real hub ----------------------------------------------------------------------------------------------------


def gradebook_assignments(hub) -> dict[str, dt.datetime | None]:
    """Every assignment in the deployment's gradebook and its due date (naive UTC, as nbgrader stores it)."""
    from medai.course.layout import Layout
    from medai.nbgrader_adapter.gradebook import gradebook, readonly_url

    with gradebook(readonly_url(Layout(root=hub.root).gradebook_url)) as gb:
        return {a.name: a.duedate for a in gb.assignments}


def _set_due(db_url: str, assignment: str, due) -> None:
    from medai.nbgrader_adapter.gradebook import gradebook

    with gradebook(db_url) as gb:
        gb.find_assignment(assignment).duedate = due
        gb.db.commit()


def instructor(hub):
    """The instructor, logged in, with the formgrader's page open (its OAuth cookie and _xsrf token)."""
    from tests.deployment import logged_in

    prof = logged_in(hub, "prof")
    page = prof.server("GET", f"{FG}/formgrader/manage_assignments")
    assert page.status_code == 200 and "Manage Assignments" in page.text, (page.status_code, page.url)
    return prof


def api(prof, method: str, path: str, **kw):
    return prof.server(method, f"{FG}/formgrader/api/{path}", **kw)


@pytest.mark.slow
@needs_root
def test_adding_an_assignment_or_moving_a_due_date_in_the_formgrader_is_refused(hub, course):
    from medai.nbgrader_adapter.gradebook import utc_naive

    prof = instructor(hub)
    before = gradebook_assignments(hub)
    due = course.assignment(ASSIGNMENT).due
    assert before[ASSIGNMENT] == utc_naive(due)  # released by `medai up`, with course.yaml's due date
    source_dir = hub.root / "course" / "source"

    # "Add new assignment...": what nbgrader's form sends (Backbone's save of a new model: PUT with its fields)
    r = api(prof, "PUT", "assignment/x01-quiz", json={"name": "x01-quiz", "duedate_notimezone": "2026-12-24T23:59",
                                                     "duedate_timezone": "+0900"})
    assert r.status_code == 409, (r.status_code, r.text[:300])
    body = r.json()
    assert body["reason"] == "not-in-course-yaml" and body["assignment"] == "x01-quiz"
    assert "course.yaml" in body["message"] and "`medai up`" in body["message"]
    assert body["message"].index("없는 과제") < body["message"].index("is not an assignment in course.yaml")
    assert not (source_dir / "x01-quiz").exists()  # nbgrader's handler would have made the folder

    # the edit form: a week later, and a cleared date
    current = api(prof, "GET", f"assignment/{ASSIGNMENT}").json()
    for when in (seoul(due + dt.timedelta(days=7)), (None, None)):
        r = api(prof, "PUT", f"assignment/{ASSIGNMENT}",
                json={**current, "duedate_notimezone": when[0], "duedate_timezone": when[1]})
        assert r.status_code == 409, (when, r.status_code, r.text[:300])
        assert r.json()["reason"] == "due-date-differs"
        assert "course.yaml" in r.json()["message"] and f"medai release {ASSIGNMENT}" in r.json()["message"]

    assert gradebook_assignments(hub) == before  # nothing in the gradebook changed
    assert api(prof, "GET", f"assignment/{ASSIGNMENT}").json()["duedate"] == current["duedate"]


@pytest.mark.slow
@needs_root
def test_saving_course_yaml_s_own_due_date_passes(hub):
    prof = instructor(hub)
    before = gradebook_assignments(hub)
    current = api(prof, "GET", f"assignment/{ASSIGNMENT}").json()
    r = api(prof, "PUT", f"assignment/{ASSIGNMENT}", json=current)  # the edit form saved without a change
    assert r.status_code == 200, r.text[:300]
    assert r.json()["duedate"] == current["duedate"]
    assert gradebook_assignments(hub) == before


@pytest.mark.slow
@needs_root
def test_generate_takes_course_yaml_s_due_date_and_creates_no_other_assignment(hub, course):
    import nbformat

    from medai.course.layout import Layout
    from medai.nbgrader_adapter.gradebook import utc_naive
    from medai.privileges import run_as_owner_of

    prof = instructor(hub)
    course_dir = hub.root / "course"
    # an instructor made a folder of notebooks in the formgrader's JupyterLab and presses Generate
    draft = course_dir / "source" / "x02-draft"
    draft.mkdir()
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("draft")]), draft / "draft.ipynb")
    owner = course_dir.stat()
    for path in (draft, draft / "draft.ipynb"):
        os.chown(path, owner.st_uid, owner.st_gid)
    r = api(prof, "POST", "assignment/x02-draft/assign")
    assert r.status_code == 409, r.text[:300]
    assert r.json()["success"] is False and "course.yaml" in r.json()["log"]
    assert "x02-draft" not in gradebook_assignments(hub) and not (course_dir / "release" / "x02-draft").exists()

    # the gradebook's date gone astray (an older nbgrader edit): Generate puts course.yaml's back
    db_url = Layout(root=hub.root).gradebook_url
    run_as_owner_of(course_dir, _set_due, db_url, ASSIGNMENT, dt.datetime(2030, 1, 1))
    assert gradebook_assignments(hub)[ASSIGNMENT] == dt.datetime(2030, 1, 1)
    r = api(prof, "POST", f"assignment/{ASSIGNMENT}/assign")
    assert r.status_code == 200 and json.loads(r.text)["success"] is True, r.text[-500:]
    assert gradebook_assignments(hub)[ASSIGNMENT] == utc_naive(course.assignment(ASSIGNMENT).due)
    # the release, collect and feedback buttons answer as nbgrader's do
    for action in ("collect", "generate_feedback"):
        r = api(prof, "POST", f"assignment/{ASSIGNMENT}/{action}")
        assert r.status_code == 200 and "success" in json.loads(r.text), (action, r.text[:300])


@pytest.mark.slow
@needs_root
@needs_node
def test_the_link_from_an_assignment_s_name_opens_its_source_in_jupyterlab(hub):
    prof = instructor(hub)
    served = prof.server("GET", f"{FG}/formgrader/static/js/manage_assignments.js")
    assert served.status_code == 200 and "medaiLabTree" in served.text
    model = api(prof, "GET", f"assignment/{ASSIGNMENT}").json()
    href = run_page(served.text, model=model)["name_href"]
    assert href == f"{FG}/lab/tree/source/{ASSIGNMENT}"
    lab = prof.server("GET", href)
    assert lab.status_code == 200 and "jupyter-config-data" in lab.text, (lab.status_code, lab.url)
    folder = prof.server("GET", f"{FG}/api/contents/source/{ASSIGNMENT}")
    assert folder.status_code == 200 and folder.json()["type"] == "directory"
    assert NOTEBOOK in [f["name"] for f in folder.json()["content"]]
    # what nbgrader linked to: the classic notebook's /tree/ at the hub's root
    old = run_page(NBGRADER_SCRIPT.read_text(encoding="utf-8"), model=model)["name_href"]
    assert prof.server("GET", old).status_code == 404


@pytest.mark.slow
@needs_root
def test_manage_assignments_in_a_real_browser(hub):
    """The instructor's page: no Add new assignment (a note instead), the due date read-only, and the name opens
    the source folder in JupyterLab, listing its notebook."""
    from playwright.sync_api import expect

    from tests import browser as web
    from tests.deployment import PASSWORD

    assert web.chromium_available(), f"{web.CHROMIUM} missing: scripts/test.sh installs it (apt-get install chromium)"
    with web.Browser(hub.url, ARTIFACTS) as b:
        s = b.session("instructor")
        page = s.page
        page.goto(f"{hub.url}/hub/login?next={FG}/formgrader/manage_assignments")
        s.login(hub.ids["prof"], PASSWORD)
        page.wait_for_url(re.compile(r"/formgrader/manage_assignments"))
        row = page.locator("#main-table tr").filter(has=page.locator("td.name", has_text=ASSIGNMENT))
        expect(row).to_have_count(1)
        expect(page.get_by_text("Add new assignment...")).to_have_count(0)
        note = page.locator("tfoot .medai-course-note")
        expect(note).to_contain_text("course.yaml의 assignments:에")
        note.scroll_into_view_if_needed()
        s.shot("manage-assignments-note")
        row.locator("td.edit a").click()
        modal = page.locator("#edit-assignment-modal")
        expect(modal.locator(".modal-dialog")).to_be_visible()
        expect(modal.locator("input.modal-duedate")).to_have_attribute("readonly", "")
        expect(modal.locator("input.modal-duedate")).to_have_value(re.compile(r"^2026-09-21T23:59"))
        expect(modal.locator("button.save")).to_have_count(1)
        expect(modal.locator("button.save")).to_be_hidden()
        expect(modal.locator(".medai-course-note")).to_be_visible()
        expect(modal.locator(".medai-course-note")).to_contain_text("마감일은 course.yaml에서 정합니다")
        page.wait_for_timeout(500)  # bootstrap's fade-in, for the screenshot only
        s.shot("edit-due-date-read-only")
        modal.locator("button[data-dismiss=modal]").first.click()
        expect(modal).to_have_count(0)
        with page.context.expect_page() as opened:
            row.locator("td.name a").click()
        lab = opened.value
        lab.wait_for_url(re.compile(re.escape(f"{FG}/lab/tree/source/{ASSIGNMENT}")))
        expect(lab.locator(".jp-DirListing-item", has_text=NOTEBOOK)).to_be_visible()
        lab.screenshot(path=ARTIFACTS / "source-in-jupyterlab.png")
        assert not b.errors, b.errors


@pytest.mark.slow
@needs_root
def test_medai_release_puts_course_yaml_s_due_date_back(hub, course):
    """What the refusal tells the instructor to run: `medai release <id>` sets the gradebook's due date from
    course.yaml also for an assignment already released (as the hub's release scheduler does every round)."""
    from medai.course.layout import Layout
    from medai.nbgrader_adapter.gradebook import utc_naive
    from medai.privileges import run_as_owner_of

    course_dir = hub.root / "course"
    run_as_owner_of(course_dir, _set_due, Layout(root=hub.root).gradebook_url, ASSIGNMENT, dt.datetime(2030, 1, 1))
    out = hub.medai("release", ASSIGNMENT).stdout
    assert f"{ASSIGNMENT}: already released (due date set from course.yaml)" in out, out
    assert gradebook_assignments(hub)[ASSIGNMENT] == utc_naive(course.assignment(ASSIGNMENT).due)
    assert f"{ASSIGNMENT}: already released\n" in hub.medai("release", ASSIGNMENT).stdout + "\n"  # nothing to do
