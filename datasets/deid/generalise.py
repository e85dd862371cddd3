"""Generalisation and suppression of quasi-identifiers: age bands with top-coding, region truncation, postal
code truncation, and suppression of rows in too-small equivalence classes."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

import numpy as np

from medai.datasets.errors import DatasetError, said

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

TOP_AGE = 90  # HIPAA Safe Harbor: ages over 89 are aggregated into one category


def age_in_years(birth, at) -> np.ndarray:
    """Completed years between birth dates and reference dates (pandas-compatible datetimes)."""
    import pandas as pd

    birth, at = pd.to_datetime(pd.Series(birth)), pd.to_datetime(pd.Series(at))
    years = at.dt.year.to_numpy() - birth.dt.year.to_numpy()
    before = (at.dt.month.to_numpy() < birth.dt.month.to_numpy()) | (
        (at.dt.month.to_numpy() == birth.dt.month.to_numpy()) & (at.dt.day.to_numpy() < birth.dt.day.to_numpy()))
    return years - before


def top_code(ages, *, top: int = TOP_AGE) -> np.ndarray:
    """Ages with everything at or above `top` set to `top` (read as "`top` or older")."""
    return np.minimum(np.asarray(ages), top)


def age_band(ages, *, width: int = 5, top: int = TOP_AGE) -> np.ndarray:
    """'40-44'-style bands of `width` years; `top` and over become e.g. '90+'."""
    if width < 1:
        raise DatasetError(said("age band width must be at least 1"))
    ages = np.asarray(ages, dtype=int)
    lo = ages // width * width
    bands = np.char.add(np.char.add(lo.astype(str), "-"), np.minimum(lo + width - 1, top - 1).astype(str))
    return np.where(ages >= top, f"{top}+", bands)


def region(addresses, *, level: int = 1) -> np.ndarray:
    """Korean addresses cut to their first `level` words: 1 = province (시도), 2 = city/district (시군구)."""
    if level not in (1, 2):
        raise DatasetError(said("region level must be 1 (province) or 2 (district)"))
    return np.array([" ".join(str(a).split()[:level]) for a in addresses])


def postal_prefix(codes, *, digits: int = 3) -> np.ndarray:
    """Postal codes cut to their first `digits` digits (Korean 5-digit codes: 2 digits name the province)."""
    return np.array([str(c)[:digits] for c in codes])


@dataclass(frozen=True)
class Suppressed:
    frame: "pd.DataFrame"   # the rows kept
    removed: int            # how many rows were suppressed
    classes_removed: int    # how many equivalence classes were too small


def suppress_small_classes(frame: "pd.DataFrame", *, quasi_identifiers: Sequence[str], k: int) -> Suppressed:
    """Drop every row whose combination of quasi-identifiers occurs fewer than `k` times."""
    if k < 1:
        raise DatasetError(said("k must be at least 1"))
    missing = [c for c in quasi_identifiers if c not in frame.columns]
    if missing:
        raise DatasetError(said("no such columns: {columns}", columns=", ".join(missing)))
    sizes = frame.groupby(list(quasi_identifiers), dropna=False, observed=True)[quasi_identifiers[0]] \
        .transform("size")
    keep = sizes >= k
    small = frame.loc[~keep, list(quasi_identifiers)].drop_duplicates()
    return Suppressed(frame=frame.loc[keep].reset_index(drop=True), removed=int((~keep).sum()),
                      classes_removed=len(small))
