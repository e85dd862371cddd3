"""course.yaml's late policy inside nbgrader: one preprocessor that stores the penalty on the current total.

`StoreLatePenalty` takes the place of nbgrader's `AssignLatePenalties` in `Autograde.autograde_preprocessors`
(medai's pipeline and the formgrader's Autograde button) and runs first in `GenerateFeedback.preprocessors`
(`medai feedback`, grade on submit, the formgrader's Generate feedback buttons), so the penalty in the gradebook
is always the one medai.nbgrader_adapter.late_penalty computes on the score as it is then (hand grades
included), and the feedback's "Late submission penalty" line is that number.

Which course: the `course` trait (medai's own commands pass the loaded Course), else the course.yaml of
`MEDAI_COURSE` (the formgrader's server has the hub's settings in its environment). With neither, nbgrader's
own AssignLatePenalties runs unchanged (a plain nbgrader course directory).
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from nbgrader.api import Gradebook
from nbgrader.preprocessors import AssignLatePenalties
from traitlets import Any

from medai.nbgrader_adapter.late_penalty import store_late_penalty

@lru_cache(maxsize=4)
def _course_file(path: str, mtime_ns: int):
    from medai.course import load_course

    return load_course(Path(path))


def course_from_settings():
    """The course.yaml of this process's settings (MEDAI_COURSE), reloaded when the file changes; None when
    there is none."""
    from medai.settings import Settings

    path = Settings.from_env().course_file
    try:
        return _course_file(str(path), path.stat().st_mtime_ns)
    except FileNotFoundError:
        return None


class StoreLatePenalty(AssignLatePenalties):
    """nbgrader's late-penalty step, with course.yaml's policy applied to the submission's current total."""

    course = Any(None, help="the medai Course whose late_policy applies (default: $MEDAI_COURSE)").tag(config=True)

    def preprocess(self, nb, resources):
        course = self.course if self.course is not None else (
            course_from_settings() if os.environ.get("MEDAI_COURSE") else None)
        if course is None:
            return super().preprocess(nb, resources)
        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gb:
            points = store_late_penalty(gb, course, assignment_id=info["assignment"], student_id=info["student"])
        if points is None:  # an assignment course.yaml does not list: nbgrader's own rule
            return super().preprocess(nb, resources)
        if points:
            self.log.info("Late submission penalty for %s on %s: %.2f points (course.yaml)",
                          info["student"], info["assignment"], points)
        return nb, resources
