"""Feedback tells the truth before hand grading (issue 14, item 2): a written answer no person has graded yet
shows as waiting for the instructor (not 0 points) and the total says it is provisional; once the instructor
grades it, the feedback shows the score and nothing provisional. MathJax comes from the student's own server,
never a CDN. Real nbgrader: generate, autograde (a kernel), GenerateFeedback with medai's exporter.
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from medai.grader.feedback_language import LOCALE_DIR
from medai.grader.safe_html import MATHJAX_STATIC, SafeHTMLExporter, local_mathjax
from medai.i18n import translator
from tests.grade_support import make_course, stock_autograde, submit

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")]

NBCONVERT_MACRO = """<head><!-- Load mathjax -->
    <script src="https://cdnjs.cloudflare.com/ajax/libs/mathjax/2.7.7/latest.js?config=TeX-AMS_CHTML-full,Safe"> </script>
    <script type="text/x-mathjax-config">init_mathjax = function() {}</script>
    <!-- End of mathjax configuration --></head>"""


def grading(grade_id: str, *, points: float = 0, grade: bool, solution: bool, locked: bool) -> dict:
    meta = {"grade_id": grade_id, "grade": grade, "solution": solution, "locked": locked, "schema_version": 3}
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


def source_notebook() -> nbformat.NotebookNode:
    nb = new_notebook(cells=[
        new_markdown_cell("Sensitivity is $\\frac{TP}{TP + FN}$."),
        new_code_cell("def sens(tp, fn):\n    ### BEGIN SOLUTION\n    return tp / (tp + fn)\n    ### END SOLUTION",
                      metadata=grading("sens", grade=False, solution=True, locked=False)),
        new_code_cell("assert sens(9, 1) == 0.9", metadata=grading("test_sens", points=1, grade=True,
                                                                   solution=False, locked=True)),
        new_markdown_cell("YOUR ANSWER HERE", metadata=grading("written", points=2, grade=True, solution=True,
                                                               locked=False)),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def student_notebook(released: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(released, as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id == "sens":
            cell.source = "def sens(tp, fn):\n    return tp / (tp + fn)"
        elif grade_id == "written":
            cell.source = "A sensitive test misses few of the sick: $P(T^+ \\mid D^+)$."
    return nb


def feedback_html(root: Path, student: str) -> str:
    from nbgrader.apps import NbGraderAPI

    from medai.nbgrader_adapter.config import load_course_config

    config = load_course_config(root)
    config.CourseDirectory.root = str(root)
    config.GenerateFeedback.exporter_class = "medai.grader.safe_html.SafeHTMLExporter"
    result = NbGraderAPI(config=config).generate_feedback("f1", student, force=True)
    assert result["success"], result.get("log", "") + (result.get("error") or "")
    return (root / "feedback" / student / "f1" / "lesson.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def course_root(tmp_path_factory) -> Path:
    root = make_course(tmp_path_factory.mktemp("feedback-truth") / "course", {"f1": {"lesson.ipynb": source_notebook()}},
                       course_id="truth")
    submit(root, "f1", "med01", {"lesson.ipynb": student_notebook(root / "release" / "f1" / "lesson.ipynb")})
    assert stock_autograde(root, "f1", ["med01"]) == {"med01": True}
    return root


# a student without a roster language reads Korean feedback (medai.grader.feedback_language)
KO = translator("ko", domain="feedback", localedir=LOCALE_DIR).gettext
PENDING, PROVISIONAL = KO("waiting for the instructor"), KO("provisional")
PROVISIONAL_NOTE = KO("Some answers have not been graded by the instructor yet: this total is provisional.")


def toc_entry(page: str, label: str) -> str:
    match = re.search(rf">{KO(label)}</a> \({KO('Score')}: (.*?)\)</li>", page)
    assert match, f"no {label!r} entry in the feedback's contents"
    return match.group(1)


def test_written_answer_waits_for_the_instructor_then_shows_its_grade(course_root):
    from nbgrader.api import Gradebook

    before = feedback_html(course_root, "med01")
    assert toc_entry(before, "Test cell") == "1.0 / 1.0"  # autograded: a real score
    assert PENDING in toc_entry(before, "Written response") and PENDING == "채점 대기 중"  # Korean
    assert "0.0 / 2.0" not in before
    heading = re.search(rf"<h4>lesson \({KO('Score')}: (.*?)\)</h4>", before, re.DOTALL).group(1)
    assert heading.startswith("1.0 / 3.0") and PROVISIONAL in heading
    assert PROVISIONAL_NOTE in before

    with Gradebook(f"sqlite:///{course_root / 'gradebook.db'}") as gb:  # the instructor grades it by hand
        grade = gb.find_grade("written", "lesson", "f1", "med01")
        grade.manual_score = 1.5
        grade.needs_manual_grade = False
        gb.db.commit()

    after = feedback_html(course_root, "med01")
    assert toc_entry(after, "Written response") == "1.5 / 2.0"
    assert re.search(rf"<h4>lesson \({KO('Score')}: 2.5 / 3.0\)</h4>", after)
    for words in (PENDING, PROVISIONAL, PROVISIONAL_NOTE):
        assert words not in after


def test_feedback_loads_mathjax_from_the_students_server_only(course_root):
    page = feedback_html(course_root, "med01")
    scripts = re.findall(r"<script[^>]*\bsrc=\"([^\"]*)\"", page)
    assert scripts == [f"/user/med01/{MATHJAX_STATIC}MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe"]
    assert "cdnjs" not in page and "text/x-mathjax-config" not in page  # nothing MathJax would eval
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page), "the page loads something from another host"


def test_local_mathjax_replaces_nbconverts_macro_and_fails_closed():
    out = local_mathjax(NBCONVERT_MACRO, "/services/fg/static/jupyter_server_mathjax/MathJax.js")
    assert '<script src="/services/fg/static/jupyter_server_mathjax/MathJax.js?config=' in out
    assert "cdnjs" not in out and "x-mathjax-config" not in out
    assert 'inlineMath: [["$", "$"], ["\\\\(", "\\\\)"]]' in out  # JavaScript's "\\(": MathJax sees \(
    with pytest.raises(ValueError):  # a template that loads MathJax some other way must not pass unchanged
        local_mathjax("<head><script src='https://cdn.example/MathJax.js'></script></head>", "/x/MathJax.js")
    with pytest.raises(ValueError):
        local_mathjax(NBCONVERT_MACRO, "")


def test_feedback_mathjax_url_is_configurable_and_escaped():
    from traitlets.config import Config

    config = Config()
    config.SafeHTMLExporter.feedback_mathjax_url = "/hub-prefix/user/{student}/static/jupyter_server_mathjax/MathJax.js"
    exporter = SafeHTMLExporter(config=config)
    assert exporter.page_mathjax_url({"nbgrader": {"student": "a b/.."}}) == \
        "/hub-prefix/user/a%20b%2F../static/jupyter_server_mathjax/MathJax.js"
