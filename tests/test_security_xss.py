"""Stored script in a submission must not run in the instructor's (or staff's) browser (issue 12, finding 1).

Fast tests render planted notebooks through medai's exporters and read the HTML. The live test performs the
attack for real: a student (whose roster name is itself a payload) submits a notebook full of payloads
(tests/xss_payloads.py) through their own server, `medai grade` re-runs it in the sandbox, and the instructor
opens the grading page in chromium, grades it by hand (a score and a comment are saved), opens the student's
handed-in files and the feedback, and a staff member opens the progress page. Nothing may run: no payload's flag
is set, the title is never PWNED, and the listener on 127.0.0.1 gets no request. A last step simulates a
sanitiser bypass (a script and an event handler injected into the real grading page, under its real header)
and checks that the Content-Security-Policy alone stops both. CSP violations chromium reports are kept in
$MEDAI_ARTIFACTS/xss/csp-violations.txt as evidence.
"""
from __future__ import annotations

import copy
import html.parser
import os
import re
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbgrader.server_extensions.formgrader import handlers as fg
from playwright.sync_api import expect
from traitlets.config import Config

from medai.grader.formgrader_guard import grading_page_policy
from medai.grader.safe_html import NOTEBOOK_START, FormgradeExporter, SafeHTMLExporter, trust_template_scripts
from tests import browser as web
from tests import xss_payloads as xp
from tests.deployment import PASSWORD, Deployment, logged_in
from tests.test_browser_e2e import MEDICINE

WRITTEN = "Of 1,000 women screened about 55 test positive and only about 8 of them have cancer (PPV 0.15)."
NONCE = "n0nce-for-the-test"
ARTIFACTS = Path(os.environ.get("MEDAI_ARTIFACTS") or "/tmp/medai-artifacts/browser").parent / "xss"
# what the notebook part of a page may not contain after sanitising (the template's own grading inputs, buttons
# and their inline widths aside)
FORBIDDEN_TAGS = {"script", "iframe", "svg", "object", "embed", "style", "meta", "base", "form", "link", "video",
                  "source", "math"}
TEMPLATE_STYLES = {"width: 4em;", "width: 3em;", "margin-left: 1em;"}


def _template_control(tag: str, attrs: dict) -> bool:
    classes = set(attrs.get("class", "").split())
    return (tag == "input" and bool(classes & {"score", "extra-credit"})) or (tag == "button" and "btn" in classes)


class Elements(html.parser.HTMLParser):
    """Every start tag and its attributes, as a browser's tokenizer sees them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, {k: v or "" for k, v in attrs}))


def elements(fragment: str) -> list[tuple[str, dict]]:
    parser = Elements()
    parser.feed(fragment)
    return parser.found


def assert_student_region_inert(region: str, port: int) -> None:
    found = elements(region)
    assert found, "nothing rendered"
    bad = [(tag, attrs) for tag, attrs in found
           if tag in FORBIDDEN_TAGS
           or (tag in ("input", "button", "textarea", "select") and not _template_control(tag, attrs)
               and not (tag == "textarea" and "comment" in attrs.get("class", "")))
           or attrs.get("style", next(iter(TEMPLATE_STYLES))) not in TEMPLATE_STYLES
           or any(name.startswith("on") or name in ("srcdoc", "formaction", "autofocus") for name in attrs)
           or any(re.match(r"\s*(javascript|vbscript|data:text)", v, re.I) for v in attrs.values())
           or any(f":{port}" in v for v in attrs.values())]
    assert not bad, bad[:5]


def planted_notebook(port: int) -> nbformat.NotebookNode:
    """A small graded notebook (an answer cell and a written response) with every payload planted, executed
    as the grader executes it, so the outputs are the ones student code produces."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell("def ppv(tp, fp):\n    raise NotImplementedError()", metadata={"nbgrader": {
            "grade_id": "ppv", "solution": True, "grade": False, "locked": False, "schema_version": 3}}),
        nbformat.v4.new_markdown_cell("YOUR ANSWER HERE", metadata={"nbgrader": {
            "grade_id": "written", "solution": True, "grade": True, "points": 2, "locked": False,
            "schema_version": 3}}),
    ]
    xp.plant(nb, answer_cell=0, written_cell=1, answer_source="def ppv(tp, fp):\n    return tp / (tp + fp)",
             written=WRITTEN + "\n\n| PPV | NPV |\n|---|---|\n| 0.15 | 0.99 |", port=port)
    NotebookClient(nb, timeout=60, kernel_name="python3").execute()
    return nb


@pytest.fixture(scope="module")
def planted():
    port = 9  # never contacted: only looked for in the rendered attributes
    return port, planted_notebook(port)


def test_the_planted_outputs_are_really_there(planted):
    """The fast tests below mean something only if the executed notebook holds every dangerous output type."""
    _, nb = planted
    kinds = {mime for out in nb.cells[0].outputs for mime in out.get("data", {})}
    assert {"text/html", "application/javascript", "image/svg+xml", "text/markdown",
            "application/vnd.jupyter.widget-view+json", "application/x-unknown"} <= kinds, kinds
    assert any(out.get("metadata", {}).get("text/html", {}).get("isolated") for out in nb.cells[0].outputs)


def test_grading_page_keeps_no_student_script_and_shows_the_answer(planted):
    port, nb = planted
    config = Config({"HTMLExporter": {"template_name": "formgrade", "extra_template_basedirs": [fg.template_path]}})
    page, _ = FormgradeExporter(config=config).from_notebook_node(nb, resources={
        "base_url": "/services/formgrader-medai101", "index": 0, "total": 1, "submission_id": "s1",
        "notebook_id": "nb", "assignment_id": "a1", "student": "<script>x()</script>",
        "first_name": '<img src=x onerror="x()">', "last_name": "Kim", "notebook_path": "p", "csp_nonce": NONCE})
    template, student = page.split(NOTEBOOK_START, 1)
    assert "<script" not in student.lower()
    scripts = [attrs for tag, attrs in elements(template) if tag == "script"]
    assert scripts and all(attrs.get("nonce") == NONCE for attrs in scripts)  # only the template's, all nonced
    assert not [a for _, a in elements(template) if any(k.startswith("on") for k in a)]  # its handlers moved
    assert "Kim, &lt;img src=x onerror=\"x()\"&gt;" in template  # the name, escaped: shown as text
    assert_student_region_inert(student, port)
    assert WRITTEN in student  # the grader still reads the answer
    assert "<th>PPV</th>" in student and "&lt;p&gt;" not in student  # markdown renders as such, not as text
    assert 'src="data:image/svg+xml;base64,' in student  # the SVG output, as an image that runs nothing
    assert 'class="score tabbable" id="written"' in student or "id=\"written\"" in student  # grading inputs


def test_feedback_keeps_no_student_script(planted):
    port, nb = planted
    nb = copy.deepcopy(nb)
    for cell in nb.cells:  # what nbgrader's GetGrades adds before the feedback template runs
        if cell.metadata.get("nbgrader", {}).get("grade"):
            cell.metadata.nbgrader.update(score=1.0, comment="Good; say what a recall costs.")
    bootstrap = os.path.join(fg.static_path, "node_modules", "bootstrap", "dist", "css")  # as GenerateFeedback's
    config = Config({"HTMLExporter": {"template_name": "feedback", "extra_template_basedirs": [fg.template_path],
                                      "extra_template_paths": [bootstrap]}})
    page, _ = SafeHTMLExporter(config=config).from_notebook_node(nb, resources={"nbgrader": {
        "notebook": "nb", "score": 1, "max_score": 2, "late_penalty": 0}})
    student = page.split(NOTEBOOK_START, 1)[1]
    assert "<script" not in student.lower()
    assert_student_region_inert(student, port)
    assert WRITTEN in student


def test_grader_config_uses_the_sanitising_exporter(course, layout):
    from medai.nbgrader_adapter.config import nbgrader_settings
    from medai.hub.jupyter_files import server_config

    settings = nbgrader_settings(course, layout, role="grader")
    assert settings[("GenerateFeedback", "exporter_class")] == "medai.grader.safe_html.SafeHTMLExporter"
    assert server_config("grader")["ServerApp"]["jpserver_extensions"]["medai.grader.formgrader_guard"] is True
    for role in ("student", "instructor"):
        assert "medai.grader.formgrader_guard" not in server_config(role)["ServerApp"]["jpserver_extensions"]


def test_grading_page_policy_is_strict():
    policy = grading_page_policy(nonce=NONCE, origin="http://hub.example", base_url="/services/fg/")
    directives = {d.split()[0]: d.split()[1:] for d in policy.split("; ")}
    assert directives["default-src"] == ["'none'"]
    # MathJax from the formgrader's own server (jupyter-server-mathjax), no other host anywhere
    assert directives["script-src"] == [f"'nonce-{NONCE}'", "http://hub.example/services/fg/static/jupyter_server_mathjax/"]
    assert "https:" not in policy and "cdn" not in policy
    assert directives["connect-src"] == ["http://hub.example/services/fg/formgrader/api/"]
    assert directives["frame-ancestors"] == ["'none'"] and directives["object-src"] == ["'none'"]
    assert "'unsafe-eval'" not in policy and "'unsafe-inline'" not in directives["script-src"]


def test_nonce_is_never_given_past_the_template_region():
    page = f"<script>a()</script><p onclick='b()'>x</p>{NOTEBOOK_START}<script>c()</script>"
    out = trust_template_scripts(page, NONCE, until=NOTEBOOK_START)
    assert out == f'<script nonce="{NONCE}">a()</script><p>x</p>{NOTEBOOK_START}<script>c()</script>'
    with pytest.raises(ValueError):  # a changed template fails closed
        trust_template_scripts("<script>c()</script>", NONCE, until=NOTEBOOK_START)


class Listener:
    """A tiny HTTP server on 127.0.0.1 standing in for the attacker's: records every request it gets."""

    def __init__(self):
        hits = self.hits = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                hits.append(self.path)
                self.send_response(204)
                self.end_headers()

            do_POST = do_GET  # noqa: N815

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Listener":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


# -- the attack, for real: a hub, the formgrader, the sandboxed grader and chromium -------------------------

COURSE_ID, ASSIGNMENT, NOTEBOOK = "medai101", "c02-diagnostic-metrics", "diagnostic-metrics"
FORMGRADER = f"/services/formgrader-{COURSE_ID}/"
SUBMISSION_PAGE = re.compile(r"/formgrader/submissions/[0-9a-f]+/?(\?.*)?$")
FLAGS = f"() => [window.{xp.FLAG} || null, document.title]"


@contextmanager
def planted_hub(port: int):
    """A hub whose student med1 has a payload for a name (roster names reach the formgrader and staff page)."""
    d = Deployment({"MEDAI_GRADE_ON_SUBMIT": "0"})  # graded below, by `medai grade`, once
    try:
        roster = d.roster_csv()
        name = f"<img src=x onerror={xp.js_short('roster-name', port)}>김민준"
        roster.write_text(roster.read_text(encoding="utf-8").replace("김민준", name), encoding="utf-8")
        d.medai("roster", "import", str(roster))
        d.start()
        d.medai("release", ASSIGNMENT)
        yield d
    finally:
        d.cleanup()


def submit_planted(hub: Deployment, port: int) -> None:
    """The student saves the planted notebook and two handed-in files through their own server, and submits."""
    from tests.test_browser_e2e import answered

    student = logged_in(hub, "med1")
    student.spawn()
    base = f"/user/{student.name}"
    form = {"course_id": COURSE_ID, "assignment_id": ASSIGNMENT}
    assert student.server("POST", f"{base}/assignments/fetch", data=form).json()["success"]
    path = f"{base}/api/contents/{ASSIGNMENT}/{NOTEBOOK}.ipynb"
    nb = nbformat.from_dict(student.server("GET", path).json()["content"])
    answer_at = next(i for i, c in enumerate(nb.cells) if c.source.startswith(MEDICINE.answer_cell))
    written_at = next(i for i, c in enumerate(nb.cells) if c.source.strip() == "YOUR ANSWER HERE")
    xp.plant(nb, answer_cell=answer_at, written_cell=written_at, answer_source=answered(nb.cells[answer_at].source,
             MEDICINE), written=WRITTEN, port=port)
    saved = student.server("PUT", path, json={"type": "notebook", "format": "json", "content": xp.as_json(nb)})
    assert saved.status_code == 200, saved.text
    for name, text in xp.handed_in_files(port).items():
        r = student.server("PUT", f"{base}/api/contents/{ASSIGNMENT}/{name}",
                           json={"type": "file", "format": "text", "content": text})
        assert r.status_code in (200, 201), r.text
    assert student.server("POST", f"{base}/assignments/submit", data=form).json()["success"]


def grade(hub: Deployment) -> None:
    """`medai grade`, as the instructor runs it: the submission is graded (whatever else it reports about it)."""
    run = hub.medai("grade", ASSIGNMENT, "--quiet", check=False)
    # an honest answer that only displays things: graded cleanly, not taken for tampering
    assert run.returncode == 0 and ": 1 processed this run" in run.stdout and "tampered 0" in run.stdout, \
        run.stdout + run.stderr


def assert_autograded_outputs_carry_payloads(hub: Deployment) -> str:
    """The grader's re-run produced the script outputs (the attack path is real); returns the student id."""
    sid = hub.ids["med1"]
    nb = nbformat.read(hub.root / "course" / "autograded" / sid / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    kinds = {m for c in nb.cells if c.cell_type == "code" for o in c.outputs for m in o.get("data", {})}
    assert {"application/javascript", "text/html", "image/svg+xml"} <= kinds, kinds
    return sid


def assert_nothing_ran(page, listener: Listener, where: str) -> None:
    page.wait_for_timeout(1500)  # time for a late image, fetch or timer
    for frame in page.frames:
        try:
            flag, title = frame.evaluate(FLAGS)
        except Exception:  # a frame that went away, or one chromium will not let us script: nothing of ours
            continue
        assert flag is None and title != xp.PWNED_TITLE, f"{where}: a payload ran: {flag!r} {title!r}"
    assert listener.hits == [], f"{where}: requests reached the attacker's listener: {listener.hits}"


def grade_by_hand(page) -> None:
    """A score and a comment for the written response, saved through the formgrader's API (as in the e2e)."""
    web.wait_for_grading_page(page)
    score, comment = page.locator("input.score").last, page.locator("textarea.comment").last
    score.scroll_into_view_if_needed()
    with page.expect_response(lambda r: "/formgrader/api/grade/" in r.url and r.request.method == "PUT") as saved:
        score.fill("1.5")
        score.press("Tab")
    assert saved.value.ok and saved.value.json()["manual_score"] == 1.5
    with page.expect_response(lambda r: "/formgrader/api/comment/" in r.url and r.request.method == "PUT") as saved:
        comment.fill("Clear; cite the PPV.")
        comment.press("Tab")
    assert saved.value.ok and saved.value.json()["manual_comment"] == "Clear; cite the PPV."


def script_src(policy: str) -> list[str]:
    return next(d.split()[1:] for d in policy.split(";") if d.split()[:1] == ["script-src"])


def instructor_grades(s: web.Session, hub: Deployment, listener: Listener) -> str:
    """Manual grading of the planted submission; returns the grading page's URL."""
    page = s.page
    page.goto(f"{hub.url}{FORMGRADER}")
    s.login(hub.ids["prof"], PASSWORD)
    expect(page).to_have_url(re.compile(r"/formgrader/manage_assignments"))
    page.goto(f"{hub.url}{FORMGRADER}formgrader/gradebook/{ASSIGNMENT}/{NOTEBOOK}")
    with page.expect_response(lambda r: SUBMISSION_PAGE.search(r.url) is not None) as shown:
        page.get_by_role("link", name="Submission #1").click()
    policy = shown.value.headers["content-security-policy"]
    assert "'nonce-" in policy and "'unsafe-inline'" not in script_src(policy) and "unsafe-eval" not in policy
    expect(page.locator(".nbgrader_cell", has_text=WRITTEN[:40])).to_be_visible()  # the answer, readable
    page.mouse.move(200, 300)
    page.mouse.move(600, 500)  # over any element a payload wanted hovered
    assert page.locator("#notebook-container a[href^='javascript']").count() == 0
    assert page.locator("#notebook-container [onerror], #notebook-container [onmouseover]").count() == 0
    page.locator("span.glyphicon.name-hidden").click()  # nbgrader's show-name button still works (nonced script)
    expect(page.locator("a.name-shown")).to_contain_text("<img src=x onerror=")  # the name, as text
    grade_by_hand(page)
    assert_nothing_ran(page, listener, "grading page")
    s.shot("xss-grading-page")
    return page.url


def instructor_opens_the_rest(s: web.Session, hub: Deployment, listener: Listener, grading_url: str, sid: str):
    page = s.page
    for name in xp.handed_in_files(0):  # the student's own files, served from the submission's folder
        response = page.goto(grading_url.split("?")[0].rstrip("/") + "/" + name)
        assert response.ok and "sandbox" in response.headers["content-security-policy"].split(";")[0]
        assert_nothing_ran(page, listener, f"handed-in {name}")
    for where in ("formgrader/manage_students", f"formgrader/gradebook/{ASSIGNMENT}/{NOTEBOOK}"):
        page.goto(f"{hub.url}{FORMGRADER}{where}")
        expect(page.locator("body")).to_contain_text("김민준")
        assert_nothing_ran(page, listener, where)
    assert "feedback returned (1 student(s))" in hub.medai("feedback", ASSIGNMENT).stdout
    page.goto(f"{hub.url}{FORMGRADER}files/feedback/{sid}/{ASSIGNMENT}/{NOTEBOOK}.html")
    expect(page.locator("body")).to_contain_text(WRITTEN[:40])
    assert_nothing_ran(page, listener, "feedback")
    s.shot("xss-feedback")


def staff_opens_progress(browser: web.Browser, hub: Deployment, listener: Listener, sid: str) -> None:
    s = browser.session("staff")
    page = s.page
    page.goto(f"{hub.url}/services/progress/")
    s.login(hub.ids["staff"], PASSWORD)
    expect(page.locator("#students")).to_contain_text("<img src=x onerror=")  # escaped: shown as text
    assert_nothing_ran(page, listener, "progress page")
    response = page.goto(f"{hub.url}/services/progress/student/{sid}")
    assert "default-src 'none'" in response.headers["content-security-policy"]
    expect(page.locator("body")).to_contain_text("<img src=x onerror=")
    assert_nothing_ran(page, listener, "progress student page")


def csp_alone_stops_a_sanitiser_bypass(s: web.Session, listener: Listener, grading_url: str) -> list[str]:
    """Serve the real grading page, with its real header, plus a script and an event handler injected into
    the student's part, as if the sanitiser had missed them: the policy must block both."""
    page = s.page
    violations: list[str] = []
    page.on("console", lambda m: "Content Security Policy" in m.text and violations.append(m.text))

    def inject(route):
        response = route.fetch()
        extra = (f"<script>{xp.js('bypass-script', listener.port)}</script>"
                 f'<img src=x onerror="{xp.js("bypass-handler", listener.port)}">')
        body = response.text()
        assert NOTEBOOK_START in body
        route.fulfill(response=response, body=body.replace(NOTEBOOK_START, NOTEBOOK_START + extra, 1))

    page.route(SUBMISSION_PAGE, inject)
    page.goto(grading_url)
    expect(page.locator(".nbgrader_cell", has_text=WRITTEN[:40])).to_be_visible()
    assert_nothing_ran(page, listener, "grading page with injected script")
    assert any("inline script" in v for v in violations) and any("event handler" in v for v in violations), violations
    return violations


def payload_blocked(error: str) -> bool:
    """A console error that is chromium refusing a payload: scripts of the sandboxed handed-in files, and the
    payloads' `<img src=x>` (kept as a harmless relative image, which the submission folder does not have)."""
    return ("because the document's frame is sandboxed and the 'allow-scripts' permission is not set" in error
            or bool(re.search(r"/formgrader/submissions/[0-9a-f]+/x: Failed to load resource: .* 404", error)))


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="users' servers and the grading sandbox need root")
def test_planted_submission_runs_nothing_in_staff_browsers():
    assert web.chromium_available(), f"{web.CHROMIUM} missing: scripts/test.sh installs it (apt-get install chromium)"
    with Listener() as listener, planted_hub(listener.port) as hub:
        submit_planted(hub, listener.port)
        grade(hub)
        sid = assert_autograded_outputs_carry_payloads(hub)
        with web.Browser(hub.url, ARTIFACTS) as browser:
            instructor = browser.session("instructor")
            grading_url = instructor_grades(instructor, hub, listener)
            instructor_opens_the_rest(instructor, hub, listener, grading_url, sid)
            staff_opens_progress(browser, hub, listener, sid)
            ours = [e for e in browser.errors if not payload_blocked(e)]
            assert not ours, "\n".join(ours)  # the formgrader's own scripts all work under the policy
            violations = csp_alone_stops_a_sanitiser_bypass(instructor, listener, grading_url)
        (ARTIFACTS / "csp-violations.txt").write_text("\n".join(violations) + "\n", encoding="utf-8")
        assert listener.hits == []


# -- production mode: one origin per user and per service ----------------------------------------------------

def test_subdomain_host_is_applied_only_when_set(layout):
    from traitlets.config import Config as HubConfig

    from medai.hub.apply import apply_hub
    from medai.hub.settings import HubSettings

    for host, expected in (("", None), ("https://hub.example.ac.kr", "https://hub.example.ac.kr")):
        c = HubConfig()
        apply_hub(c, HubSettings(layout=layout, course_file=Path("course.yaml"), subdomain_host=host))
        assert c.JupyterHub.get("subdomain_host") == expected
    with pytest.raises(ValueError, match="MEDAI_SUBDOMAIN_HOST"):
        HubSettings(layout=layout, course_file=Path("course.yaml"), subdomain_host="hub.example.ac.kr/path")


# what a script that got into one origin tries against the others (run in that page, as an XSS would run)
CROSS_ORIGIN_ATTEMPTS = """async ([hub, prof, student]) => {
  const tried = {};
  const attempt = async (name, url, init) => {
    try {
      const r = await fetch(url, {credentials: 'include', ...init});
      tried[name] = {status: r.status, body: (await r.text()).slice(0, 200)};
    } catch (e) { tried[name] = {blocked: String(e)}; }
  };
  await attempt('hub home (its xsrf token)', hub + '/hub/home');
  await attempt('token for the instructor', hub + '/hub/api/users/' + prof + '/tokens',
                {method: 'POST', headers: {'Content-Type': 'application/json'}, body: '{"note": "stolen"}'});
  await attempt("the student's files", student + '/api/contents');
  return tried;
}"""


def origin(page) -> str:
    return page.evaluate("() => location.origin")


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="users' servers run as their own Unix accounts: needs root")
def test_subdomain_mode_serves_formgrader_and_users_from_origins_of_their_own():
    """With MEDAI_SUBDOMAIN_HOST the hub, the formgrader and each user's server are different origins
    (chromium resolves *.localhost to loopback by itself): a script running in the formgrader's page can neither
    read the hub's pages (no xsrf token) nor create a token, nor reach a student's server."""
    assert web.chromium_available(), f"{web.CHROMIUM} missing: scripts/test.sh installs it (apt-get install chromium)"
    d = Deployment({"MEDAI_GRADE_ON_SUBMIT": "0"})
    hub_url = f"http://hub.localhost:{d.port}"
    d.env["MEDAI_SUBDOMAIN_HOST"] = hub_url
    try:
        d.medai("roster", "import", str(d.roster_csv()))
        d.start()
        with web.Browser(hub_url, ARTIFACTS / "subdomains") as browser:
            student = browser.session("student")
            student.page.goto(f"{hub_url}/hub/login")
            student.login(d.ids["med1"], PASSWORD)
            web.wait_for_lab(student.page)
            student_origin = origin(student.page)
            assert student_origin == f"http://{d.ids['med1']}.hub.localhost:{d.port}"

            prof = browser.session("instructor")
            formgrader_origin = f"http://formgrader-{COURSE_ID}--service.hub.localhost:{d.port}"
            prof.page.goto(f"{formgrader_origin}{FORMGRADER}")  # the hub's services menu links there
            prof.login(d.ids["prof"], PASSWORD)  # on the hub's origin, then back through OAuth
            expect(prof.page).to_have_url(re.compile(r"/formgrader/manage_assignments"))
            assert origin(prof.page) == formgrader_origin
            assert len({hub_url, student_origin, formgrader_origin}) == 3

            student_server = f"{student_origin}/user/{d.ids['med1']}"
            tried = prof.page.evaluate(CROSS_ORIGIN_ATTEMPTS, [hub_url, d.ids["prof"], student_server])
            assert all("blocked" in result for result in tried.values()), tried  # CORS: nothing read or done
            hub_page = prof.page.context.new_page()  # the instructor's own look at their tokens, on the hub
            hub_page.goto(f"{hub_url}/hub/home")
            mine = hub_page.evaluate("""async (prof) => {
              const r = await fetch('/hub/api/users/' + prof + '/tokens',
                                    {headers: {'X-XSRFToken': window.jhdata.xsrf_token}});
              return {ok: r.ok, tokens: (await r.json()).api_tokens}; }""", d.ids["prof"])
            assert mine["ok"] and not [t for t in mine["tokens"] if t.get("note") == "stolen"], mine
            from_lab = student.page.evaluate(CROSS_ORIGIN_ATTEMPTS, [hub_url, d.ids["prof"],
                                                                     f"{formgrader_origin}{FORMGRADER}formgrader/api"])
            assert all("blocked" in result for result in from_lab.values()), from_lab
    finally:
        d.cleanup()
