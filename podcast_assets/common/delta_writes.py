"""Replace-by-key writes to a Delta table with delta-rs merge, safe under concurrent writers."""

from __future__ import annotations

import random
import time

import pyarrow as pa
from deltalake import DeltaTable, write_deltalake
from deltalake.exceptions import CommitFailedError, DeltaError


def upsert(uri: str, rows: pa.Table, key: str, attempts: int = 8) -> None:
    """Rows whose ``key`` exists are replaced, others inserted; concurrent commits are retried."""
    for attempt in range(attempts):
        try:
            if not DeltaTable.is_deltatable(uri):
                write_deltalake(uri, rows, mode="append")
                return
            (DeltaTable(uri).merge(rows, predicate=f"t.{key} = s.{key}", source_alias="s", target_alias="t")
             .when_matched_update_all().when_not_matched_insert_all().execute())
            return
        except (CommitFailedError, DeltaError) as exc:
            if attempt == attempts - 1 or "conflict" not in str(exc).lower() and "already exists" not in str(exc).lower():
                raise
            time.sleep(0.2 * (attempt + 1) + random.random() * 0.3)


def update(uri: str, predicate: str, updates: dict[str, str], attempts: int = 8) -> None:
    """``DeltaTable.update`` retried on concurrent-commit conflicts."""
    for attempt in range(attempts):
        try:
            DeltaTable(uri).update(predicate=predicate, updates=updates)
            return
        except (CommitFailedError, DeltaError) as exc:
            if attempt == attempts - 1 or "conflict" not in str(exc).lower():
                raise
            time.sleep(0.2 * (attempt + 1) + random.random() * 0.3)


def replace_days(uri: str, rows: pa.Table, first, last, column: str = "day") -> None:
    """The rows of days ``first..last`` (inclusive) replaced by ``rows`` in one commit; a new table is
    partitioned by ``column`` (an existing one keeps its schema: ``rows`` are cast to it)."""
    predicate = f"{column} >= '{first.isoformat()}' AND {column} <= '{last.isoformat()}'"
    if not DeltaTable.is_deltatable(uri):
        write_deltalake(uri, rows, mode="overwrite", partition_by=[column])
        return
    target = pa.schema(DeltaTable(uri).schema().to_arrow())  # deltalake hands out an arro3 schema
    write_deltalake(uri, rows.select(target.names).cast(target), mode="overwrite", predicate=predicate)
