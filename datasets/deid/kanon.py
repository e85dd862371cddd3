"""Measuring k-anonymity and l-diversity over chosen quasi-identifiers.

pycanon (the maintained library for these measures) was evaluated and not used: its releases pin exact old
versions of numpy (2.0.2), pandas (2.3.3) and scipy, which would downgrade the platform's scientific stack.
The two measures are a group-by each, written here with pandas:

* k-anonymity: the size of the smallest equivalence class (rows sharing all quasi-identifier values);
* (distinct) l-diversity: the smallest number of distinct sensitive values within an equivalence class.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from medai.datasets.errors import DatasetError, said

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


def _groups(frame: "pd.DataFrame", quasi_identifiers: Sequence[str]):
    columns = list(quasi_identifiers)
    if not columns:
        raise DatasetError(said("name at least one quasi-identifier"))
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DatasetError(said("no such columns: {columns}", columns=", ".join(missing)))
    return frame.groupby(columns, dropna=False, observed=True)


def equivalence_class_sizes(frame: "pd.DataFrame", quasi_identifiers: Sequence[str]) -> "pd.Series":
    return _groups(frame, quasi_identifiers).size()


def k_anonymity(frame: "pd.DataFrame", quasi_identifiers: Sequence[str]) -> int:
    """The k for which `frame` is k-anonymous over `quasi_identifiers` (0 for an empty table)."""
    if frame.empty:
        return 0
    return int(equivalence_class_sizes(frame, quasi_identifiers).min())


def l_diversity(frame: "pd.DataFrame", quasi_identifiers: Sequence[str], sensitive: str) -> int:
    """The l for which `frame` is distinct-l-diverse in `sensitive` over `quasi_identifiers`."""
    if sensitive not in frame.columns:
        raise DatasetError(said("no such column: {column}", column=sensitive))
    if frame.empty:
        return 0
    return int(_groups(frame, quasi_identifiers)[sensitive].nunique(dropna=False).min())


@dataclass(frozen=True)
class Anonymity:
    quasi_identifiers: tuple[str, ...]
    rows: int
    classes: int
    k: int
    sensitive: str | None = None
    l: int | None = None  # noqa: E741 (the measure's name)


def measure(frame: "pd.DataFrame", quasi_identifiers: Sequence[str], *, sensitive: str | None = None) -> Anonymity:
    sizes = equivalence_class_sizes(frame, quasi_identifiers)
    return Anonymity(quasi_identifiers=tuple(quasi_identifiers), rows=len(frame), classes=len(sizes),
                     k=int(sizes.min()) if len(sizes) else 0, sensitive=sensitive,
                     l=l_diversity(frame, quasi_identifiers, sensitive) if sensitive else None)
