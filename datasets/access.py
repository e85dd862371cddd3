"""Reading built datasets from a notebook: where the data directory is, one OMOP table, an SQL connection.

The data directory is ``$MEDAI_DATA`` (set for every user's server by the hub), else the data root's ``data/``
(both settings of :class:`medai.settings.Settings`). Connections are read-only.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from medai.datasets.errors import DatasetError, said
from medai.settings import Settings

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

OMOP = "omop-cohort"


def data_dir() -> Path:
    return Settings.from_env().data_path


def dataset_path(name: str, *, root: str | Path | None = None) -> Path:
    """The directory of built dataset `name`; DatasetError (saying how to build it) if it is not there."""
    path = Path(root) if root is not None else data_dir()
    path = path / name
    if not (path / "manifest.json").is_file():
        raise DatasetError(said("dataset {name!r} is not built under {folder}; ask an instructor to run "
                                "`medai datasets build {name}`", name=name, folder=path.parent))
    return path


def read_omop(table: str, *, root: str | Path | None = None) -> "pd.DataFrame":
    """One OMOP CDM table of the built ``omop-cohort`` as a DataFrame (e.g. ``read_omop("measurement")``)."""
    import pandas as pd

    path = dataset_path(OMOP, root=root) / "parquet" / f"{table}.parquet"
    if not path.is_file():
        known = sorted(p.stem for p in path.parent.glob("*.parquet"))
        raise DatasetError(said("no OMOP table {table!r}; tables: {known}", table=table, known=", ".join(known)))
    return pd.read_parquet(path)


def connect_omop(*, root: str | Path | None = None) -> sqlite3.Connection:
    """A read-only SQLite connection to the built ``omop-cohort`` (``pd.read_sql("SELECT ...", con)``)."""
    path = dataset_path(OMOP, root=root) / "omop.sqlite"
    return sqlite3.connect(f"{path.as_uri()}?mode=ro&immutable=1", uri=True)
