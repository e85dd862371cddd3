"""course.yaml's late policy as nbgrader's own late-submission plugin.

nbgrader's `AssignLatePenalties` preprocessor asks its plugin for a penalty (in points, per notebook) whenever
a submission is past the gradebook's due date. This plugin answers with medai.course.late: the student's own
deadline (extensions), grace minutes, every started day late costing percent_per_day of the score, capped.
"""
from __future__ import annotations

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Any

from medai.course.late import lateness
from medai.nbgrader_adapter.gradebook import utc


class CourseLatePolicy(LateSubmissionPlugin):
    """Penalty = score x course.yaml's late percentage for this student and submission time."""

    course = Any(None, help="the medai Course whose late_policy applies").tag(config=True)

    def late_submission_penalty(self, student_id: str, score: float, total_seconds_late: float):
        if self.course is None:
            return super().late_submission_penalty(student_id, score, total_seconds_late)
        pre = self.parent  # AssignLatePenalties: holds the open gradebook and the ids
        submission = pre.gradebook.find_submission(pre.assignment_id, student_id)
        if submission.timestamp is None:
            return None
        late = lateness(self.course, assignment_id=pre.assignment_id, student=student_id,
                        submitted=utc(submission.timestamp))
        if not late.late:
            return None
        return score * late.penalty_percent / 100
