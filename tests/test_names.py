"""Names as people write them (medai.course.names): the display rule, nbgrader's two fields and back, the
formgrader's scripts without the "last, first" comma, and the Moodle split."""
from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from medai.course.names import display_name, family_and_given, join_from_nbgrader, split_for_nbgrader

NAMES = ["김민준", "남궁민수", "Jane Doe", "Madonna", "María José García"]


@pytest.mark.parametrize("name", NAMES)
def test_a_name_survives_nbgrader_s_two_fields_whole(name):
    first, last = split_for_nbgrader(name)
    assert "," not in first + last
    assert join_from_nbgrader(first, last) == name
    assert display_name(name) == name


@pytest.mark.parametrize("name, family, given", [
    ("김민준", "김", "민준"), ("남궁민수", "남궁", "민수"), ("Jane Doe", "Doe", "Jane"), ("Madonna", "", "Madonna"),
    ("María José García", "García", "María José"), ("김 민준", "김", "민준"), ("이", "", "이"),
])
def test_family_and_given_names(name, family, given):
    assert family_and_given(name) == (family, given)


@pytest.mark.parametrize("name", NAMES)
def test_names_stored_the_old_way_read_back_in_their_own_order(name):
    """Gradebooks written before medai kept names whole hold (given, family) in (first_name, last_name)."""
    family, given = family_and_given(name)
    assert join_from_nbgrader(given, family) == name
    assert join_from_nbgrader(None, name) == name and join_from_nbgrader(name, None) == name


def test_display_name_of_a_roster_person(roster):
    person = roster.people[0]
    assert display_name(person) == person.name and "," not in display_name(person)


def test_the_gradebook_gets_the_whole_name(course, roster, layout, monkeypatch):
    from medai.hub import roster_sync

    rows = []
    monkeypatch.setattr(roster_sync, "run_as_owner_of", lambda _dir, _fn, _layout, students: rows.extend(students))
    roster_sync.sync_gradebook(roster=roster, layout=layout)
    students = {p.id: p.name for p in roster.by_role("student")}
    assert {sid: (first, last) for sid, first, last, _ in rows} == {sid: ("", n) for sid, n in students.items()}


# -- the formgrader -------------------------------------------------------------------------------------

def _render(script: str, first, last) -> str:
    """The name one of nbgrader's Backbone views writes, run in node with a model holding (first, last)."""
    start = script.index('var last_name = this.model.get("last_name")')
    chunk = script[start:script.rindex("\n", 0, script.index('.attr("data-order"', start))]
    program = (
        "var model = {get: function (k) { return " + json.dumps({"first_name": first, "last_name": last,
                                                                 "student": "med01"}) + "[k]; }};\n"
        "var name = (function () {\n" + chunk.replace("this.model", "model") + "\nreturn name; })();\n"
        "process.stdout.write(name);\n")
    return subprocess.run(["node", "-e", program], capture_output=True, text=True, check=True).stdout


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to run nbgrader's scripts")
@pytest.mark.parametrize("script", ["manage_students.js", "manage_submissions.js", "gradebook_notebook_submissions.js"])
def test_formgrader_scripts_show_the_whole_name_without_a_comma(script):
    from medai.grader.formgrader_guard import NAME_SCRIPTS, _rewritten_script

    assert script in NAME_SCRIPTS
    patched = _rewritten_script(script)
    for name in NAMES:
        assert _render(patched, *split_for_nbgrader(name)) == name
        assert _render(patched, None, name) == name  # the formgrader's own edit form stores an empty field as null
    assert _render(patched, "민준", "김") == "김, 민준"  # two names still shown as nbgrader shows them


def test_a_changed_nbgrader_script_fails_loudly():
    from medai.grader.formgrader_guard import whole_name_script

    with pytest.raises(ValueError, match="no longer writes names"):
        whole_name_script('var name = first_name + " " + last_name;')


def test_name_scripts_are_routed_ahead_of_nbgrader_s_static_files():
    import re

    from medai.grader.formgrader_guard import RewrittenScriptHandler, script_routes

    [(pattern, handler)] = script_routes("/services/formgrader-medai101/")
    assert handler is RewrittenScriptHandler
    assert re.fullmatch(pattern, "/services/formgrader-medai101/formgrader/static/js/manage_students.js")
    assert not re.fullmatch(pattern, "/services/formgrader-medai101/formgrader/static/js/backbone.js")


@pytest.mark.parametrize("name", NAMES)
def test_the_grading_page_shows_the_whole_name(name):
    from medai.grader.formgrader_guard import whole_name

    first, last = split_for_nbgrader(name)
    shown = whole_name({"student": "med01", "first_name": first, "last_name": last})
    # nbgrader's template writes `student` unless both names are there: the whole name, no comma
    assert shown["student"] == name and not (shown["first_name"] and shown["last_name"])
    assert whole_name({"student": "med01", "first_name": None, "last_name": None})["student"] == "med01"
