"""Exactly once from a Kafka offset range into Delta: the plan, the rows, the commit, the dead letters.

Every Delta commit records, per Kafka partition, the end offset it covers as a delta-rs app
transaction (``app_id = <table>:<topic>:<partition>``, ``version = end offset``) in the same atomic
commit as the rows. Before reading, the committed version tells where each partition really
starts, so a retried, duplicated or overlapping range adds nothing twice, and a crash before the
commit loses nothing because the range is read again. Dead letters are reconciled against the
dead-letter topic (keyed by source partition and offset), so they too land exactly once.
The Kafka reads and sends are the asset's (``events/assets.py``); this module takes records.
"""

from __future__ import annotations

import datetime as dt
import json

import pyarrow as pa
from deltalake import CommitProperties, DeltaTable, Transaction, write_deltalake

from podcast_assets.events.schema import validate

RAW_SCHEMA = pa.schema([
    ("event_id", pa.string()), ("ts", pa.timestamp("us", "UTC")), ("day", pa.date32()), ("user_id", pa.string()),
    ("new_episode_id", pa.string()), ("event", pa.string()), ("device", pa.string()), ("rating", pa.int32()),
    ("position_sec", pa.float64()), ("from_sec", pa.float64()), ("to_sec", pa.float64()),
    ("played_pct", pa.float64()), ("kafka_partition", pa.int32()), ("kafka_offset", pa.int64()),
    ("ingested_at", pa.timestamp("us", "UTC")),
])


class OffsetRegression(RuntimeError):
    """The topic ends before offsets the table already holds: it was recreated (the local broker
    keeps topics in memory), and new messages would reuse offsets that count as ingested."""


def app_id(table_uri: str, topic: str, partition: int) -> str:
    return f"{table_uri.rstrip('/').rsplit('/', 1)[-1]}:{topic}:{partition}"


def committed_offsets(table_uri: str, topic: str, partitions) -> dict[int, int]:
    if not DeltaTable.is_deltatable(table_uri):
        return {}
    table = DeltaTable(table_uri)
    out = {}
    for p in partitions:
        version = table.transaction_version(app_id(table_uri, topic, p))
        if version is not None:
            out[p] = int(version)
    return out


def plan(table_uri: str, topic: str, ranges: dict[int, tuple[int, int]], committed: dict[int, int],
         ends: dict[int, int]) -> tuple[dict[int, tuple[int, int]], list[int]]:
    """The part of ``ranges`` the table does not hold yet, and the partitions it already holds whole."""
    behind = {p: (ends.get(p, 0), committed[p]) for p in ranges if committed.get(p, 0) > ends.get(p, 0)}
    if behind:
        raise OffsetRegression(
            f"{topic}: partitions end before offsets {table_uri} already holds ({behind}: end, held); the topic "
            "was recreated, e.g. by a restart of the in-memory local broker. Nothing was read or written; "
            "ingest the new topic into a fresh table or move the old table aside.")
    todo, held = {}, []
    for p, (start, end) in ranges.items():
        start = max(start, committed.get(p, 0))
        if start >= end:
            held.append(p)
        else:
            todo[p] = (start, end)
    return todo, held


def is_new(record, todo: dict[int, tuple[int, int]]) -> bool:
    return record.partition in todo and record.offset >= todo[record.partition][0]


def parse_records(records, todo: dict[int, tuple[int, int]], now: dt.datetime) -> tuple[list[dict], list[tuple]]:
    """Rows for the valid new records; ``(record, reason)`` for every malformed one in the range read."""
    rows, dead = [], []
    for rec in records:
        event, problem = validate(rec.value)
        if event is None:
            dead.append((rec, problem))
        elif is_new(rec, todo):
            rows.append({**event, "day": event["ts"].date(), "kafka_partition": rec.partition,
                         "kafka_offset": rec.offset, "ingested_at": now})
    return rows, dead


def commit(table_uri: str, topic: str, todo: dict[int, tuple[int, int]], rows: list[dict]) -> None:
    """The rows and each partition's new end offset, in one Delta commit."""
    txns = [Transaction(app_id(table_uri, topic, p), end) for p, (_, end) in todo.items()]
    write_deltalake(table_uri, pa.Table.from_pylist(rows, RAW_SCHEMA), mode="append",
                    commit_properties=CommitProperties(app_transactions=txns, custom_metadata={
                        "source": topic, "ranges": json.dumps({str(p): r for p, r in todo.items()})}))


def dead_letters_present(dlq_records, source_topic: str) -> set[tuple[int, int]]:
    """(source partition, source offset) of every dead letter already on the DLQ for ``source_topic``."""
    present = set()
    for rec in dlq_records:
        try:
            doc = json.loads(rec.value)
            if doc.get("source_topic") == source_topic:
                present.add((int(doc["source_partition"]), int(doc["source_offset"])))
        except (ValueError, KeyError, TypeError):
            continue
    return present


def dead_letter_messages(dead: list[tuple], present: set[tuple[int, int]], topic: str) -> list[tuple[str, dict]]:
    """(key, message) for each malformed record not on the DLQ yet, with its reason and source offset."""
    return [(f"{topic}:{rec.partition}:{rec.offset}", {
        "source_topic": topic, "source_partition": rec.partition, "source_offset": rec.offset, "reason": why,
        "key": (rec.key or b"").decode("utf-8", "replace"), "value": (rec.value or b"").decode("utf-8", "replace")})
        for rec, why in dead if (rec.partition, rec.offset) not in present]
