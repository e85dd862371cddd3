"""Instant, honest feedback while students work, in the spirit of Kaggle's learntools (`q1.check()`).

An assignment ships a small `checks.py` beside its notebook that declares one :class:`Question` per graded
question, with *public* checks only (the hidden tests stay in the instructor's source notebook and run at
grading). In the notebook::

    from checks import q1
    q1.check()   # runs Q1's public checks on your current answer and says, in plain words, what is wrong
    q1.hint()    # a nudge, never the solution

A check function receives the student's namespace and either returns normally (all public checks pass) or
raises :class:`NotYet` with a message for the student. Nothing here raises into the notebook: a crash in the
student's own code is reported as such, so self-checks never stop a notebook (or its grading) from running.

Each `check()` and `hint()` in a student's server is recorded for the instructor (which question, pass or not,
which check failed: medai.selfcheck_record); recording never delays or changes what the student is told.

Every message is Korean or English, as the student's language says (medai.i18n.current_language(), looked up
when the message is produced). The core messages here are in the "selfcheck" catalogue of medai
(src/medai/locale/ko/LC_MESSAGES/selfcheck.po); each assignment's own messages sit beside its checks module,
<assignment>/locale/ko/LC_MESSAGES/checks.po, so that they travel with the assignment to the students::

    _, _n, N_ = messages(__file__)      # in checks.py
    expect(ok, _("`{name}` should return {n} rows.").format(name="f", n=3))
    q1 = Question(N_("Q1 (the 2x2 table)"), _q1, N_("count each cell with ..."))  # translated when shown
"""
from __future__ import annotations

import gettext
import inspect
import math
import sys
import traceback
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, NamedTuple

from medai import selfcheck_record
from medai.i18n import LOCALE_DIR, current_language, translator

PASS, NOT_YET, ERROR = "pass", "not yet", "error"
ASSIGNMENT_DOMAIN = "checks"  # <assignment>/locale/<lang>/LC_MESSAGES/checks.po


@dataclass(frozen=True)
class Catalogue:
    """One gettext domain, translated into the student's language at the moment a message is produced.

    A missing or unreadable catalogue gives English (the msgids) with a warning: a student's notebook never stops
    over a translation (the repository's tests catch a missing catalogue: tests/test_selfcheck_languages.py)."""

    domain: str
    localedir: Path

    def translations(self) -> gettext.NullTranslations:
        try:
            return translator(current_language(), domain=self.domain, localedir=self.localedir)
        except Exception as err:  # noqa: BLE001  no catalogue, or a broken one: English rather than a crash
            warnings.warn(f"self-check messages in English: {err}", stacklevel=3)
            return gettext.NullTranslations()

    def gettext(self, msgid: str) -> str:
        return self.translations().gettext(msgid)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.translations().ngettext(singular, plural, n)

    def lazy(self, msgid: str) -> Text:
        return Text(msgid, self)


@dataclass(frozen=True)
class Text:
    """A message translated when it is shown (question names and hints, defined once when checks.py loads)."""

    msgid: str
    catalogue: Catalogue

    def __str__(self) -> str:
        return self.catalogue.gettext(self.msgid)


class Messages(NamedTuple):
    """What `messages()` gives a checks module: `_, _n, N_ = messages(__file__)`."""

    gettext: Callable[[str], str]
    ngettext: Callable[[str, str, int], str]
    lazy: Callable[[str], Text]


def messages(module_file: str | Path, *, domain: str = ASSIGNMENT_DOMAIN) -> Messages:
    """The gettext functions of the catalogue beside `module_file` (an assignment's checks.py):
    <its folder>/locale/<lang>/LC_MESSAGES/checks.po, found in the instructor's source folder and in the copy a
    student fetched alike."""
    catalogue = Catalogue(domain, Path(module_file).resolve().parent / "locale")
    return Messages(catalogue.gettext, catalogue.ngettext, catalogue.lazy)


_ = Catalogue("selfcheck", LOCALE_DIR).gettext


class NotYet(Exception):
    """A public check failed; the message says what is wrong, for the student."""


@dataclass(frozen=True)
class Outcome:
    """The result of one self-check, as the notebook prints it and tests read it."""

    question: str
    status: str  # pass | not yet | error
    message: str
    # which check did not pass: "<function>:<line>" in checks.py where it failed (not yet), or the type of the
    # exception the student's code raised (error); None when it passed
    failed: str | None = field(default=None, compare=False)

    def __str__(self) -> str:
        mark = {PASS: "✓", NOT_YET: "✗", ERROR: "!"}[self.status]
        return f"{mark} {self.question}: {self.message}"


class Namespace:
    """The student's variables, with helpers that fail with a clear message."""

    def __init__(self, values: dict[str, Any]):
        self.values = values

    def get(self, name: str, kind: type | tuple[type, ...] | None = None, *, callable_: bool = False) -> Any:
        if name not in self.values:
            raise NotYet(_("`{name}` is not defined yet: run the cell where you define it.").format(name=name))
        value = self.values[name]
        if callable_ and not callable(value):
            raise NotYet(_("`{name}` should be a function, but it is a {kind}.").format(
                name=name, kind=type(value).__name__))
        if kind is not None and not isinstance(value, kind):
            kinds = [k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,))]
            want = kinds[0] if len(kinds) == 1 else _("{kinds} or {last}").format(kinds=", ".join(kinds[:-1]),
                                                                                  last=kinds[-1])
            raise NotYet(_("`{name}` should be a {want}, but it is a {kind}.").format(
                name=name, want=want, kind=type(value).__name__))
        return value

    def function(self, name: str) -> Callable:
        return self.get(name, callable_=True)


def expect(condition: bool, message: str) -> None:
    """Fail the check with `message` unless `condition` holds."""
    if not condition:
        raise NotYet(message)


def expect_close(got: Any, want: float, what: str, *, rel: float = 1e-6, abs_: float = 1e-9) -> None:
    """Fail unless `got` is a number close to `want`; the message shows both (public examples only)."""
    try:
        value = float(got)
    except (TypeError, ValueError):
        raise NotYet(_("{what} should be a number, but it is {got!r}.").format(what=what, got=got)) from None
    if not math.isclose(value, want, rel_tol=rel, abs_tol=abs_):
        raise NotYet(_("{what}: expected about {want:.4g}, got {value:.4g}.").format(what=what, want=want, value=value))


@dataclass
class Question:
    """One graded question's public self-check and hint (`name` and `hint_text`: a str, or a Text that is
    translated when shown)."""

    name: str | Text
    checks: Callable[[Namespace], None]
    hint_text: str | Text = ""
    history: list[Outcome] = field(default_factory=list, repr=False)

    def run(self, values: dict[str, Any]) -> Outcome:
        """Run the public checks against a namespace (what check() does, without printing)."""
        try:
            self.checks(Namespace(values))
        except NotYet as err:
            outcome = Outcome(str(self.name), NOT_YET, str(err), failed=self._where(err))
        except Exception as err:  # the student's own code crashed inside a check
            where = traceback.extract_tb(err.__traceback__)[-1]
            outcome = Outcome(str(self.name), ERROR, _("your code raised {error}: {detail} (line {line} of {where}).")
                              .format(error=type(err).__name__, detail=err, line=where.lineno, where=where.name),
                              failed=type(err).__name__)
        else:
            outcome = Outcome(str(self.name), PASS, _("the public checks pass. Hidden tests run when it is graded."))
        self.history.append(outcome)
        return outcome

    def _where(self, err: NotYet) -> str | None:
        """The check that failed: the last line of checks.py (the checks' own file) the failure passed through."""
        code = getattr(self.checks, "__code__", None)
        frames = [f for f in traceback.extract_tb(err.__traceback__) if code and f.filename == code.co_filename]
        return f"{frames[-1].name}:{frames[-1].lineno}" if frames else None

    def key(self) -> tuple[str, str]:
        """(assignment, question) as the self-check log knows them: the folder checks.py sits in (the nbgrader
        assignment id, in the source and in a student's fetched copy alike) and the name checks.py binds this
        question to ("q1"; else its check function's name)."""
        code = getattr(self.checks, "__code__", None)
        assignment = Path(code.co_filename).resolve().parent.name if code else ""
        module = sys.modules.get(getattr(self.checks, "__module__", "") or "")
        names = [k for k, v in vars(module).items() if v is self and not k.startswith("_")] if module else []
        return assignment, names[0] if names else getattr(self.checks, "__name__", "").lstrip("_")

    def _record(self, action: str, outcome: Outcome | None = None) -> None:
        """Tell the instructor (medai.selfcheck_record); never raises, never waits."""
        try:
            assignment, question = self.key()
            title = self.name.msgid if isinstance(self.name, Text) else str(self.name)
            selfcheck_record.record(assignment=assignment, question=question, title=title, action=action,
                                    **({"status": outcome.status, "failed": outcome.failed or "",
                                        "message": outcome.message} if outcome else {}))
        except Exception:  # noqa: BLE001  recording is never the student's problem
            pass

    def check(self) -> None:
        """Check your answer now (uses the variables of the notebook that calls it) and print the verdict."""
        caller = inspect.currentframe().f_back
        try:
            outcome = self.run(dict(caller.f_globals))
        finally:
            del caller
        print(outcome)
        self._record("check", outcome)

    def hint(self) -> None:
        hint = str(self.hint_text) or _("no hint for this one — reread the question.")
        print(_("Hint for {name}: {hint}").format(name=self.name, hint=hint))
        self._record("hint")
