"""Student-controlled HTML made safe to show to staff: one allow-list sanitiser and the nbconvert exporters that
apply it to everything a submitted notebook renders.

A submission is the student's file: its markdown, its raw cells, its outputs (autograding re-runs the student's
code, so `display(HTML(...))` comes back even when saved outputs are cleared) and its metadata are theirs.
`sanitize_notebook` keeps only output types that cannot run code (text, PNG/JPEG, SVG shown as an <img>, LaTeX,
and HTML/markdown after `clean_html`), cleans raw cells, and escapes the metadata nbgrader's and nbconvert's
templates write into attributes unescaped (grade ids, tags, cell ids). `SafeHTMLExporter` runs it after every
preprocessor and cleans rendered markdown too (nbgrader's formgrade and feedback templates render markdown
without nbconvert's own `clean_html`); GenerateFeedback uses it through `GenerateFeedback.exporter_class`.
`FormgradeExporter` is the formgrader's: the same, plus a per-response nonce on the template's own scripts, so
that the page can be served with a Content-Security-Policy that runs no other script
(medai.grader.formgrader_guard).

Feedback tells the truth before hand grading: `SafeHTMLExporter` renders nbgrader's feedback template through
medai's (templates/feedback.html.j2), which shows a cell that still needs a person's grade (nbgrader's
`needs_manual_grade`, read from the gradebook) as waiting for the instructor instead of 0 points, and marks the
total provisional while any cell is. Both pages load MathJax from the Jupyter server that serves them
(jupyter-server-mathjax, `MATHJAX_STATIC`), never from nbconvert's CDN: `local_mathjax` replaces what nbconvert's
`mathjax()` macro writes (nbgrader's templates call it without a URL) with a configuration object that needs
no `eval` (no text/x-mathjax-config block) and fonts from the same server, so it runs under the grading page's
CSP and offline.
"""
from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import quote

import bleach
from jinja2 import DictLoader, FileSystemLoader, pass_context
from nbconvert.exporters import HTMLExporter
from traitlets import Unicode

# what markdown, pandas and matplotlib produce; no forms, frames, media, SVG/MathML, <style> or <script>
ALLOWED_TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd", "del", "details", "div", "dl",
    "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li",
    "mark", "ol", "p", "pre", "s", "samp", "small", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td",
    "tfoot", "th", "thead", "tr", "u", "ul",
})
# elements dropped with everything inside them (bleach would keep their text: CSS or code shown as prose)
_DROPPED_WITH_CONTENT = re.compile(
    r"<(script|style|template|textarea|title|xmp|noscript|noembed|noframes|iframe|object|svg|math)\b.*?</\1\s*>",
    re.IGNORECASE | re.DOTALL)
# pygments' token classes in highlighted code, pandas' table class; nothing that positions or restyles the page
_SAFE_CLASS = re.compile(r"^(highlight|hll|dataframe|(language|hl)-[\w+-]{1,30}|[a-z]{1,3}[0-9]?)$")
# images: embedded PNG/JPEG/GIF/WebP/SVG (an <img> never runs an SVG's script) or a file beside the notebook
_SAFE_IMG_SRC = re.compile(r"^(data:image/(png|jpeg|gif|webp|svg\+xml);base64,[A-Za-z0-9+/=\s]+"
                           r"|(?![a-zA-Z][a-zA-Z0-9+.-]*:)(?!/)(?!.*\.\.)[\w./%-]{1,200})$")
_CELL_ATTRS = ("align", "colspan", "rowspan")


def _attribute_allowed(tag: str, name: str, value: str) -> bool:
    if name == "class":
        return tag in ("span", "div", "pre", "code", "table") and all(_SAFE_CLASS.match(c) for c in value.split())
    if tag == "a":
        return name in ("href", "title")  # href's scheme is checked by bleach (protocols)
    if tag == "img":
        return name in ("alt", "width", "height", "title") or (name == "src" and bool(_SAFE_IMG_SRC.match(value)))
    if tag in ("td", "th"):
        return name in _CELL_ATTRS
    if tag == "table":
        return name == "border"
    if tag == "ol":
        return name == "start"
    return name == "title" and tag in ("abbr", "span")


_cleaner = bleach.Cleaner(tags=ALLOWED_TAGS, attributes=_attribute_allowed, protocols=["http", "https", "mailto"],
                          strip=True, strip_comments=True)


def clean_html(fragment: str) -> str:
    """`fragment` with only allow-listed tags and attributes: no script, event handler, style, frame, form,
    `javascript:`/`data:` link or image from elsewhere survives."""
    return _cleaner.clean(_DROPPED_WITH_CONTENT.sub("", str(fragment)))


# output types kept as they are: the templates escape text and LaTeX and embed PNG/JPEG/SVG as <img src="data:">
SAFE_OUTPUT_TYPES = frozenset({"text/plain", "text/latex", "image/png", "image/jpeg", "image/svg+xml"})
CLEANED_OUTPUT_TYPES = frozenset({"text/html", "text/markdown"})


def _escape(value) -> str:
    return html.escape(str(value), quote=True)


def sanitize_notebook(nb):
    """Make a (copied) notebook safe to render as HTML for someone other than its author; returns it."""
    nb.metadata.pop("widgets", None)  # widget state: scripts in the page
    for cell in nb.cells:
        meta = cell.get("metadata", {})
        if "tags" in meta:
            meta["tags"] = [_escape(t) for t in meta["tags"] if isinstance(t, str)]
        grading = meta.get("nbgrader")
        if isinstance(grading, dict) and "grade_id" in grading:
            grading["grade_id"] = _escape(grading["grade_id"])  # written into id="" and <code> unescaped
        if "id" in cell:
            cell["id"] = re.sub(r"[^A-Za-z0-9_-]", "", str(cell["id"]))[:64] or "cell"
        if cell.cell_type == "raw":
            cell.source = clean_html(cell.source)
        elif cell.cell_type == "code":
            for output in cell.get("outputs", []):
                _sanitize_output(output)
    return nb


def _sanitize_output(output) -> None:
    if output.get("output_type") not in ("display_data", "execute_result"):
        return  # stream and error text is escaped by the templates
    data = output.get("data", {})
    for mime in list(data):
        if mime == "text/html":
            data[mime] = clean_html(data[mime])
        elif mime not in SAFE_OUTPUT_TYPES | CLEANED_OUTPUT_TYPES:  # text/markdown: cleaned once rendered
            del data[mime]  # application/javascript, widget views, anything a template might render raw
    meta = output.get("metadata", {})
    meta.pop("filenames", None)
    if isinstance(meta.get("text/html"), dict):
        meta["text/html"].pop("isolated", None)  # an <iframe src="data:..."> of the HTML
    output.pop("svg_filename", None)


FEEDBACK_TEMPLATE = "feedback.html.j2"  # in TEMPLATES, extends nbgrader's feedback/index.html.j2
TEMPLATES = Path(__file__).with_name("templates")

# MathJax 2 as jupyter-server-mathjax serves it under every Jupyter server's base URL
MATHJAX_STATIC = "static/jupyter_server_mathjax/"
# what nbconvert's mathjax() macro writes: a <script> from its CDN and a text/x-mathjax-config block (that MathJax
# would run with eval)
_MATHJAX_MACRO = re.compile(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", re.DOTALL)
# jupyter-server-mathjax ships one combined configuration (HTML-CSS output, STIX-Web fonts only)
MATHJAX_CONFIG = "TeX-AMS-MML_HTMLorMML-full,Safe"
# nbconvert's settings (TeX, AMS numbering, $...$ inline), as a config object MathJax reads before it loads
_MATHJAX_LOADER = r"""<!-- MathJax, local (medai.grader.safe_html.local_mathjax) -->
<script>
window.MathJax = {
  TeX: {equationNumbers: {autoNumber: "AMS", useLabelIds: true}},
  tex2jax: {inlineMath: [["$", "$"], ["\\(", "\\)"]], displayMath: [["$$", "$$"], ["\\[", "\\]"]],
            processEscapes: true, processEnvironments: true},
  displayAlign: "center",
  messageStyle: "none",
  showMathMenu: false,
  // MathJax_Blank from url('about:blank') is a font load that a strict CSP refuses: local() fetches nothing
  "HTML-CSS": {availableFonts: ["STIX-Web"], preferredFont: "STIX-Web", webFont: "STIX-Web", imageFont: null,
               linebreaks: {automatic: true},
               styles: {"@font-face": {"font-family": "MathJax_Blank", src: "local('MathJax_Blank')"}}}
};
</script>
<script src="{url}?config={config}"></script>
<!-- End of MathJax -->"""


def local_mathjax(page: str, url: str) -> str:
    """`page` (a rendered header) with nbconvert's MathJax from its CDN replaced by MathJax from `url`. Raises
    ValueError without a URL or when the page no longer loads MathJax the way nbconvert's macro does: a changed
    template must not silently go back to the CDN."""
    if not url or not url.endswith("/MathJax.js"):
        raise ValueError(f"no local MathJax URL for this page (got {url!r})")
    if not _MATHJAX_MACRO.search(page):
        raise ValueError("the page no longer loads MathJax through nbconvert's mathjax() macro")
    loader = _MATHJAX_LOADER.replace("{url}", _escape(url)).replace("{config}", MATHJAX_CONFIG)
    return _MATHJAX_MACRO.sub(lambda _: loader, page, count=1)


def mark_pending(nb, resources) -> set[str]:
    """Mark the grade cells of a feedback notebook that still need a person's grade (nbgrader's
    `needs_manual_grade` in the gradebook) with `medai_pending`, and the total as `medai_provisional`; returns
    their grade ids. Needs the resources nbgrader's GetGrades read (db_url, notebook, assignment, student)."""
    from nbgrader.api import Gradebook

    info = resources["nbgrader"]
    with Gradebook(info["db_url"]) as gb:
        submitted = gb.find_submission_notebook(info["notebook"], info["assignment"], info["student"])
        pending = {grade.name for grade in submitted.grades if grade.needs_manual_grade}
    for cell in nb.cells:
        grading = cell.get("metadata", {}).get("nbgrader")
        if isinstance(grading, dict):
            grading["medai_pending"] = grading.get("grade_id") in pending
    info["medai_provisional"] = bool(pending)
    return pending


class SafeHTMLExporter(HTMLExporter):
    """nbconvert's HTML exporter for notebooks that staff view: every student-controlled part sanitised. With
    nbgrader's feedback template (GenerateFeedback), medai's feedback page: pending hand grades, local MathJax."""

    feedback_mathjax_url = Unicode(
        "/user/{student}/" + MATHJAX_STATIC + "MathJax.js", config=True,
        help="MathJax for feedback pages: where the student's own Jupyter server serves it ({student}: their id)")

    def __init__(self, **kw):
        super().__init__(**kw)
        if self.template_name == "feedback":
            self.extra_loaders = [FileSystemLoader(str(TEMPLATES))]
            self.template_file = FEEDBACK_TEMPLATE

    def page_mathjax_url(self, resources) -> str:
        """Where this page loads MathJax from: the student's server (feedback)."""
        student = (resources.get("nbgrader") or {}).get("student") or ""
        return self.feedback_mathjax_url.format(student=quote(str(student), safe=""))

    def _init_resources(self, resources):
        resources = super()._init_resources(resources)
        resources["mathjax_url"] = self.page_mathjax_url(resources)
        resources["should_sanitize_html"] = True
        resources["should_not_encode_svg"] = False  # SVG only as <img src="data:image/svg+xml">
        if not resources.get("medai_names_escaped"):  # nbconvert calls this more than once per page
            for key in ("student", "first_name", "last_name"):  # nbgrader's templates write them unescaped
                if isinstance(resources.get(key), str):
                    resources[key] = _escape(resources[key])
            resources["medai_names_escaped"] = True
        return resources

    def _preprocess(self, nb, resources):
        nb, resources = super()._preprocess(nb, resources)  # nbgrader's (GetGrades, hidden tests) come first
        if self.template_file == FEEDBACK_TEMPLATE:
            from medai.grader.feedback_language import feedback_translator

            self._words = feedback_translator(str((resources.get("nbgrader") or {}).get("student") or ""))
            if "db_url" in (resources.get("nbgrader") or {}):
                mark_pending(nb, resources)
        return sanitize_notebook(nb), resources

    def default_filters(self):
        yield from super().default_filters()
        # the templates' own clean_html (nbconvert's) escapes tables, headings and images as text: ours keeps them
        yield ("clean_html", clean_html)
        yield ("local_mathjax", local_mathjax)

    def _create_environment(self):
        env = super()._create_environment()
        # the feedback page's words, in its student's language (grader/locale/ko/LC_MESSAGES/feedback.po)
        env.globals["_"] = lambda msgid: self.words.gettext(msgid)
        return env

    @property
    def words(self):
        """The feedback catalogue in the language of the student whose page is being written (English before)."""
        import gettext

        return getattr(self, "_words", None) or gettext.NullTranslations()

    @pass_context
    def markdown2html(self, context, source):
        return clean_html(super().markdown2html(context, source))


# the template's own region of the grading page ends where the notebook (the student's part) begins
NOTEBOOK_START = '<div class="container" id="notebook-container">'
# the two inline handlers of nbgrader's nav (show/hide the student's name), bound from a nonced script instead
_NAME_TOGGLES = """<script>
$(function () {
  $("span.glyphicon.name-hidden").on("click", function () { toggle_name(true); });
  $("span.glyphicon.name-shown").on("click", function () { toggle_name(false); });
});
</script>
"""
_FORMGRADE_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block header -%}{{ super() | local_mathjax(resources.mathjax_url) | replace('</head>', toggles ~ '</head>')
                       | trusted(resources.csp_nonce) }}{%- endblock -%}
{% block body %}{{ super() | trusted(resources.csp_nonce, until=notebook_start) }}{% endblock body %}
"""
_SCRIPT_TAG = re.compile(r"<script\b", re.IGNORECASE)
_INLINE_HANDLER = re.compile(r"""\son[a-z]+\s*=\s*("[^"]*"|'[^']*')""", re.IGNORECASE)


def trust_template_scripts(page: str, nonce: str, *, until: str | None = None) -> str:
    """Give the template's own <script> tags `nonce` and drop its inline event handlers, in `page` up to the
    first `until` (what follows is the student's part and is left alone). Raises ValueError if `until` is
    missing: a changed template must fail closed, not nonce the student's scripts."""
    if not nonce:
        raise ValueError("no CSP nonce for this page")
    head, tail = page, ""
    if until is not None:
        at = page.find(until)
        if at < 0:
            raise ValueError("the grading page no longer has the notebook container this guard expects")
        head, tail = page[:at], page[at:]
    head = _INLINE_HANDLER.sub("", _SCRIPT_TAG.sub(f'<script nonce="{nonce}"', head))
    return head + tail


class FormgradeExporter(SafeHTMLExporter):
    """The formgrader's grading page (nbgrader's `formgrade` template), sanitised, its own scripts nonced with
    `resources["csp_nonce"]` (the handler that serves it sets the matching header); MathJax from the
    formgrader's own server (`page_mathjax_url`)."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.extra_loaders = [DictLoader({"medai_formgrade.html.j2": _FORMGRADE_TEMPLATE})]
        self.template_file = "medai_formgrade.html.j2"

    def _init_resources(self, resources):
        resources = super()._init_resources(resources)
        if not resources.get("csp_nonce"):
            raise ValueError("FormgradeExporter renders only for a handler that sets resources['csp_nonce']")
        return resources

    def page_mathjax_url(self, resources) -> str:
        """The formgrader's own server's MathJax: what the handler gives, else under the page's `base_url`."""
        if resources.get("formgrader_mathjax_url"):
            return resources["formgrader_mathjax_url"]
        base = resources.get("base_url")
        return f"{base.rstrip('/')}/{MATHJAX_STATIC}MathJax.js" if isinstance(base, str) else ""

    def default_filters(self):
        yield from super().default_filters()
        yield ("trusted", trust_template_scripts)

    def _create_environment(self):
        env = super()._create_environment()
        env.globals.update(toggles=_NAME_TOGGLES, notebook_start=NOTEBOOK_START)
        return env
