"""Jupyter configuration per role, written under <root>/etc/<role>/ and put on JUPYTER_CONFIG_PATH.

- student: nbgrader's Assignments tab only (no formgrader, no create-assignment, no course list);
- instructor: also create-assignment in the notebook toolbar; the formgrader is the course's hub service;
- grader: the formgrader service's own server, rooted at the course directory.
"""
from __future__ import annotations

import json
from pathlib import Path

from medai.course import Course
from medai.course.layout import Layout
from medai.nbgrader_adapter.config import nbgrader_settings

NBGRADER_SERVER_EXTENSIONS = ("formgrader", "course_list", "assignment_list", "validate_assignment")
NBGRADER_LAB_PLUGINS = ("formgrader", "create-assignment", "course-list", "assignment-list", "validate-assignment")

# what each role sees of nbgrader: (server extensions on, lab plugins on)
ROLE_NBGRADER = {
    "student": ({"assignment_list", "validate_assignment"}, {"assignment-list", "validate-assignment"}),
    "instructor": ({"assignment_list", "validate_assignment"},
                   {"assignment-list", "validate-assignment", "create-assignment"}),
    "grader": ({"formgrader", "validate_assignment"}, {"formgrader", "create-assignment", "validate-assignment"}),
}


def nbgrader_config_py(*, course: Course, layout: Layout, role: str) -> str:
    lines = [
        "# written by medai (medai.hub.jupyter_files): do not edit, `medai up` rewrites it",
        "c = get_config()  # noqa",
    ]
    for (cls, trait), value in nbgrader_settings(course, layout, role=role).items():
        lines.append(f"c.{cls}.{trait} = {value!r}")
    return "\n".join(lines) + "\n"


# the formgrader's server also sanitises submissions and serves them under a strict CSP (medai.grader)
FORMGRADER_GUARD = "medai.grader.formgrader_guard"
# MathJax from every server itself, for feedback pages and the grading page: no CDN (campus networks are offline)
LOCAL_MATHJAX = "jupyter_server_mathjax"


# the student's My-course panel: its lab extension (hub_config/labextension) and its server side (medai.hub.my_course)
MY_COURSE_LAB = "@medai/my-course"
MY_COURSE_SERVER = "medai.hub.my_course"
MY_COURSE_ROLES = frozenset({"student"})  # instructors and the grader have the formgrader and the progress page
# students install nothing into their JupyterLab: no extension manager (whose "install more languages" opens PyPI)
EXTENSION_MANAGER = "@jupyterlab/extensionmanager-extension"


def server_config(role: str) -> dict:
    enabled, _ = ROLE_NBGRADER[role]
    ext = {f"nbgrader.server_extensions.{name}": name in enabled for name in NBGRADER_SERVER_EXTENSIONS}
    ext[LOCAL_MATHJAX] = True
    ext[MY_COURSE_SERVER] = role in MY_COURSE_ROLES
    if "formgrader" in enabled:
        ext[FORMGRADER_GUARD] = True
    return {"ServerApp": {"jpserver_extensions": ext}}


def page_config(role: str) -> dict:
    _, enabled = ROLE_NBGRADER[role]
    disabled = {f"@jupyter/nbgrader:{p}": True for p in NBGRADER_LAB_PLUGINS if p not in enabled}
    if role not in MY_COURSE_ROLES:
        disabled[MY_COURSE_LAB] = True
    if role == "student":
        disabled[EXTENSION_MANAGER] = True
    return {"disabledExtensions": disabled}


# JupyterLab settings for everyone: no "news" pop-up (it fetches from the internet and covers the page); Korean
# first (the language pack jupyterlab-language-pack-ko-KR; each user can switch in Settings -> Language)
LAB_OVERRIDES = {
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/translation-extension:plugin": {"locale": "ko_KR"},
}


def write_role_configs(*, course: Course, layout: Layout) -> list[Path]:
    """Write every role's configuration; returns the files written. Files are world-readable (no secrets)."""
    written = []
    for role in ROLE_NBGRADER:
        base = layout.role_config_dir(role)
        files = {
            base / "nbgrader_config.py": nbgrader_config_py(course=course, layout=layout, role=role),
            base / "jupyter_server_config.json": json.dumps(server_config(role), indent=2),
            base / "labconfig" / "page_config.json": json.dumps(page_config(role), indent=2),
        }
        for path, text in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.parent.chmod(0o755)
            _write_atomic(path, text)
            written.append(path)
    return written


def write_lab_overrides(prefix: Path) -> Path:
    """JupyterLab reads setting overrides only from <sys.prefix>/share/jupyter/lab/settings."""
    path = prefix / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    current = json.loads(path.read_text()) if path.exists() else {}
    if {k: current.get(k) for k in LAB_OVERRIDES} != LAB_OVERRIDES:
        _write_atomic(path, json.dumps({**current, **LAB_OVERRIDES}, indent=2))
    return path


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.chmod(0o644)
    tmp.replace(path)
