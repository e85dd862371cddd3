"""The feedback page in the student's language: every word of medai's feedback template (and the hidden-tests
note) has Korean in grader/locale/ko/LC_MESSAGES/feedback.po, nothing there is unused, and the language is the
roster's for that student (medai.grader.feedback_language)."""
from __future__ import annotations

from medai.grader.feedback_language import LOCALE_DIR, feedback_translator, student_language
from medai.grader.safe_html import TEMPLATES
from medai.grader.visibility import WithholdHiddenTests
from medai.i18n import po_path
from tests.i18n_check import problems

PO = po_path(LOCALE_DIR, "ko", "feedback")


def template_messages() -> dict[str, str]:
    from babel.messages.extract import extract_from_file

    path = TEMPLATES / "feedback.html.j2"
    found = {m: f"{path}:{line}" for line, m, _c, _x in
             extract_from_file("jinja2.ext:babel_extract", str(path), keywords={"_": None})}
    found[WithholdHiddenTests.note.default_value] = "grader/visibility.py (WithholdHiddenTests.note)"
    return found


def test_every_word_of_the_feedback_has_korean():
    code = template_messages()
    assert len(code) >= 15  # the extractor saw the template's words
    assert problems(code, PO) == []


def test_the_students_roster_language_decides(tmp_path, monkeypatch):
    from medai.course.layout import Layout
    from tests.conftest import COURSE_YAML

    layout = Layout(root=tmp_path)
    layout.roster_file.parent.mkdir(parents=True, exist_ok=True)
    layout.roster_file.write_text("id,name,email,role,track,cohort,lang\n"
                                  "eng01,Jane Doe,j@x.ac.kr,student,engineering,2026,en\n"
                                  "med01,김민준,m@x.ac.kr,student,medicine,2026,\n", encoding="utf-8")
    monkeypatch.setenv("MEDAI_ROOT", str(tmp_path))
    monkeypatch.setenv("MEDAI_COURSE", str(COURSE_YAML))
    assert [student_language(s) for s in ("eng01", "med01", "nobody")] == ["en", "ko", "ko"]
    assert feedback_translator("eng01").gettext("Late submission penalty") == "Late submission penalty"
    assert feedback_translator("med01").gettext("Late submission penalty") == "지각 제출 감점"
