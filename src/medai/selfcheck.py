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
"""
from __future__ import annotations

import inspect
import math
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable

PASS, NOT_YET, ERROR = "pass", "not yet", "error"


class NotYet(Exception):
    """A public check failed; the message says what is wrong, for the student."""


@dataclass(frozen=True)
class Outcome:
    """The result of one self-check, as the notebook prints it and tests read it."""

    question: str
    status: str  # pass | not yet | error
    message: str

    def __str__(self) -> str:
        mark = {PASS: "✓", NOT_YET: "✗", ERROR: "!"}[self.status]
        return f"{mark} {self.question}: {self.message}"


class Namespace:
    """The student's variables, with helpers that fail with a clear message."""

    def __init__(self, values: dict[str, Any]):
        self.values = values

    def get(self, name: str, kind: type | tuple[type, ...] | None = None, *, callable_: bool = False) -> Any:
        if name not in self.values:
            raise NotYet(f"`{name}` is not defined yet: run the cell where you define it.")
        value = self.values[name]
        if callable_ and not callable(value):
            raise NotYet(f"`{name}` should be a function, but it is a {type(value).__name__}.")
        if kind is not None and not isinstance(value, kind):
            want = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
            raise NotYet(f"`{name}` should be a {want}, but it is a {type(value).__name__}.")
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
        raise NotYet(f"{what} should be a number, but it is {got!r}.") from None
    if not math.isclose(value, want, rel_tol=rel, abs_tol=abs_):
        raise NotYet(f"{what}: expected about {want:.4g}, got {value:.4g}.")


@dataclass
class Question:
    """One graded question's public self-check and hint."""

    name: str
    checks: Callable[[Namespace], None]
    hint_text: str = ""
    history: list[Outcome] = field(default_factory=list, repr=False)

    def run(self, values: dict[str, Any]) -> Outcome:
        """Run the public checks against a namespace (what check() does, without printing)."""
        try:
            self.checks(Namespace(values))
        except NotYet as err:
            outcome = Outcome(self.name, NOT_YET, str(err))
        except Exception as err:  # the student's own code crashed inside a check
            where = traceback.extract_tb(err.__traceback__)[-1]
            outcome = Outcome(self.name, ERROR, f"your code raised {type(err).__name__}: {err} "
                                                f"(line {where.lineno} of {where.name}).")
        else:
            outcome = Outcome(self.name, PASS, "the public checks pass. Hidden tests run when it is graded.")
        self.history.append(outcome)
        return outcome

    def check(self) -> None:
        """Check your answer now (uses the variables of the notebook that calls it) and print the verdict."""
        caller = inspect.currentframe().f_back
        try:
            print(self.run(dict(caller.f_globals)))
        finally:
            del caller

    def hint(self) -> None:
        print(f"Hint for {self.name}: {self.hint_text or 'no hint for this one — reread the question.'}")
