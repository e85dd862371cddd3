"""Errors in medai.datasets that the person asking can fix (bad size, unknown dataset, unwritable directory).

A :class:`medai.errors.UserError` (the one error root, a leaf module any layer may import): the CLI prints it
as one clear message with exit status 2, whichever command raised it (`medai datasets`, `medai up`).
"""
from medai.errors import UserError


class DatasetError(UserError, ValueError):
    """Bad parameters or environment for generating, building or loading a dataset."""


def check_size(name: str, value: int, *, minimum: int = 1, maximum: int | None = None) -> int:
    """`value` as an int, or DatasetError naming `name` if it is not a whole number in [minimum, maximum]."""
    if isinstance(value, bool) or not isinstance(value, (int,)) and not (
            hasattr(value, "__index__")):
        raise DatasetError(f"{name} must be a whole number, not {value!r}")
    value = int(value)
    if value < minimum or (maximum is not None and value > maximum):
        upper = f" and at most {maximum:,}" if maximum is not None else ""
        raise DatasetError(f"{name} must be at least {minimum:,}{upper}, not {value:,}")
    return value
