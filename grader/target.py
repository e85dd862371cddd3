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
from medai.course.nbgrader_settings import nbgrader_settings
from medai.errors import UserError


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
        from nbgrader.coursedir import CourseDirectory

        cd = CourseDirectory(config=self.config)
        for name, value in traits.items():
            setattr(cd, name, value)
        return cd


def _load_nbgrader_config(course_dir: Path) -> Config:
    """nbgrader_config.py/.json from the Jupyter config path, then from the course directory (as `nbgrader`
    run there would read them)."""
    from jupyter_core.paths import jupyter_config_path
    from traitlets.config.loader import JSONFileConfigLoader, PyFileConfigLoader

    config = Config()
    for folder in [*reversed(jupyter_config_path()), str(course_dir)]:
        for loader in (PyFileConfigLoader, JSONFileConfigLoader):
            suffix = ".py" if loader is PyFileConfigLoader else ".json"
            path = Path(folder) / f"nbgrader_config{suffix}"
            if path.is_file():
                try:
                    config.merge(loader(path.name, path=str(path.parent)).load_config())
                except Exception as err:  # noqa: BLE001 - a broken config is the user's to fix
                    raise UserError(f"{path}: cannot load nbgrader configuration: {err}") from None
    return config


def course_config(*, course_dir: Path, course: Course | None, layout: Layout, db_url: str | None = None) -> Config:
    """nbgrader's configuration for grading this course directory (medai's grader settings on top when a
    course.yaml applies); the course directory's own gradebook URL wins over medai's default, `db_url` over
    both."""
    config = _load_nbgrader_config(course_dir)
    configured_db = config.CourseDirectory.get("db_url")
    if course is not None:
        for (cls, trait), value in nbgrader_settings(course, layout, role="grader").items():
            config[cls][trait] = value
        if configured_db:
            config.CourseDirectory.db_url = configured_db
    config.CourseDirectory.root = str(course_dir)
    # the graders' side of the exchange, whatever the course's own configuration says (students' folders are
    # untrusted: medai.grader.exchange_collect, exchange_feedback)
    from medai.course.nbgrader_settings import PRIVATE_FEEDBACK, SAFE_COLLECT

    config.ExchangeFactory.collect = SAFE_COLLECT
    config.ExchangeFactory.release_feedback = PRIVATE_FEEDBACK
    if db_url:
        config.CourseDirectory.db_url = db_url
    elif "db_url" not in config.CourseDirectory:
        config.CourseDirectory.db_url = f"sqlite:///{course_dir / 'gradebook.db'}"
    if "course_id" not in config.CourseDirectory:
        config.CourseDirectory.course_id = "default_course"
    return config


def load_target(*, course_dir: str | Path, assignment: str, course: Course | None, layout: Layout | None = None,
                db_url: str | None = None) -> Target:
    from medai.grader.exchange_collect import safe_id

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
    layout = layout or Layout.from_env(course_dir=course_dir)
    config = course_config(course_dir=course_dir, course=course, layout=layout, db_url=db_url)
    if not (course_dir / "source" / assignment).is_dir() and not (course_dir / "release" / assignment).is_dir():
        raise UserError(f"{course_dir}: no assignment {assignment!r} (neither source/{assignment} nor "
                        f"release/{assignment} exists)")
    return Target(course_dir=course_dir, assignment=assignment, config=config, course=course, notes=notes,
                  layout=layout)
