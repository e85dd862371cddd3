"""Errors in medai.datasets that the person asking can fix (bad size, unknown dataset, unwritable directory).

A :class:`medai.errors.UserError` (the one error root, a leaf module any layer may import): the CLI prints it
as one clear message with exit status 2, whichever command raised it (`medai datasets`, `medai up`).

What a student can meet in a notebook (a dataset not built, a table or column that is not there, a bad
de-identification parameter) is written with :func:`said`: their language first (the "datasets" catalogue,
datasets/locale/ko/LC_MESSAGES/datasets.po; $MEDAI_LANG, Korean by default), the English kept under it.
"""
from pathlib import Path

from medai.errors import UserError

LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "datasets"


def said(msgid: str, **fields) -> str:
    """The message in the reader's language, then the English msgid when that differs (a literal msgid with
    str.format fields, so that tests/test_datasets_i18n.py finds it)."""
    from medai.i18n import translator

    english = msgid.format(**fields)
    text = translator(None, domain=DOMAIN, localedir=LOCALE_DIR).gettext(msgid).format(**fields)
    return english if text == english else f"{text}\n({english})"


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
