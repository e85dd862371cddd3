"""Keyed pseudonymisation and per-patient date shifting.

A plain hash of an identifier is still an identifier (anyone can hash every possible RRN or MRN and match):
Korea's health-data pseudonymisation guideline asks for a keyed method whose key is kept apart from the data.
Here: HMAC-SHA256 with a secret key of at least 16 bytes, stored in its own file readable only by its owner.
Date shifting moves all of one patient's dates by the same number of days (derived from the key and the
patient's identifier), so intervals within a patient are preserved and calendar dates are not.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path
from typing import Iterable

import numpy as np

from medai.datasets.errors import DatasetError, said

MIN_KEY_BYTES = 16


def new_key() -> bytes:
    return secrets.token_bytes(32)


def save_key(key: bytes, path: str | Path) -> Path:
    """Write `key` to `path` (hex, mode 0600, a new file): keep it away from the data it pseudonymises."""
    _check_key(key)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key.hex() + "\n")
    return path


def load_key(path: str | Path) -> bytes:
    """Read a key written by :func:`save_key`; refuse one that others can read."""
    path = Path(path)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        text = path.read_text().strip()
    except OSError as err:
        raise DatasetError(f"cannot read pseudonymisation key {path}: {err.strerror or err}") from None
    if mode & 0o077:
        raise DatasetError(f"pseudonymisation key {path} is readable by others (mode {mode:04o}); chmod 600 it")
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise DatasetError(f"pseudonymisation key {path} is not hex") from None
    return _check_key(key)


def _check_key(key: bytes) -> bytes:
    if not isinstance(key, (bytes, bytearray)) or len(key) < MIN_KEY_BYTES:
        raise DatasetError(said("the pseudonymisation key must be at least {n} random bytes", n=MIN_KEY_BYTES))
    return bytes(key)


def pseudonymise(values: Iterable[object], *, key: bytes, length: int = 16, prefix: str = "") -> list[str]:
    """HMAC-SHA256 pseudonyms (hex, `length` characters) of `values`: the same value always gets the same
    pseudonym under one key; without the key they cannot be recomputed."""
    key = _check_key(key)
    if not 8 <= length <= 64:
        raise DatasetError(said("pseudonym length must be between 8 and 64 hex characters"))
    return [prefix + hmac.new(key, str(v).encode("utf-8"), hashlib.sha256).hexdigest()[:length] for v in values]


def shift_days(ids: Iterable[object], *, key: bytes, max_days: int = 365) -> np.ndarray:
    """Each id's date shift in days, in [-max_days, max_days] without 0, derived from the key."""
    key = _check_key(key)
    if max_days < 1:
        raise DatasetError(said("max_days must be at least 1"))
    out = []
    for v in ids:
        digest = hmac.new(key, b"date-shift:" + str(v).encode("utf-8"), hashlib.sha256).digest()
        magnitude = 1 + int.from_bytes(digest[:8], "big") % max_days
        out.append(magnitude if digest[8] & 1 else -magnitude)
    return np.array(out, dtype=np.int64)


def shift_dates(dates, ids, *, key: bytes, max_days: int = 365):
    """`dates` (datetime64 / pandas datetimes) moved by their id's shift: intervals within an id are kept."""
    import pandas as pd

    ids = list(ids)
    unique = list(dict.fromkeys(ids))
    shift = dict(zip(unique, shift_days(unique, key=key, max_days=max_days)))
    delta = pd.to_timedelta(np.array([shift[i] for i in ids], dtype=np.int64), unit="D")
    return pd.Series(pd.to_datetime(dates)).reset_index(drop=True) + delta
