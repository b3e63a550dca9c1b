"""Delta writes shared by the stages, on local tables."""

import datetime as dt

import pyarrow as pa
from deltalake import DeltaTable

from podcast_assets.common.delta_writes import replace_days

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
