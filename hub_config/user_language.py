"""Each user's language: JupyterLab's own setting, first set from the roster, and $MEDAI_LANG from it.

A user's language lives where JupyterLab keeps it, their user setting of `@jupyterlab/translation-extension`
(Settings -> Language), so that they change it the way JupyterLab users do. Before a server starts, the hub
(as root) writes that setting from the roster's `lang` when the user has none yet, and sets the server's
$MEDAI_LANG from it, so that what medai's own code writes in their server (self-checks, messages) follows the
same choice. A change in Settings -> Language applies to JupyterLab at once and to $MEDAI_LANG at the next start
of the server.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

SETTINGS = Path(".jupyter", "lab", "user-settings", "@jupyterlab", "translation-extension",
                "plugin.jupyterlab-settings")
LAB_LOCALE = {"ko": "ko_KR", "en": "en"}  # medai's language -> JupyterLab's locale name


def language_of(locale: str | None) -> str | None:
    """JupyterLab locale ("ko_KR", "en", "default") -> "ko" / "en"; None for anything else."""
    if not locale:
        return None
    short = locale.replace("-", "_").split("_")[0].lower()
    return {"ko": "ko", "en": "en", "default": "en"}.get(short)


def _read(path: Path) -> str | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    # JupyterLab writes JSON5 (comments allowed); the one key medai reads is found without a JSON5 parser
    found = re.search(r'"locale"\s*:\s*"([^"]*)"', text)
    return language_of(found.group(1)) if found else None


def ensure_language(home: Path, roster_lang: str, *, uid: int | None = None, gid: int | None = None) -> str:
    """The user's language ("ko"/"en"): their JupyterLab setting, written from `roster_lang` when they have none."""
    path = Path(home) / SETTINGS
    current = _read(path)
    if current is not None:
        return current
    created = []
    folder = path.parent
    while not folder.exists():
        created.append(folder)
        folder = folder.parent
    for folder in reversed(created):
        folder.mkdir(mode=0o700)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({"locale": LAB_LOCALE[roster_lang]}, indent=4) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    if uid is not None:  # the hub runs as root: what it makes in a home is the user's
        for p in (*created, path):
            os.chown(p, uid, gid if gid is not None else -1)
    return roster_lang


def spawn_language(s, name: str) -> str:
    """For the pre-spawn hook: the user's language, their setting written from the roster (`s`: HubSettings)."""
    import pwd

    from medai.course import load_course, parse_roster

    lang = "ko"
    if s.layout.roster_file.exists():
        people = parse_roster(s.layout.roster_file, course=load_course(s.course_file)).people
        lang = next((p.lang for p in people if p.id == name), lang)
    home = s.layout.home_dir / name
    if not home.is_dir():
        return lang
    try:
        account = pwd.getpwnam(name) if os.geteuid() == 0 else None
    except KeyError:
        account = None
    return ensure_language(home, lang, uid=account.pw_uid if account else None,
                           gid=account.pw_gid if account else None)
