"""Replace-by-key writes to a Delta table with delta-rs merge, safe under concurrent writers."""

from __future__ import annotations

import pyarrow as pa
from deltalake import DeltaTable, write_deltalake
from deltalake.exceptions import CommitFailedError, DeltaError
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_incrementing, wait_random

from podcast_assets.common.ids import sql_list


def _on_conflict(attempts: int) -> Retrying:
    """Retries of a commit that lost a race to another writer, waiting a little longer each time with jitter
    so that the writers spread out; any other error is raised at once. delta-rs raises CommitFailedError for
    a lost race, and its messages ("a concurrent transaction added new data", "Protocol changed since last
    commit" when two writers create the table) do not say "conflict"."""
    def lost_race(exc: BaseException) -> bool:
        text = str(exc).lower()
        return isinstance(exc, CommitFailedError) or isinstance(exc, DeltaError) and (
            "conflict" in text or "already exists" in text)

    return Retrying(stop=stop_after_attempt(attempts), retry=retry_if_exception(lost_race), reraise=True,
                    wait=wait_incrementing(start=0.2, increment=0.2) + wait_random(0, 0.3))


def upsert(uri: str, rows: pa.Table, key: str, attempts: int = 8) -> None:
    """Rows whose ``key`` exists are replaced, others inserted; concurrent commits are retried (when two
    first writers race to create the table, the loser's retry merges into the winner's)."""
    for attempt in _on_conflict(attempts):
        with attempt:
            if not DeltaTable.is_deltatable(uri):
                write_deltalake(uri, rows, mode="append")
            else:
                (DeltaTable(uri).merge(rows, predicate=f"t.{key} = s.{key}", source_alias="s", target_alias="t")
                 .when_matched_update_all().when_not_matched_insert_all().execute())


def update(uri: str, predicate: str, updates: dict[str, str], attempts: int = 8) -> None:
    """``DeltaTable.update`` retried on concurrent-commit conflicts."""
    for attempt in _on_conflict(attempts):
        with attempt:
            DeltaTable(uri).update(predicate=predicate, updates=updates)


def replace_days(uri: str, rows: pa.Table, first, last, column: str = "day") -> None:
    """The rows of days ``first..last`` (inclusive) replaced by ``rows`` in one commit; a new table is
    partitioned by ``column`` (an existing one keeps its schema: ``rows`` are cast to it)."""
    predicate = f"{column} >= '{first.isoformat()}' AND {column} <= '{last.isoformat()}'"
    if not DeltaTable.is_deltatable(uri):
        write_deltalake(uri, rows, mode="overwrite", partition_by=[column])
        return
    target = pa.schema(DeltaTable(uri).schema().to_arrow())  # deltalake hands out an arro3 schema
    write_deltalake(uri, rows.select(target.names).cast(target), mode="overwrite", predicate=predicate)


def replace_rows(uri: str, rows: pa.Table, column: str, values: list[str], attempts: int = 8) -> None:
    """Every row whose ``column`` is one of ``values`` replaced by ``rows`` (which may hold fewer or none), in
    one commit; concurrent commits are retried. ``values`` must be checked ids: the predicate is built from them."""
    predicate = f"{column} IN ({sql_list(values)})"
    for attempt in _on_conflict(attempts):
        with attempt:
            if not DeltaTable.is_deltatable(uri):
                write_deltalake(uri, rows, mode="append")
            elif values:
                write_deltalake(uri, rows, mode="overwrite", predicate=predicate)
