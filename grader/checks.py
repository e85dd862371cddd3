"""Type checks for hidden tests: a value must be what it claims to be before it is compared.

A comparison trusts the objects it compares: an object whose `__eq__` always returns True, or a `float`
subclass whose `__sub__` and `__abs__` make every difference zero, passes `==`, `abs(a - b) < tol` and
`np.isclose`. Hidden tests therefore check the type of what a submission returns first::

    from medai.grader.checks import exact as _exact
    assert math.isclose(_exact(sensitivity(counts), float), 0.9)

:func:`exact` accepts the types named and their library subclasses (NumPy's `float64` for `float`, `int64` for
`int`, `bool_` for `bool`, pandas' own classes for theirs) and rejects anything else; an instance of a class
written in the submission (a subclass or a stand-in) raises :class:`StandInValue`, which the grader reports as
tampering. The grader protects this module and the builtins it uses (medai.grader.kernel_guard).
"""
from __future__ import annotations

import os
import sys

_NUMPY_STANDS_FOR = {float: "floating", int: "integer", bool: "bool_", complex: "complexfloating"}


class StandInValue(AssertionError):
    """A value of a class written in the submission where a library type was expected."""


def library_file(path: str | None) -> bool:
    """Whether a file belongs to an installed library (under the environment's prefixes, not the notebook's
    own directory)."""
    if not path:
        return False
    path = os.path.realpath(path)
    roots = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    return any(path.startswith(root + os.sep) for root in roots) and not path.startswith(os.getcwd() + os.sep)


def written_in_submission(cls: type) -> bool:
    """Whether any Python-level code of the class (through its bases) comes from outside installed libraries:
    a notebook cell, a file next to the notebook, `exec`."""
    for klass in cls.__mro__:
        if klass.__module__ == "__main__":
            return True
        if not klass.__flags__ & (1 << 9):  # a built-in (C) type: nothing of the submission's in it
            continue
        for value in vars(klass).values():
            func = getattr(value, "__func__", value)
            for target in (func, getattr(func, "fget", None), getattr(func, "fset", None)):
                code = getattr(target, "__code__", None)
                if code is not None and not library_file(code.co_filename):
                    return True
        module = sys.modules.get(klass.__module__)
        if module is None or not library_file(getattr(module, "__file__", None)):
            return True
    return False


def _accepts(value, types: tuple[type, ...]) -> bool:
    kind = type(value)
    if kind in types:
        return True
    numpy = sys.modules.get("numpy")
    for expected in types:
        if numpy is not None and expected in _NUMPY_STANDS_FOR and kind.__module__ == "numpy" \
                and issubclass(kind, getattr(numpy, _NUMPY_STANDS_FOR[expected])):
            return True
        if isinstance(value, expected) and expected is not bool and not written_in_submission(kind):
            return True  # a library's own subclass (np.float64 is a float, pd.DataFrame's subclasses, ...)
    return False


def exact(value, *types: type):
    """`value` itself, when it is one of `types` (or a library's own subclass); AssertionError otherwise."""
    if _accepts(value, types):
        return value
    names = " or ".join(t.__name__ for t in types)
    kind = type(value)
    if written_in_submission(kind):
        raise StandInValue(f"expected {names}, got an instance of {kind.__qualname__}, a class written in the "
                           "submission")
    raise AssertionError(f"expected {names}, got {kind.__name__}")


def exact_items(values, *types: type):
    """`values` (a list, tuple, array or dict's values) when every item passes :func:`exact`."""
    exact(values, list, tuple, dict, *([sys.modules["numpy"].ndarray] if "numpy" in sys.modules else []))
    for item in (values.values() if isinstance(values, dict) else values):
        exact(item, *types)
    return values
