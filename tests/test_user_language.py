"""Each user's language: the roster's optional `lang`, written once as their JupyterLab setting, then theirs to
change; the server's $MEDAI_LANG follows the setting (medai.hub.user_language)."""
from __future__ import annotations

import json
import os

import pytest

from medai.course import RosterError, load_course, parse_roster
from medai.hub.user_language import SETTINGS, ensure_language, language_of, spawn_language
from medai.i18n import normalise, translator
from tests.conftest import COURSE_YAML

HEADER = "id,name,email,role,track,cohort"


def roster(tmp_path, lines: list[str], header: str = HEADER):
    path = tmp_path / "roster.csv"
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return parse_roster(path, course=load_course(COURSE_YAML))


def test_the_roster_may_say_each_persons_language(tmp_path):
    people = roster(tmp_path, ["med01,김민준,m@x.ac.kr,student,medicine,2026,",
                               "eng01,Jane Doe,j@x.ac.kr,student,engineering,2026,EN",
                               "prof01,윤지원,p@x.ac.kr,instructor,,,ko_KR"], header=HEADER + ",lang").people
    assert [p.lang for p in people] == ["ko", "en", "ko"]  # empty: Korean first
    assert roster(tmp_path, ["med01,김민준,m@x.ac.kr,student,medicine,2026"]).people[0].lang == "ko"  # no column
    with pytest.raises(RosterError, match="line 2, column lang: .*'fr' is not a language medai speaks"):
        roster(tmp_path, ["med01,김민준,m@x.ac.kr,student,medicine,2026,fr"], header=HEADER + ",lang")


def test_the_roster_language_becomes_the_jupyterlab_setting_once(tmp_path):
    home = tmp_path / "eng01"
    home.mkdir()
    assert ensure_language(home, "en", uid=os.getuid(), gid=os.getgid()) == "en"
    setting = home / SETTINGS
    assert json.loads(setting.read_text()) == {"locale": "en"}
    assert setting.parent.stat().st_mode & 0o777 == 0o700
    # the student switches to Korean in Settings -> Language (JupyterLab writes JSON5, comments included)
    setting.write_text('{\n    // Language\n    "locale": "ko_KR"\n}\n')
    assert ensure_language(home, "en") == "ko"  # their choice stands; the roster only sets the first one
    assert '"ko_KR"' in setting.read_text()


def test_locale_names():
    assert [language_of(x) for x in ("ko_KR", "ko", "en", "en_US", "default", "fr_FR", None)] == [
        "ko", "ko", "en", "en", "en", None, None]
    assert normalise("ko-KR") == "ko" and normalise(None) == "ko"
    with pytest.raises(ValueError):
        normalise("fr")


def test_the_spawner_gets_the_users_language(tmp_path):
    from medai.course.layout import Layout

    class S:
        layout = Layout(root=tmp_path)
        course_file = COURSE_YAML

    S.layout.roster_file.write_text(f"{HEADER},lang\neng01,Jane Doe,j@x.ac.kr,student,engineering,2026,en\n"
                                    "med01,김민준,m@x.ac.kr,student,medicine,2026,\n", encoding="utf-8")
    for name in ("eng01", "med01"):
        (S.layout.home_dir / name).mkdir(parents=True)
    assert spawn_language(S, "eng01") == "en" and spawn_language(S, "med01") == "ko"
    assert json.loads((S.layout.home_dir / "eng01" / SETTINGS).read_text()) == {"locale": "en"}
    assert spawn_language(S, "nobody") == "ko"  # no home yet: the roster's (default) language


def test_english_is_the_msgid_and_korean_the_catalogue():
    assert translator("en").gettext("anything") == "anything"
    with pytest.raises(FileNotFoundError, match="no ko catalogue for 'nothing'"):
        translator("ko", domain="nothing")
