"""What a student's feedback shows of the hidden tests: a policy, applied inside nbgrader's GenerateFeedback.

    always     nbgrader's own feedback: hidden tests, their outputs and every score
    after-due  (default) before the student's deadline the feedback withholds them; after it, shows all; with
               no due date known it withholds them (until an instructor sets one or chooses `always`)
    never      always withholds them

Withholding means, for every grade cell that holds hidden tests: the hidden region is cut from its source
(nbgrader's own ClearHiddenTests does the cutting), its outputs (a traceback would quote the hidden assert)
are replaced by a note, and its score leaves the feedback, whose total then covers the other cells only.
The gradebook keeps every score; only what the student is shown changes. Feedback generated while withheld is
generated again, in full, by the first `medai grade` run after the deadline.
"""
from __future__ import annotations

from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.preprocessors.clearhiddentests import ClearHiddenTests
from traitlets import Unicode

from medai.course.late import HIDDEN_TEST_POLICIES, hidden_now  # noqa: F401 (the policy lives with the curriculum)

POLICIES = HIDDEN_TEST_POLICIES


class WithholdHiddenTests(NbGraderPreprocessor):
    """Runs after nbgrader's GetGrades in GenerateFeedback: cuts hidden tests and their results."""

    # a msgid of the "feedback" catalogue: written in the student's language (medai.grader.feedback_language)
    note = Unicode("Hidden tests ran on this cell; their results are shown after the due date.").tag(config=True)

    def preprocess(self, nb, resources):
        from medai.grader.feedback_language import feedback_translator

        words = feedback_translator(str(resources.get("nbgrader", {}).get("student") or ""))
        self._note = words.gettext(self.note)
        self._cutter = ClearHiddenTests(parent=self)
        self._withheld_score = 0.0
        self._withheld_points = 0.0
        nb, resources = super().preprocess(nb, resources)
        info = resources.setdefault("nbgrader", {})
        if "score" in info:
            info["score"] = float(info["score"]) - self._withheld_score
            info["max_score"] = float(info["max_score"]) - self._withheld_points
        return nb, resources

    def preprocess_cell(self, cell, resources, index):
        if not utils.is_grade(cell) or self._cutter.begin_test_delimeter not in cell.source:
            return cell, resources
        self._cutter._remove_hidden_test_region(cell)
        meta = cell.metadata.nbgrader
        self._withheld_score += float(meta.get("score") or 0)
        self._withheld_points += float(meta.get("points") or 0)
        meta["grade"] = False  # the feedback then lists no score for it
        if cell.cell_type == "code":
            cell.outputs = [{"output_type": "stream", "name": "stdout", "text": self._note + "\n"}]
        return cell, resources


def hide_hidden_tests(config) -> None:
    """Add the withholding step to GenerateFeedback's preprocessors in this (copied) configuration."""
    from nbgrader.converters import GenerateFeedback

    current = list(GenerateFeedback(config=config).preprocessors)
    if WithholdHiddenTests not in current:
        config.GenerateFeedback.preprocessors = current + [WithholdHiddenTests]
