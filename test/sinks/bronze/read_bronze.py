"""Reads one Bronze type with readers this project did not write: pyarrow datasets, polars and
duckdb, each with Hive partitioning. Prints JSON: every row as pyarrow reads it (timestamps as
epoch ms, dt as text) and per-reader counts and sums for cross-checking."""
import datetime
import json
import math
import sys

import duckdb
import polars as pl
import pyarrow.dataset as ds

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def plain(v):
    if isinstance(v, datetime.datetime):
        return (v - EPOCH) // datetime.timedelta(milliseconds=1)
    if isinstance(v, datetime.date):
        return v.isoformat()
    if isinstance(v, float) and not math.isfinite(v):
        return "Inf" if v > 0 else "-Inf"
    if isinstance(v, list):
        return [plain(x) for x in v]
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    return v


root, kind = sys.argv[1], sys.argv[2]
path = f"{root}/{kind}"
table = ds.dataset(path, format="parquet", partitioning="hive").to_table()
rows = [{k: plain(v) for k, v in r.items()} for r in table.to_pylist()]

frame = pl.scan_parquet(f"{path}/**/*.parquet", hive_partitioning=True).collect()
duck = duckdb.sql(
    f"SELECT count(*), count(DISTINCT dt), sum(_offset) FROM read_parquet('{path}/*/*.parquet', hive_partitioning = true)"
).fetchall()[0]

print(json.dumps({
    "rows": rows,
    "pyarrow": {"rows": table.num_rows, "dts": len(set(r["dt"] for r in rows)), "offsets": sum(r["_offset"] for r in rows)},
    "polars": {"rows": frame.height, "dts": frame["dt"].n_unique(), "offsets": int(frame["_offset"].sum())},
    "duckdb": {"rows": duck[0], "dts": duck[1], "offsets": int(duck[2])},
}))
