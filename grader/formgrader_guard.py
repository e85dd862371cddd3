"""A Jupyter server extension for the formgrader's server (the grader role only): the pages that show a student's
submission are sanitised and served under a strict Content-Security-Policy.

nbgrader's formgrader renders a submission with a plain nbconvert HTMLExporter on the hub's origin, so a script
in a student's markdown or outputs would run as the instructor. This extension registers, in front of
nbgrader's own routes, subclasses of its two submission handlers:

- the grading page (`/formgrader/submissions/<id>/`) renders with `medai.grader.safe_html.FormgradeExporter`
  (every student-controlled part sanitised; the template's own scripts carry a per-response nonce) and is
  served with `grading_page_policy`: scripts only with that nonce (and MathJax from this server's own
  static folder), no 'unsafe-inline' or 'unsafe-eval' for scripts, fetches only to the formgrader's own API, no frames, no
  plugins, images only from the page's origin or embedded;
- a student's other files (`/formgrader/submissions/<id>/<file>`, e.g. an .html or .svg they handed in) get
  `sandbox` (an opaque origin that runs no script) and nothing but images and styles.

Names show as people write them (medai.course.names): the gradebook holds each name whole in `last_name` with
`first_name` empty, and nbgrader's three scripts that write "last, first" (`NAME_SCRIPTS`) are served with
the comma only between two names that are both there; the grading page shows the whole name.

Scores carry the stored late penalty and students' totals cover their own track (medai.grader.formgrader_scores:
its ScoredAPI behind every API handler, the hand-grade handler that stores the penalty again, the scripts that
say "(late -x)").

Everything else (routes, templates, the other scripts) is nbgrader's own.
"""
from __future__ import annotations

import re
import secrets
from functools import lru_cache
from pathlib import Path

from nbgrader.server_extensions.formgrader import handlers as fg
from tornado import web

from medai.course.names import join_from_nbgrader
from medai.grader.safe_html import MATHJAX_STATIC, FormgradeExporter, trust_template_scripts

_EXPORTER_KEY = "medai_formgrade_exporter"

# student files served as they are: nothing may run, and the page is an opaque origin
FILES_POLICY = ("sandbox; default-src 'none'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                "media-src 'self'; frame-ancestors 'none'")


def mathjax_folder(*, origin: str, base_url: str) -> str:
    """Where the formgrader's own server serves MathJax (jupyter-server-mathjax), as a CSP source."""
    return f"{origin}{base_url.rstrip('/')}/{MATHJAX_STATIC}"


def grading_page_policy(*, nonce: str, origin: str, base_url: str) -> str:
    """The grading page's Content-Security-Policy. `origin` is the page's own (scheme://host[:port]),
    `base_url` the server's prefix (e.g. /services/formgrader-medai101). MathJax comes from this server's
    own static folder (`mathjax_folder`), never from another host."""
    api = f"{origin}{base_url.rstrip('/')}/formgrader/api/"
    scripts = [f"'nonce-{nonce}'", mathjax_folder(origin=origin, base_url=base_url)]
    return "; ".join([
        "default-src 'none'",
        "script-src " + " ".join(scripts),
        # nbconvert and MathJax style the page inline; the sanitiser lets no student CSS through
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        f"connect-src {api}",
        "form-action 'none'",
        "base-uri 'none'",
        "frame-src 'none'",
        "object-src 'none'",
        "frame-ancestors 'none'",
    ])


class _NoncedExporter:
    """The formgrader's exporter for one response: adds that response's nonce to the resources."""

    def __init__(self, exporter: FormgradeExporter, nonce: str, mathjax_url: str):
        self._exporter, self._nonce, self._mathjax_url = exporter, nonce, mathjax_url

    def from_filename(self, filename, resources=None, **kw):
        resources = {**whole_name(resources or {}), "csp_nonce": self._nonce,
                     "formgrader_mathjax_url": self._mathjax_url}
        return self._exporter.from_filename(filename, resources=resources, **kw)


def whole_name(resources: dict) -> dict:
    """The grading page's resources with the student's whole name where nbgrader's template writes
    "last, first" (it writes `student` when either is empty)."""
    name = join_from_nbgrader(resources.get("first_name"), resources.get("last_name"))
    if not name:
        return resources
    return {**resources, "student": name, "first_name": "", "last_name": ""}


# nbgrader's scripts that write a student's name as `last_name + ", " + first_name`
NAME_SCRIPTS = ("manage_students.js", "manage_submissions.js", "gradebook_notebook_submissions.js")
_COMMA = 'last_name + ", " + first_name'
_WHOLE = '(first_name ? last_name + ", " + first_name : last_name)'
_FIRST_NONE = re.compile(r'if \(first_name === null\) first_name = "None";')
_BOTH_NAMES = "if (last_name !== null && first_name !== null)"


def whole_name_script(source: str) -> str:
    """One of NAME_SCRIPTS with the comma only between two names: an empty or missing first name shows the
    last name alone (where medai keeps the whole name). Raises ValueError when nbgrader's script has changed."""
    if _COMMA not in source:
        raise ValueError("nbgrader's formgrader script no longer writes names as last_name + \", \" + first_name")
    source = _FIRST_NONE.sub('if (first_name === null) first_name = "";', source)
    return source.replace(_BOTH_NAMES, "if (last_name !== null)").replace(_COMMA, _WHOLE)


def script_rewrites() -> dict[str, list]:
    """nbgrader's static scripts that medai serves changed: name -> the rewrites, applied in order."""
    from medai.grader import formgrader_course, formgrader_scores

    table: dict[str, list] = {}
    for names, rewrite in [(NAME_SCRIPTS, whole_name_script),
                           (formgrader_scores.SCORE_SCRIPTS, formgrader_scores.late_note_script),
                           *[((name,), rewrite) for name, rewrite in formgrader_course.SCRIPT_REWRITES.items()]]:
        for name in names:
            table.setdefault(name, []).append(rewrite)
    return table


@lru_cache(maxsize=None)
def _rewritten_script(name: str) -> str:
    source = (Path(fg.static_path) / "js" / name).read_text(encoding="utf-8")
    for rewrite in script_rewrites()[name]:
        source = rewrite(source)
    return source


class RewrittenScriptHandler(web.RequestHandler):
    """nbgrader's static scripts named in `script_rewrites`, served rewritten."""

    def get(self, name: str) -> None:
        self.set_header("Content-Type", "application/javascript; charset=UTF-8")
        self.set_header("Cache-Control", "no-cache")
        self.write(_rewritten_script(f"{name}.js"))


class GuardedSubmissionHandler(fg.SubmissionHandler):
    """nbgrader's grading page, sanitised and under `grading_page_policy`."""

    @property
    def csp_nonce(self) -> str:
        if not hasattr(self, "_csp_nonce"):
            self._csp_nonce = secrets.token_urlsafe(18)
        return self._csp_nonce

    @property
    def content_security_policy(self) -> str:
        origin = f"{self.request.protocol}://{self.request.host}"
        return grading_page_policy(nonce=self.csp_nonce, origin=origin, base_url=self.base_url)

    @property
    def local_mathjax_url(self) -> str:
        """MathJax as this server serves it (jupyter-server-mathjax, enabled on the grader's server)."""
        return f"{self.base_url.rstrip('/')}/{MATHJAX_STATIC}MathJax.js"

    def _formgrade_exporter(self) -> FormgradeExporter:
        exporter = self.settings.get(_EXPORTER_KEY)
        if exporter is None:  # built on first use, from the configuration nbgrader built its own exporter with
            exporter = FormgradeExporter(config=self.settings["nbgrader_exporter"].config)
            self.settings[_EXPORTER_KEY] = exporter
        return exporter

    @property
    def exporter(self):
        return _NoncedExporter(self._formgrade_exporter(), self.csp_nonce, self.local_mathjax_url)

    def render(self, name, **ns):
        """nbgrader's own pages from this handler (the "notebook not found" page): names escaped, scripts
        nonced; they hold no student content."""
        resources = ns.get("resources")
        if isinstance(resources, dict):
            ns["resources"] = self._formgrade_exporter()._init_resources({**resources, "csp_nonce": self.csp_nonce})
        return trust_template_scripts(super().render(name, **ns), self.csp_nonce)


class GuardedSubmissionFilesHandler(fg.SubmissionFilesHandler):
    """A student's own files, as nbgrader serves them, but sandboxed."""

    @property
    def content_security_policy(self) -> str:
        return FILES_POLICY


REPLACED = {fg.SubmissionHandler: GuardedSubmissionHandler, fg.SubmissionFilesHandler: GuardedSubmissionFilesHandler}


def guarded_routes(base_url: str) -> list[tuple]:
    """nbgrader's routes under /formgrader/submissions/, in nbgrader's order, with the two handlers replaced."""
    prefix = base_url.rstrip("/")
    return [(prefix + pattern, REPLACED.get(handler, handler), *rest)
            for pattern, handler, *rest in fg.default_handlers if pattern.startswith("/formgrader/submissions/")]


def script_routes(base_url: str) -> list[tuple]:
    """The route of the rewritten scripts, ahead of nbgrader's own static files."""
    names = "|".join(re.escape(n.removesuffix(".js")) for n in script_rewrites())
    return [(base_url.rstrip("/") + rf"/formgrader/static/js/({names})\.js", RewrittenScriptHandler)]


def api_routes(base_url: str) -> list[tuple]:
    """nbgrader's formgrader API, every handler with ScoredAPI and the replaced ones replaced
    (medai.grader.formgrader_scores)."""
    from nbgrader.server_extensions.formgrader import apihandlers

    from medai.grader import formgrader_course, formgrader_scores

    replaced = {**formgrader_scores.REPLACED, **formgrader_course.REPLACED}
    prefix = base_url.rstrip("/")
    routes = []
    for pattern, handler, *rest in apihandlers.default_handlers:
        base = replaced.get(handler, handler)
        routes.append((prefix + pattern, type(base.__name__, (formgrader_scores.ScoredApiMixin, base), {}), *rest))
    return routes


def _jupyter_server_extension_points():
    return [{"module": "medai.grader.formgrader_guard"}]


def _load_jupyter_server_extension(serverapp) -> None:
    web_app = serverapp.web_app
    base_url = web_app.settings["base_url"]
    web_app.add_handlers(".*$", script_routes(base_url) + guarded_routes(base_url) + api_routes(base_url))
    # add_handlers appends (before the server's own catch-all); move ours in front of nbgrader's, whichever
    # extension loaded first
    rules = web_app.default_router.rules
    rules.insert(0, rules.pop(-2))
    serverapp.log.info("medai: formgrader submission pages sanitised, under a strict Content-Security-Policy; "
                       "names shown whole; scores with the stored late penalty, totals per track")
