"""What `medai grade` grades: an nbgrader course directory, its configuration and gradebook, and (optionally)
the course.yaml that adds medai's course-only features (the late policy).

Any nbgrader course directory works: its own nbgrader_config.py (and the Jupyter config path's) is read as
nbgrader itself would, and its gradebook is used. With a course.yaml that lists the assignment, medai's grader
settings (cell timeout, time zone, gradebook location) are applied on top and the late policy comes from it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from traitlets.config import Config

from medai.course import Course
from medai.course.layout import Layout
from medai.errors import UserError
from medai.nbgrader_adapter.collect import safe_id
from medai.nbgrader_adapter.config import grader_config
from medai.settings import Settings


@dataclass
class Target:
    course_dir: Path
    assignment: str
    config: Config
    course: Course | None = None
    notes: list[str] = field(default_factory=list)
    layout: Layout | None = None  # the medai deployment around it (what the sandbox hides, where data is)

    @property
    def db_url(self) -> str:
        return self.config.CourseDirectory.db_url

    @property
    def course_id(self) -> str:
        return self.config.CourseDirectory.course_id

    def coursedir(self, **traits):
        from medai.nbgrader_adapter.config import coursedir

        return coursedir(self.config, **traits)


def load_target(*, course_dir: str | Path, assignment: str, course: Course | None, layout: Layout | None = None,
                db_url: str | None = None) -> Target:
    if not safe_id(assignment):
        raise UserError(f"{assignment!r} is not an assignment id (letters, digits, '_', '-', '.'; no path parts)")
    course_dir = Path(course_dir).resolve()
    if not course_dir.is_dir():
        raise UserError(f"course directory {course_dir} does not exist")
    notes: list[str] = []
    if course is not None:
        try:
            course.assignment(assignment)
        except KeyError:
            notes.append(f"course.yaml does not list {assignment!r}: graded as a plain nbgrader course "
                         "(no late policy from course.yaml)")
            course = None
    if course is None:
        notes.append("no course.yaml for this course directory: nbgrader's own configuration and late "
                     "submission plugin apply; course.yaml's late policy does not")
    layout = layout or Settings.from_env(course_dir=course_dir).layout
    config = grader_config(course_dir=course_dir, course=course, layout=layout, db_url=db_url)
    if not (course_dir / "source" / assignment).is_dir() and not (course_dir / "release" / assignment).is_dir():
        raise UserError(f"{course_dir}: no assignment {assignment!r} (neither source/{assignment} nor "
                        f"release/{assignment} exists)")
    return Target(course_dir=course_dir, assignment=assignment, config=config, course=course, notes=notes,
                  layout=layout)
