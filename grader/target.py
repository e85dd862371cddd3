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


def course_file_for(*, course_dir: Path, deployment_course_dir: Path, course_file: Path,
                    named_by: str | None) -> tuple[Path | None, str]:
    """Which course.yaml belongs to the course directory being graded, and a note that says which: the one named
    (`named_by`: "--course", "MEDAI_COURSE"), else the default one only for the deployment's own course
    directory. A course.yaml that merely lies in the working directory is not another course's."""
    path = Path(course_file).absolute()
    if named_by:
        return path, f"course.yaml: {path} (named by {named_by})"
    if not path.is_file():
        return None, ""
    if Path(course_dir).resolve() == Path(deployment_course_dir).resolve():
        return path, f"course.yaml: {path} (the deployment's, for its course directory {deployment_course_dir})"
    return None, (f"no course.yaml for this course directory: {path} belongs to the deployment's course directory "
                  f"{deployment_course_dir}, not to {Path(course_dir).resolve()} (name one with --course); "
                  "nbgrader's own configuration and late submission plugin apply")


def load_target(*, course_dir: str | Path, assignment: str, course: Course | None, layout: Layout | None = None,
                db_url: str | None = None, note: str = "") -> Target:
    """`note`: which course.yaml was chosen for it, and why (course_file_for)."""
    if not safe_id(assignment):
        raise UserError(f"{assignment!r} is not an assignment id (letters, digits, '_', '-', '.'; no path parts)")
    course_dir = Path(course_dir).resolve()
    if not course_dir.is_dir():
        raise UserError(f"course directory {course_dir} does not exist")
    notes: list[str] = [note] if note else []
    if course is not None:
        try:
            course.assignment(assignment)
        except KeyError:
            notes.append(f"course.yaml does not list {assignment!r}: graded as a plain nbgrader course (nbgrader's "
                         "own configuration and late submission plugin apply; course.yaml's late policy does not)")
            course = None
    elif not note.startswith("no course.yaml"):
        notes.append("no course.yaml for this course directory: nbgrader's own configuration and late "
                     "submission plugin apply; course.yaml's late policy does not")
    layout = layout or Settings.from_env(course_dir=course_dir).layout
    config = grader_config(course_dir=course_dir, course=course, layout=layout, db_url=db_url)
    if not (course_dir / "source" / assignment).is_dir() and not (course_dir / "release" / assignment).is_dir():
        raise UserError(f"{course_dir}: no assignment {assignment!r} (neither source/{assignment} nor "
                        f"release/{assignment} exists)")
    return Target(course_dir=course_dir, assignment=assignment, config=config, course=course, notes=notes,
                  layout=layout)
