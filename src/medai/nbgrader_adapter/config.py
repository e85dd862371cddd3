"""nbgrader's configuration, built one way for everyone: the files the hub writes for each role, and the Config
medai's own commands (`medai release|collect|feedback|grade`, grade on submit) give nbgrader's API.

Depends on nbgrader 0.9.6: the traits named here (CourseDirectory.root/course_id/db_url/ignore, Exchange.root,
ExchangeFactory.submit/collect/release_feedback, ExecutePreprocessor.timeout, Execute.shutdown_kernel,
NbGraderAPI.timezone, GenerateFeedback.exporter_class, Autograde.autograde_preprocessors and
GenerateFeedback.preprocessors with their defaults), and where nbgrader reads `nbgrader_config.py|json`
from (the Jupyter config path, then the course directory).
"""
from __future__ import annotations

import re
from pathlib import Path

from traitlets.config import Config

from medai.course.layout import Layout
from medai.course.model import Course
from medai.errors import UserError

# the exchange, students' side: submissions closed to other students (medai.nbgrader_adapter.submit)
PRIVATE_SUBMIT = "medai.nbgrader_adapter.submit.PrivateExchangeSubmit"
# the graders' side, for folders students wrote: checked, never followed (medai.nbgrader_adapter.collect)
SAFE_COLLECT = "medai.nbgrader_adapter.collect.SafeExchangeCollect"
PRIVATE_FEEDBACK = "medai.nbgrader_adapter.feedback_release.PrivateReleaseFeedback"
# feedback HTML with every student-controlled part sanitised (markdown, outputs, metadata)
SAFE_HTML_EXPORTER = "medai.grader.safe_html.SafeHTMLExporter"
# the late penalty on the current total, stored in the gradebook (medai.nbgrader_adapter.late_penalty)
STORE_LATE_PENALTY = "medai.grader.late.StoreLatePenalty"
# what medai sets whatever a course directory's own configuration says: students' folders are untrusted
ALWAYS = {
    ("ExchangeFactory", "submit"): PRIVATE_SUBMIT,
    ("ExchangeFactory", "collect"): SAFE_COLLECT,
    ("ExchangeFactory", "release_feedback"): PRIVATE_FEEDBACK,
    ("GenerateFeedback", "exporter_class"): SAFE_HTML_EXPORTER,
}

# what nbgrader leaves out wherever it copies a folder (fetch, submit, collect, release): nbgrader's own
# CourseDirectory.ignore (checkpoints, bytecode, returned feedback) and the debris of editors and desktops,
# so a submission holds what the student meant to submit
IGNORE = [
    ".ipynb_checkpoints", "__pycache__", "*.pyc", "feedback",  # nbgrader 0.9.6's default
    ".virtual_documents",  # jupyterlab-lsp's copies of open notebooks
    ".DS_Store", "._*", "Thumbs.db", "desktop.ini",  # macOS and Windows folder metadata
    "~$*", ".~lock.*",  # Microsoft Office's and LibreOffice's lock files
    "*.swp", "*.swo", "*~",  # vim's swap files, editors' backups
]


def exchange_zone_name(tz) -> str:
    """A name of the course's time zone (ZoneInfo) that nbgrader's `parse_utc` reads back (dateutil's gettz)
    and that may stand in a folder name: no "/" (a path) and no "+" (nbgrader splits submission folders on it).
    Asia/Seoul -> "ROK", the tz database's own alias for it. UserError when the zone has no such name here."""
    from zoneinfo import TZPATH

    if not re.search(r"[/+\s]", tz.key):
        return tz.key
    for folder in map(Path, TZPATH):
        try:
            wanted = (folder / tz.key).read_bytes()
            names = sorted(p.name for p in folder.iterdir() if p.is_file() and re.fullmatch(r"[A-Za-z][\w-]*", p.name)
                           and p.name not in ("posixrules", "localtime", "Factory"))
        except OSError:
            continue
        for name in names:
            if (folder / name).read_bytes() == wanted:
                return name
    raise UserError(f"time zone {tz.key}: no name for it without '/' in the tz database ({', '.join(TZPATH)}), "
                    "which nbgrader's submission times need")


def nbgrader_settings(course: Course, layout: Layout, *, role: str) -> dict[tuple[str, str], object]:
    """Settings for a student's or instructor's server (the exchange) or, with role="grader", for the one
    who owns the course directory (course root, gradebook, execution limits)."""
    settings: dict[tuple[str, str], object] = {
        ("CourseDirectory", "course_id"): course.course.id,
        ("Exchange", "root"): str(layout.exchange_dir),
        ("CourseDirectory", "ignore"): IGNORE,
        # submission times (inbound folder names, timestamp.txt, the Assignments list, feedback folder names) in
        # the course's time zone, named so that nbgrader reads them back right (not "KST", which it takes as UTC)
        ("Exchange", "timezone"): course.course.timezone,
        ("Exchange", "timestamp_format"): "%Y-%m-%d %H:%M:%S.%f " + exchange_zone_name(course.course.tz),
        **{k: v for k, v in ALWAYS.items() if k[0] == "ExchangeFactory"},
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
            # course.yaml's late penalty, stored on the current total after autograding and before feedback
            **late_penalty_preprocessors(),
            **ALWAYS,
        })
    return settings


def _dotted(cls) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def late_penalty_preprocessors() -> dict[tuple[str, str], list[str]]:
    """nbgrader's autograde and feedback preprocessors (its defaults, by name) with the late penalty stored by
    STORE_LATE_PENALTY: in AssignLatePenalties' place, and before GetGrades reads it for the feedback."""
    from nbgrader.converters import Autograde, GenerateFeedback
    from nbgrader.preprocessors import AssignLatePenalties

    autograde = [STORE_LATE_PENALTY if cls is AssignLatePenalties else _dotted(cls)
                 for cls in Autograde.class_traits()["autograde_preprocessors"].make_dynamic_default()]
    feedback = [STORE_LATE_PENALTY, *map(_dotted, GenerateFeedback.class_traits()["preprocessors"].make_dynamic_default())]
    return {("Autograde", "autograde_preprocessors"): autograde, ("GenerateFeedback", "preprocessors"): feedback}


def load_course_config(course_dir: Path) -> Config:
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


def grader_config(*, course_dir: Path, course: Course | None, layout: Layout, db_url: str | None = None) -> Config:
    """The one Config for grading this course directory: its own nbgrader configuration, medai's grader settings
    on top when a course.yaml applies, and ALWAYS. The course directory's own gradebook URL wins over medai's
    default, `db_url` over both."""
    config = load_course_config(course_dir)
    configured_db = config.CourseDirectory.get("db_url")
    if course is not None:
        for (cls, trait), value in nbgrader_settings(course, layout, role="grader").items():
            config[cls][trait] = value
        if configured_db:
            config.CourseDirectory.db_url = configured_db
    for (cls, trait), value in ALWAYS.items():
        config[cls][trait] = value
    config.CourseDirectory.root = str(course_dir)
    if course is not None:  # the late penalty's policy, without reading course.yaml again
        config.StoreLatePenalty.course = course
    if db_url:
        config.CourseDirectory.db_url = db_url
    elif "db_url" not in config.CourseDirectory:
        config.CourseDirectory.db_url = f"sqlite:///{course_dir / 'gradebook.db'}"
    if "course_id" not in config.CourseDirectory:
        config.CourseDirectory.course_id = "default_course"
    return config


def coursedir(config: Config, **traits):
    """nbgrader's CourseDirectory for this Config, with traits set (e.g. assignment_id, student_id)."""
    from nbgrader.coursedir import CourseDirectory

    from medai.nbgrader_adapter.gradebook import venv_bin_on_path

    venv_bin_on_path()
    cd = CourseDirectory(config=config)
    for name, value in traits.items():
        setattr(cd, name, value)
    return cd


def exchange_root(config: Config) -> Path:
    """Where nbgrader's exchange is for this Config (Exchange.root, nbgrader's default when unset)."""
    from nbgrader.exchange.default.exchange import Exchange

    return Path(Exchange(config=config).root)


def api(config: Config):
    """nbgrader's NbGraderAPI over this Config (generate, release, collect, feedback...)."""
    from nbgrader.apps import NbGraderAPI

    return NbGraderAPI(coursedir=coursedir(config), config=config)
