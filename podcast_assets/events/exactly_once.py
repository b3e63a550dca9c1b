"""Exactly once from Kafka into Delta: offsets live in the table, committed with the rows.

One writer per topic and table (the ``user_events_raw`` pool has a limit of 1). A run reads, per
partition, from the offset the table holds to the partition's true end, and commits the rows and
the new offsets (delta-rs app transactions) in one Delta commit on the snapshot it read them from.
A run that fails or is killed before the commit leaves the offsets where they were, so the next
run reads the same records again; a run killed after the commit is not repeated, because the
offsets moved with the rows. Malformed records go to a dead-letter table under the same offsets,
committed first, so they too land once.

A topic recreated under the same name (the in-memory local broker restarts empty; a real topic can
be dropped and created again) starts a new *epoch*: detected by a new topic id, by an end behind the
held offsets (only where the broker reports no id: under the same id that is a miscounted end), or by
the record before the held offset no longer being the one the table holds. The
new epoch's offsets start at 0 under app ids that name the epoch. The Kafka reads and sends are
the asset's (``events/assets.py``); this module takes records and tables.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc
from deltalake import CommitProperties, DeltaTable, Transaction, write_deltalake

from podcast_assets.events.bulk import parse_events
from podcast_assets.events.schema import validate

RAW_SCHEMA = pa.schema([
    ("event_id", pa.string()), ("ts", pa.timestamp("us", "UTC")), ("day", pa.date32()), ("user_id", pa.string()),
    ("new_episode_id", pa.string()), ("event", pa.string()), ("device", pa.string()), ("rating", pa.int32()),
    ("position_sec", pa.float64()), ("from_sec", pa.float64()), ("to_sec", pa.float64()),
    ("played_pct", pa.float64()), ("kafka_partition", pa.int32()), ("kafka_offset", pa.int64()),
    ("ingested_at", pa.timestamp("us", "UTC")), ("kafka_epoch", pa.int32()),
])
DEAD_LETTER_SCHEMA = pa.schema([
    ("kafka_epoch", pa.int32()), ("kafka_partition", pa.int32()), ("kafka_offset", pa.int64()),
    ("reason", pa.string()), ("key", pa.string()), ("value", pa.string()), ("ingested_at", pa.timestamp("us", "UTC")),
])


@dataclass
class TableState:
    """What a table holds of a topic: the epoch, the topic's fingerprint, the next offset per partition."""

    epoch: int = 0
    fingerprint: int | None = None
    committed: dict[int, int] = field(default_factory=dict)


def _name(table_uri: str) -> str:
    return table_uri.rstrip("/").rsplit("/", 1)[-1]


def app_id(table_uri: str, topic: str, partition: int, epoch: int = 0) -> str:
    # epoch 0 keeps the ids tables written before epochs existed already hold
    return f"{_name(table_uri)}:{topic}{f'#{epoch}' if epoch else ''}:{partition}"


def fingerprint(topic_id: str | None) -> int | None:
    """A topic id as a non-negative 63-bit number (an app transaction's version is a 64-bit integer)."""
    return uuid.UUID(topic_id).int & (2 ** 63 - 1) if topic_id else None


def read_state(table: DeltaTable | None, table_uri: str, topic: str, partitions, epoch: int | None = None) -> TableState:
    """The table's state for ``topic``; with ``epoch``, the offsets it holds of that epoch."""
    if table is None:
        return TableState(epoch or 0)
    version = table.transaction_version
    epoch = int(version(f"{_name(table_uri)}:{topic}:epoch") or 0) if epoch is None else epoch
    committed = {p: int(v) for p in partitions if (v := version(app_id(table_uri, topic, p, epoch))) is not None}
    return TableState(epoch, version(f"{_name(table_uri)}:{topic}:fingerprint"), committed)


def new_epoch_reason(state: TableState, topic_fingerprint: int | None, ends: dict[int, int],
                     tail_mismatches: list[int]) -> str:
    """Why the topic is not the one the table holds ("" when it is)."""
    if state.fingerprint is not None and topic_fingerprint is not None:
        if state.fingerprint != topic_fingerprint:
            return "the topic id changed (the topic was recreated)"
        # the same topic: its offsets never go back, so an end behind the held offsets is a miscount (the
        # next run reads on from them), never a new epoch that would read every record again
        return f"the records before the held offsets of partitions {tail_mismatches} are not the ones the table holds" \
            if tail_mismatches else ""
    behind = {p: (ends.get(p, 0), held) for p, held in state.committed.items() if held > ends.get(p, 0)}
    if behind:
        return f"partitions end before the offsets the table holds ({behind}: end, held)"
    if tail_mismatches:
        return f"the records before the held offsets of partitions {tail_mismatches} are not the ones the table holds"
    return ""


def plan(committed: dict[int, int], ends: dict[int, int], max_per_partition: int) -> dict[int, tuple[int, int]]:
    """``{partition: (start, end)}`` from the held offsets to the true ends, at most ``max_per_partition`` each."""
    out = {}
    for p, end in ends.items():
        start = committed.get(p, 0)
        end = min(end, start + max_per_partition)
        if end > start:
            out[p] = (start, end)
    return out


def remaining(todo: dict[int, tuple[int, int]], committed: dict[int, int]) -> dict[int, tuple[int, int]]:
    """The part of ``todo`` past the offsets another table already holds."""
    out = {p: (max(a, committed.get(p, 0)), b) for p, (a, b) in todo.items()}
    return {p: r for p, r in out.items() if r[1] > r[0]}


def covers(todo: dict[int, tuple[int, int]], partition: int, offset: int) -> bool:
    return partition in todo and todo[partition][0] <= offset < todo[partition][1]


def within(rows: list[dict], todo: dict[int, tuple[int, int]]) -> list[dict]:
    return [r for r in rows if covers(todo, r["kafka_partition"], r["kafka_offset"])]


def parse_records(records, todo: dict[int, tuple[int, int]], epoch: int, now: dt.datetime,
                  days: tuple[dt.date, dt.date] | None = None) -> tuple[pa.Table, list[dict]]:
    """A ``RAW_SCHEMA`` table of the valid records of ``todo``, and dead-letter rows for the malformed
    ones and for events whose day is outside ``days`` (first, last): no daily partition could hold them.
    Parsed in bulk (``bulk.py``); the messages it is not sure of are decided one by one by ``validate``."""
    records = [r for r in records if (span := todo.get(r.partition)) and span[0] <= r.offset < span[1]]
    table, unsure = parse_events([r.value for r in records], days)
    slow, dead = [], []
    for i in unsure:
        rec = records[i]
        event, problem = validate(rec.value)
        if event is not None and days and not days[0] <= event["ts"].date() <= days[1]:
            event, problem = None, f"day {event['ts'].date()} outside the daily partitions {days[0]}..{days[1]}"
        if event is None:
            dead.append({"kafka_epoch": epoch, "kafka_partition": rec.partition, "kafka_offset": rec.offset,
                         "reason": problem, "key": (rec.key or b"").decode("utf-8", "replace"),
                         "value": (rec.value or b"").decode("utf-8", "replace"), "ingested_at": now})
        else:
            slow.append({**event, "day": event["ts"].date(), "kafka_partition": rec.partition,
                         "kafka_offset": rec.offset, "ingested_at": now, "kafka_epoch": epoch})
    at = table["_i"]
    table = (table.append_column("kafka_partition", pc.take(pa.array([r.partition for r in records], pa.int32()), at))
             .append_column("kafka_offset", pc.take(pa.array([r.offset for r in records], pa.int64()), at))
             .append_column("ingested_at", pa.repeat(pa.scalar(now, RAW_SCHEMA.field("ingested_at").type), len(table)))
             .append_column("kafka_epoch", pa.repeat(pa.scalar(epoch, pa.int32()), len(table))))
    rows = pa.concat_tables([table.select(RAW_SCHEMA.names).cast(RAW_SCHEMA), pa.Table.from_pylist(slow, RAW_SCHEMA)])
    return rows, dead


def commit(target: str | DeltaTable, table_uri: str, topic: str, state: TableState, todo: dict[int, tuple[int, int]],
           rows: pa.Table | list[dict], schema: pa.Schema) -> None:
    """``rows`` and every partition's new end, the epoch and the topic's fingerprint, in one commit.
    ``target`` is the snapshot the offsets were read from, so a concurrent writer's commit conflicts."""
    txns = [Transaction(app_id(table_uri, topic, p, state.epoch), end) for p, (_, end) in todo.items()]
    txns.append(Transaction(f"{_name(table_uri)}:{topic}:epoch", state.epoch))
    if state.fingerprint is not None:
        txns.append(Transaction(f"{_name(table_uri)}:{topic}:fingerprint", state.fingerprint))
    # a new raw table is partitioned by day, so a day's recompute reads only that day; tables
    # created before that keep their layout (a Delta table's partitioning is fixed at creation)
    created = isinstance(target, str) and not DeltaTable.is_deltatable(target)
    partition_by = ["day"] if created and "day" in schema.names else None
    data = rows if isinstance(rows, pa.Table) else pa.Table.from_pylist(rows, schema)
    write_deltalake(target, data, mode="append", schema_mode="merge",
                    partition_by=partition_by,
                    commit_properties=CommitProperties(app_transactions=txns, custom_metadata={
                        "source": topic, "epoch": str(state.epoch),
                        "ranges": json.dumps({str(p): r for p, r in todo.items()})}))


def held_identity(event_id: str | None = None, dead_value: str | None = None) -> str:
    """What a table holds at an offset: a valid event's id, or a dead letter's bytes."""
    return f"event:{event_id}" if event_id is not None else f"dead:{dead_value}"


def matches(value: bytes | None, held: str) -> bool:
    """Whether a Kafka record is the one the tables hold at its offset. A dead letter is compared by its
    bytes (it may be a valid event dated outside the daily partitions), a row by its event id."""
    if held.startswith("dead:"):
        return (value or b"").decode("utf-8", "replace") == held[len("dead:"):]
    event, _ = validate(value)
    return event is not None and held == f"event:{event['event_id']}"


def tail_mismatches(at_kafka: dict[int, bytes | None], held: dict[int, str]) -> list[int]:
    """Partitions whose record before the held offset (``at_kafka``) differs from what the table holds there."""
    return sorted(p for p, value in at_kafka.items() if p in held and not matches(value, held[p]))
