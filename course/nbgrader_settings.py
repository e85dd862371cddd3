"""nbgrader's configuration for one course and deployment, as plain (class, trait) -> value pairs.

One source for both the nbgrader_config.py files the hub writes for each role and the Config that medai's
own commands pass to nbgrader's API.
"""
from __future__ import annotations

from medai.course.layout import Layout
from medai.course.model import Course

PRIVATE_SUBMIT = "medai.hub.exchange.PrivateExchangeSubmit"
# the graders' side of the exchange, for folders students wrote: checked, never followed (medai.grader)
SAFE_COLLECT = "medai.grader.exchange_collect.SafeExchangeCollect"
PRIVATE_FEEDBACK = "medai.grader.exchange_feedback.PrivateReleaseFeedback"
# feedback HTML with every student-controlled part sanitised (markdown, outputs, metadata)
SAFE_HTML_EXPORTER = "medai.grader.safe_html.SafeHTMLExporter"


def nbgrader_settings(course: Course, layout: Layout, *, role: str) -> dict[tuple[str, str], object]:
    """Settings for a student's or instructor's server (the exchange) or, with role="grader", for the one
    who owns the course directory (course root, gradebook, execution limits)."""
    settings: dict[tuple[str, str], object] = {
        ("CourseDirectory", "course_id"): course.course.id,
        ("Exchange", "root"): str(layout.exchange_dir),
        ("ExchangeFactory", "submit"): PRIVATE_SUBMIT,
        ("ExchangeFactory", "collect"): SAFE_COLLECT,
        ("ExchangeFactory", "release_feedback"): PRIVATE_FEEDBACK,
    }
    if role == "grader":
        settings.update({
            ("CourseDirectory", "root"): str(layout.course_dir),
            ("CourseDirectory", "db_url"): layout.gradebook_url,
            ("ExecutePreprocessor", "timeout"): course.course.cell_timeout_seconds,
            # graceful kernel shutdown sometimes stalls ~3 s per notebook; scores are identical
            ("Execute", "shutdown_kernel"): "immediate",
            # the formgrader shows due dates and timestamps in the course's time zone
            ("NbGraderAPI", "timezone"): course.course.timezone,
            ("GenerateFeedback", "exporter_class"): SAFE_HTML_EXPORTER,
        })
    return settings
