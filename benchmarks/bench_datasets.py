"""Digest + profile of a 1,000,000 x 20 table (target: under 5 s together).

    python benchmarks/bench_datasets.py [--rows N] [--repeat R] [--parquet]

The table is seeded: 12 float columns (normal, 1% NaN), 4 integer columns and 4 string columns
(a handful of categories each, pandas' default string dtype). Each step runs ``--repeat`` times
and the best time is reported, as ``timeit`` does. ``--parquet`` also writes the table to a
temporary Parquet file and times its streamed digest. Prints the machine and a Markdown table;
exits 1 when digest + profile misses the target.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cairn.datasets.digest import digest_file, digest_frame
from cairn.datasets.profile import profile_frame
from cairn.datasets.sources import prepare_dataset

TARGET_S = 5.0
SEED = 1234


def make_table(rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(SEED)
    columns: dict[str, Any] = {}
    for i in range(12):
        values = rng.normal(loc=i, scale=1 + i / 4, size=rows)
        values[rng.random(rows) < 0.01] = np.nan
        columns[f"num_{i:02d}"] = values
    for i in range(4):
        columns[f"int_{i}"] = rng.integers(0, 10 ** (i + 2), size=rows)
    labels = ["free", "pro", "team", "enterprise", "trial", "student", "partner"]
    for i in range(4):
        columns[f"cat_{i}"] = pd.Series(rng.choice(labels[: 3 + i], size=rows), dtype="str")
    return pd.DataFrame(columns)


def best_of(repeat: int, work: Callable[[], object]) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - started)
    return best, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--parquet", action="store_true", help="also time the streamed digest of a Parquet file")
    args = parser.parse_args(argv)

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}, NumPy {np.__version__}, pandas {pd.__version__}")
    started = time.perf_counter()
    table = make_table(args.rows)
    print(f"table: {len(table):,} rows x {table.shape[1]} columns, {table.memory_usage(deep=True).sum() / 1e6:.0f} MB "
          f"in memory (built in {time.perf_counter() - started:.1f} s)\n")

    digest_s, digest = best_of(args.repeat, lambda: digest_frame(table))
    profile_s, _ = best_of(args.repeat, lambda: profile_frame(table))
    prepare_s, _ = best_of(args.repeat, lambda: prepare_dataset(table, "bench"))
    rows = [("digest (DataFrame, every row)", digest_s), ("profile (20 features)", profile_s),
            ("digest + profile", digest_s + profile_s),
            ("log_dataset's work: digest, schema, profile, JSON", prepare_s)]
    if args.parquet:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "table.parquet"
            table.to_parquet(path)
            parquet_s, parquet_digest = best_of(args.repeat, lambda: digest_file(path))
        rows.append(("digest (Parquet file, streamed)", parquet_s))
        if parquet_digest != digest:
            print("error: the Parquet file's digest differs from the DataFrame's", file=sys.stderr)
            return 1

    total = digest_s + profile_s
    print("| step | seconds |")
    print("|---|---:|")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.2f} |")
    verdict = "meets" if total < TARGET_S else "MISSES"
    print(f"\ndigest {str(digest)[:16]}…  digest + profile {total:.2f} s: {verdict} the {TARGET_S:.0f} s target")
    return 0 if total < TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
