"""Write a cohort as Parquet files (one per CDM table) and one SQLite database, byte-for-byte reproducibly.

Parquet: pyarrow with fixed options; the only metadata is the schema and ``created_by`` (pyarrow's version),
so the same tables give the same bytes with the same pyarrow. SQLite: tables created and filled in a fixed
order, indexes added, then ``VACUUM`` (which rewrites the file compactly); the header's change counter and
version fields are then the same on every build with the same SQLite library.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from medai.datasets.omop.schema import CDM, INDEXES, D, T, sqlite_ddl

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa

SQLITE_NAME = "omop.sqlite"
_BATCH = 200_000


def write_parquet(tables: dict[str, "pa.Table"], directory: Path) -> list[Path]:
    import pyarrow.parquet as pq

    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name in CDM:
        path = directory / f"{name}.parquet"
        pq.write_table(tables[name], path, compression="zstd", compression_level=3, use_dictionary=True,
                       write_statistics=True, row_group_size=1_000_000, store_schema=True)
        written.append(path)
    return written


def _sql_columns(table: "pa.Table", name: str) -> list:
    """Column values as Python lists in SQLite's types: dates and datetimes as ISO text."""
    import pyarrow as pa
    import pyarrow.compute as pc

    out = []
    for col, kind, _ in CDM[name]:
        arr = table.column(col)
        if kind == D:
            arr = pc.strftime(arr.cast(pa.timestamp("s")), format="%Y-%m-%d") if arr.null_count < len(arr) \
                else pa.nulls(len(arr), pa.string())
        elif kind == T:
            arr = pc.strftime(arr, format="%Y-%m-%d %H:%M:%S") if arr.null_count < len(arr) \
                else pa.nulls(len(arr), pa.string())
        out.append(arr)
    return out


def write_sqlite(tables: dict[str, "pa.Table"], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("PRAGMA journal_mode=OFF")
        con.execute("PRAGMA synchronous=OFF")
        con.execute("PRAGMA page_size=4096")
        con.execute("BEGIN")
        for name in CDM:
            con.execute(sqlite_ddl(name))
            table = tables[name]
            placeholders = ", ".join("?" * len(CDM[name]))
            for lo in range(0, table.num_rows, _BATCH):
                cols = _sql_columns(table.slice(lo, _BATCH), name)
                con.executemany(f"INSERT INTO {name} VALUES ({placeholders})",
                                zip(*(c.to_pylist() for c in cols)))
        for table, column in INDEXES:
            con.execute(f"CREATE INDEX idx_{table}_{column} ON {table} ({column})")
        con.execute("COMMIT")
        con.execute("VACUUM")
    finally:
        con.close()
    return path
