import dagster as dg
import pandas as pd
from deltalake import DeltaTable

from podcast_assets.resources.io_managers import delta_io_manager

days = dg.DailyPartitionsDefinition(start_date="2026-11-01")


@dg.asset
def plain_table() -> pd.DataFrame:
    return pd.DataFrame({"episode_id": ["1", "2", "3"], "score": [0.1, 0.2, 0.3]})


@dg.asset(io_manager_key="mem")
def plain_reader(plain_table: pd.DataFrame) -> int:
    return len(plain_table)


@dg.asset(partitions_def=days, metadata={"partition_expr": "day"})
def daily_table(context: dg.AssetExecutionContext) -> pd.DataFrame:
    day = pd.Timestamp(context.partition_key).date()  # a date column: timestamp_ntz is not supported
    n = 2 if context.partition_key.endswith("01") else 3
    return pd.DataFrame({"day": [day] * n, "user_id": [f"u{i}" for i in range(n)], "weight": [1.0] * n})


@dg.asset(partitions_def=days, io_manager_key="mem")
def daily_reader(daily_table: pd.DataFrame) -> int:
    return len(daily_table)


def test_unpartitioned_round_trip_lands_under_its_root(tmp_path):
    io = delta_io_manager(str(tmp_path / "delta"))
    result = dg.materialize([plain_table, plain_reader], resources={"io_manager": io, "mem": dg.InMemoryIOManager()})
    assert result.success
    assert result.output_for_node("plain_reader") == 3
    table = DeltaTable(str(tmp_path / "delta" / "plain_table")).to_pandas()
    assert sorted(table["episode_id"]) == ["1", "2", "3"]
    meta = result.asset_materializations_for_node("plain_table")[0].metadata
    assert meta["dagster/row_count"].value == 3
    assert [c.name for c in meta["dagster/column_schema"].schema.columns] == ["episode_id", "score"]
    # re-materialising replaces, never appends
    dg.materialize([plain_table], resources={"io_manager": io, "mem": dg.InMemoryIOManager()})
    assert len(DeltaTable(str(tmp_path / "delta" / "plain_table")).to_pandas()) == 3


def test_partitioned_round_trip_keeps_other_days(tmp_path):
    io = delta_io_manager(str(tmp_path / "delta"))
    for key in ("2026-11-01", "2026-11-02", "2026-11-01"):
        result = dg.materialize([daily_table, daily_reader], resources={"io_manager": io, "mem": dg.InMemoryIOManager()}, partition_key=key)
        assert result.success
        assert result.output_for_node("daily_reader") == (2 if key.endswith("01") else 3)
    table = DeltaTable(str(tmp_path / "delta" / "daily_table")).to_pandas()
    assert table.groupby(table["day"].astype(str)).size().to_dict() == {"2026-11-01": 2, "2026-11-02": 3}
