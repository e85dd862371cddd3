"""Benchmark: synthetic OMOP cohort generation and writing (target: 100,000 persons in <= 60 s on 2 cores and
<= 2 GB peak memory), with pandas' ``DataFrame.to_sql`` as the stock way of filling the SQLite database.

    /opt/medai/venv/bin/python benchmarks/bench_datasets.py [--persons 100000] [--seed 0] [--stock]

Each measurement runs in a fresh child process, so its peak resident memory (ru_maxrss) is its own; the
figures include the interpreter and imported libraries. Not a timed test: it prints, it does not assert.
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from pathlib import Path


def _medai(persons: int, seed: int, out: str, queue) -> None:
    from medai.datasets.omop import generate_omop
    from medai.datasets.omop.write import write_parquet, write_sqlite

    t0 = time.perf_counter()
    cohort = generate_omop(persons=persons, seed=seed)
    t1 = time.perf_counter()
    write_parquet(cohort.tables, Path(out) / "parquet")
    t2 = time.perf_counter()
    write_sqlite(cohort.tables, Path(out) / "omop.sqlite")
    t3 = time.perf_counter()
    rows = sum(t.num_rows for t in cohort.tables.values())
    queue.put({"generate": t1 - t0, "parquet": t2 - t1, "sqlite": t3 - t2, "rows": rows,
               "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})


def _stock_sqlite(persons: int, seed: int, out: str, queue) -> None:
    import sqlite3

    from medai.datasets.omop import generate_omop

    cohort = generate_omop(persons=persons, seed=seed)
    frames = {name: table.to_pandas() for name, table in cohort.tables.items()}
    t0 = time.perf_counter()
    con = sqlite3.connect(Path(out) / "stock.sqlite")
    for name, frame in frames.items():
        frame.to_sql(name, con, index=False, chunksize=200_000)
    con.commit()
    con.close()
    queue.put({"sqlite": time.perf_counter() - t0,
               "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})


def _run(target, *args):
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, queue))
    start = time.perf_counter()
    proc.start()
    result = queue.get()
    proc.join()
    result["wall"] = time.perf_counter() - start
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--stock", action="store_true", help="also time pandas.to_sql for the SQLite step")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as out:
        r = _run(_medai, args.persons, args.seed, out)
        total = r["generate"] + r["parquet"] + r["sqlite"]
        print(f"medai omop-cohort, {args.persons:,} persons, {r['rows']:,} rows in all tables")
        print(f"  generate   {r['generate']:7.2f} s  ({args.persons / r['generate']:,.0f} persons/s)")
        print(f"  parquet    {r['parquet']:7.2f} s")
        print(f"  sqlite     {r['sqlite']:7.2f} s")
        print(f"  total      {total:7.2f} s  ({args.persons / total:,.0f} persons/s end to end; "
              f"process wall {r['wall']:.1f} s with imports)")
        print(f"  peak RSS   {r['peak_mb']:7.0f} MB")
        ok = total <= 60 and r["peak_mb"] <= 2048
        print(f"  target (<= 60 s, <= 2 GB for 100,000 persons): {'met' if ok else 'NOT met'}")
        if args.stock:
            s = _run(_stock_sqlite, args.persons, args.seed, out)
            print(f"stock pandas.DataFrame.to_sql into SQLite: {s['sqlite']:.2f} s (medai's writer: "
                  f"{r['sqlite']:.2f} s), peak RSS {s['peak_mb']:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
