"""Delta writes shared by the stages, on local tables."""

import datetime as dt
import subprocess
import sys

import pyarrow as pa
from deltalake import DeltaTable

from podcast_assets.common.delta_writes import replace_days

# one writer process: four one-row upserts into a table that may not exist yet
WRITER = """
import sys
import pyarrow as pa
from podcast_assets.common.delta_writes import upsert
for i in range(4):
    upsert(sys.argv[1], pa.table({"k": [f"{sys.argv[2]}-{i}"], "n": [i]}), "k")
"""

SCHEMA = pa.schema([("day", pa.date32()), ("n", pa.int64())])


def rows(days) -> pa.Table:
    return pa.table({"day": [dt.date(2026, 11, d) for d in days], "n": list(days)}, SCHEMA)


def test_a_range_of_days_is_replaced_in_one_commit_and_other_days_stay(tmp_path):
    uri = str(tmp_path / "daily")
    replace_days(uri, rows([20, 21, 22]), dt.date(2026, 11, 20), dt.date(2026, 11, 22))
    assert DeltaTable(uri).metadata().partition_columns == ["day"]
    version = DeltaTable(uri).version()
    # days 21..22 recomputed: 22 had nothing left, 21 changed, 20 untouched
    replace_days(uri, rows([21, 21]), dt.date(2026, 11, 21), dt.date(2026, 11, 22))
    table = DeltaTable(uri)
    assert table.version() == version + 1
    assert sorted((r["day"].day, r["n"]) for r in table.to_pyarrow_table().to_pylist()) == [(20, 20), (21, 21), (21, 21)]


def test_writers_racing_to_create_and_merge_into_one_table_all_land(tmp_path):
    """Processes, as Dagster runs are. Without the retries on delta-rs's CommitFailedError most writers fail.
    Exit codes are not checked: after many concurrent commits, a process sometimes aborts at interpreter exit
    ("terminate called without an active exception", a native library's threads), after its writes."""
    uri = str(tmp_path / "raced")
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, uri, str(w)], stderr=subprocess.PIPE, text=True)
             for w in range(4)]
    errors = [p.communicate(timeout=300)[1] for p in procs]
    assert not any("Traceback" in e for e in errors), errors
    keys = DeltaTable(uri).to_pyarrow_table()["k"].to_pylist()
    assert sorted(keys) == sorted(f"{w}-{i}" for w in range(4) for i in range(4))
