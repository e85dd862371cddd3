"""Self-checks speak the student's language: every message of `q1.check()` / `q1.hint()` has Korean in a catalogue
(medai.selfcheck's own: src/medai/locale/ko/LC_MESSAGES/selfcheck.po; each assignment's beside its checks.py:
assignments/<id>/locale/ko/LC_MESSAGES/checks.po), and $MEDAI_LANG picks Korean or English when a message is made."""
from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

from medai import selfcheck
from medai.i18n import LOCALE_DIR, po_path, translator
from medai.selfcheck import ERROR, NOT_YET, PASS, Question, expect
from tests.assignment_suite import grade_id, spec
from tests.conftest import REPO
from tests.i18n_check import messages_in, problems

HANGUL = re.compile("[\uac00-\ud7a3]")
ASSIGNMENTS = sorted(p.parent for p in (REPO / "assignments").glob("*/checks.py"))
CORE = (Path(selfcheck.__file__), po_path(LOCALE_DIR, "ko", "selfcheck"))


def catalogue(folder: Path) -> Path:
    return po_path(folder / "locale", "ko", selfcheck.ASSIGNMENT_DOMAIN)


def korean(text: str) -> bool:
    return bool(HANGUL.search(text))


@pytest.mark.parametrize("code, po", [CORE] + [(a / "checks.py", catalogue(a)) for a in ASSIGNMENTS],
                         ids=["medai.selfcheck"] + [a.name for a in ASSIGNMENTS])
def test_every_self_check_message_has_korean_and_every_entry_is_used(code, po):
    assert po.is_file(), f"{code}: no Korean catalogue at {po}"
    found = messages_in([code])
    assert found, f"{code}: no message goes through gettext"
    assert problems(found, po) == []


def load_checks(folder: Path):
    """An assignment's checks module, imported from `folder` the way a notebook beside it imports `checks`."""
    module = importlib.util.spec_from_file_location(f"checks_{folder.name.replace('-', '_')}", folder / "checks.py")
    checks = importlib.util.module_from_spec(module)
    module.loader.exec_module(checks)
    return checks


def test_core_messages_follow_medai_lang_when_they_are_produced(monkeypatch, capsys):
    def checks(ns):
        f = ns.function("double")
        expect(f(2) == 4, "double(2) should be 4")
        ns.get("size", (int, float))

    q = Question("Q1", checks, "")
    cases = {"missing": {}, "not a function": {"double": 3}, "wrong type": {"double": lambda x: 2 * x, "size": "3"},
             "crash": {"double": lambda x: 1 / 0}, "pass": {"double": lambda x: 2 * x, "size": 3}}
    said = {}
    for lang in ("ko", "en"):  # one Question, two languages: translated when the message is made, not at import
        monkeypatch.setenv("MEDAI_LANG", lang)
        said[lang] = {case: q.run(values) for case, values in cases.items()}
        q.hint()
        said[lang]["hint"] = capsys.readouterr().out
    assert [o.status for o in said["en"].values() if not isinstance(o, str)] == [NOT_YET] * 3 + [ERROR, PASS]
    assert said["en"]["pass"].message == "the public checks pass. Hidden tests run when it is graded."
    assert "ZeroDivisionError" in said["ko"]["crash"].message and "int 또는 float" in said["ko"]["wrong type"].message
    for case in said["ko"]:
        assert korean(str(said["ko"][case])), (case, said["ko"][case])
        assert not korean(str(said["en"][case])), (case, said["en"][case])


def test_assignment_names_hints_and_messages_follow_medai_lang(monkeypatch, capsys):
    checks = load_checks(REPO / "assignments" / "c02-diagnostic-metrics")
    for lang, hangul in (("ko", True), ("en", False)):
        monkeypatch.setenv("MEDAI_LANG", lang)
        outcome = checks.q1.run({"confusion_counts": lambda y_true, y_pred: [0, 0]})
        checks.q1.hint()
        hint = capsys.readouterr().out
        assert outcome.status == NOT_YET and "confusion_counts" in outcome.message
        assert korean(outcome.message) is hangul and korean(outcome.question) is hangul and korean(hint) is hangul


def test_missing_catalogue_gives_english_not_a_crash(tmp_path, monkeypatch):
    bare = tmp_path / "c02-without-locale"
    bare.mkdir()
    shutil.copy(REPO / "assignments" / "c02-diagnostic-metrics" / "checks.py", bare / "checks.py")
    monkeypatch.setenv("MEDAI_LANG", "ko")
    checks = load_checks(bare)
    with pytest.warns(UserWarning, match="English"):
        outcome = checks.q1.run({"confusion_counts": lambda y_true, y_pred: [0, 0]})
    assert outcome.question == "Q1 (2x2 table)"
    assert outcome.message == "confusion_counts should return a dict, not a list."


# one typical mistake per assignment (tests/mistakes/<id>.yaml), the question whose public check catches it, and
# the message it must produce
FAILING = {
    "c01-cohort-sql": ("strictly before the index date", "q2",
                       "a record dated ON the index date was known at the index date: keep it (<=, not <)."),
    "c02-diagnostic-metrics": ("PPV confused with sensitivity", "q2", "{error} Remember {name} = {meaning}."),
    "c03-risk-prediction": ("missing values filled with 0", "q1", "AUC of 'gap' once its missing row is left out"),
    "c04-deidentification": ("plain (unkeyed) SHA-256", "q1", "a different key must give a different pseudonym: use the key."),
    "c05-imaging-io": ("window from center - width", "q3",
                       "window(..., 40, 400) of [-1000, -160, 40, 140, 240, 3000] should be [0, 0, 0.5, 0.75, 1, 1]; "
                       "yours is {got}."),
    "e01-neural-networks": ("standardisation statistics fitted", "q1",
                            "a value equal to the TRAINING mean (3.0 in column 0) should become 0 in the other array: "
                            "compute the mean and standard deviation from X_train only, never from the data you will "
                            "evaluate on."),
    "e02-segmentation": ("IoU", "q1", "{err} One pixel overlaps; each mask has 2 pixels: 2 x 1 / (2 + 2). (If you got "
                                      "0.333, that is the IoU, |P and T| / |P or T|.)"),
    "e03-interpretability-fairness": ("subgroup sensitivity divided", "q5",
                                      "group a has 2 events, 1 of them positive at 0.5: sensitivity 0.5; yours "
                                      "{sensitivity:.3f}. The denominator is the EVENTS."),
    "m01-survival": ("censoring ignored", "q1",
                     "survival should be [5/6, 2/3, 4/9, 0]; yours is {survival}. Multiply the conditional survivals "
                     "(1 - events / at_risk) from the first death time on; do not divide by the original number of "
                     "patients."),
    "m02-treatment-effects": ("every statin in the record", "q1",
                              "person 9 started a statin almost two years AFTER the screening visit: that is not the "
                              "exposure at time zero (and such statins often follow an MI: the outcome causing the "
                              "'exposure')."),
    "m03-clinical-evaluation": ("threshold odds inverted", "q1",
                                "{err} At the threshold p * benefit = (1 - p) * harm: solve for p. A bigger benefit of "
                                "treating should LOWER the risk at which you act."),
}

PROBE = """\
import json as _json, os as _os
import checks as _checks
_said = {{}}
for _lang in ("ko", "en"):
    _os.environ["MEDAI_LANG"] = _lang
    _outcome = _checks.{question}.run(globals())
    _said[_lang] = [_outcome.status, str(_outcome)]
print("SELFCHECK " + _json.dumps(_said, ensure_ascii=False))
"""


def longest_text(message: str) -> str:
    """The longest stretch of a msgid or its translation between placeholders: it appears in the message made."""
    return max(re.split(r"\{[^{}]*\}", message), key=len).strip()


def test_every_assignment_has_a_failing_check_in_both_languages():
    assert set(FAILING) == {a.name for a in ASSIGNMENTS}


@pytest.mark.slow
@pytest.mark.parametrize("assignment", sorted(FAILING))
def test_typical_mistake_is_explained_in_korean_and_in_english(assignment, built_data, tmp_path, monkeypatch):
    """The mistake applied to the reference solution, the notebook run in a real kernel, then the self-check asked
    in Korean and in English in that same kernel."""
    from nbclient import NotebookClient

    name, question, msgid = FAILING[assignment]
    folder = REPO / "assignments" / assignment
    data = spec(assignment)
    (mistake,) = [m for m in data["mistakes"] if m["name"].startswith(name)]
    nb = nbformat.read(folder / f"{data['notebook']}.ipynb", as_version=4)
    (cell,) = [c for c in nb.cells if grade_id(c) == mistake["cell"]]
    assert cell.source.count(mistake["replace"]) == 1, mistake["name"]
    cell.source = cell.source.replace(mistake["replace"], mistake["with"])
    nb.cells.append(nbformat.v4.new_code_cell(PROBE.format(question=question)))
    work = tmp_path / assignment
    shutil.copytree(folder, work)
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("MEDAI_DATA", str(built_data))
    monkeypatch.setenv("MEDAI_LANG", "ko")
    NotebookClient(nb, timeout=600, allow_errors=True, resources={"metadata": {"path": str(work)}}).execute()
    printed = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    assert "SELFCHECK " in printed, nb.cells[-1].outputs
    said = json.loads(printed.split("SELFCHECK ", 1)[1])
    ko_status, ko = said["ko"]
    en_status, en = said["en"]
    assert ko_status == en_status == NOT_YET, said
    assert longest_text(msgid) in en and not korean(en), en
    ko_msgstr = translator("ko", domain=selfcheck.ASSIGNMENT_DOMAIN, localedir=folder / "locale").gettext(msgid)
    assert ko_msgstr != msgid and longest_text(ko_msgstr) in ko and korean(ko), ko
    assert ko.startswith("✗ Q") and en.startswith("✗ Q")


@pytest.mark.slow
def test_catalogue_travels_with_the_assignment_to_the_student(tmp_path, monkeypatch):
    """generate_assignment -> release_assignment -> fetch_assignment (nbgrader's own, with medai's IGNORE list):
    the fetched folder has locale/ beside checks.py, and `checks` imported from there speaks Korean."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.exchange.default import ExchangeFetchAssignment
    from traitlets.config import Config

    from medai.nbgrader_adapter.config import IGNORE

    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")  # alembic
    course, exchange, student = tmp_path / "course", tmp_path / "exchange", tmp_path / "student"
    exchange.mkdir()
    student.mkdir()
    exchange.chmod(0o777)
    for folder in ASSIGNMENTS:
        shutil.copytree(folder, course / "source" / folder.name)
    cfg = Config()
    cfg.CourseDirectory.root, cfg.CourseDirectory.course_id = str(course), "medai101"
    cfg.CourseDirectory.ignore, cfg.Exchange.root = IGNORE, str(exchange)
    api = NbGraderAPI(coursedir=CourseDirectory(config=cfg), config=cfg)
    monkeypatch.setenv("MEDAI_LANG", "ko")
    for folder in ASSIGNMENTS:
        for step in (api.generate_assignment, api.release_assignment):
            result = step(folder.name)
            assert result["success"], (result.get("log") or "") + (result.get("error") or "")
        mine = Config(cfg)
        mine.CourseDirectory.assignment_id, mine.Exchange.assignment_dir = folder.name, str(student)
        ExchangeFetchAssignment(coursedir=CourseDirectory(config=mine), authenticator=Authenticator(config=mine),
                                config=mine).start()
        fetched = student / folder.name
        assert catalogue(fetched).read_bytes() == catalogue(folder).read_bytes(), folder.name
        hint = str(load_checks(fetched).q1.hint_text)
        assert korean(hint), (folder.name, hint)
