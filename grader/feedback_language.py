"""The language a student's feedback is written in: the roster's `lang` for them (Korean by default).

The grader cannot read a student's home, so their JupyterLab setting (medai.hub.user_language) is not seen
here: the roster, which the hub also starts each user's setting from, decides. English is the msgid; the
Korean catalogue is grader/locale/ko/LC_MESSAGES/feedback.po (medai.i18n).
"""
from __future__ import annotations

import gettext
from functools import lru_cache
from pathlib import Path

from medai.i18n import DEFAULT_LANGUAGE, translator

LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "feedback"


@lru_cache(maxsize=4)
def _languages(roster_file: str, mtime_ns: int, course_file: str) -> dict[str, str]:
    from medai.course import load_course, parse_roster

    return {p.id: p.lang for p in parse_roster(roster_file, course=load_course(course_file)).people}


def student_language(student: str) -> str:
    """"ko" or "en" for this student, from the deployment's roster ($MEDAI_ROOT/roster.csv); Korean without one."""
    from medai.settings import Settings

    settings = Settings.from_env()
    roster = settings.layout.roster_file
    try:
        languages = _languages(str(roster), roster.stat().st_mtime_ns, str(settings.course_file))
    except (OSError, ValueError):
        return DEFAULT_LANGUAGE
    return languages.get(student, DEFAULT_LANGUAGE)


def feedback_translator(student: str) -> gettext.NullTranslations:
    return translator(student_language(student), domain=DOMAIN, localedir=LOCALE_DIR)
