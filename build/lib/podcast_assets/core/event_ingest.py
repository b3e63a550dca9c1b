"""Exactly once from a Kafka offset range into Delta, malformed messages to the dead-letter topic.

Every Delta commit records, per Kafka partition, the end offset it covers as a delta-rs app
transaction (``app_id = <table>:<topic>:<partition>``, ``version = end offset``) in the same atomic
commit as the rows. Before reading, the committed version tells where each partition really
starts, so a retried, duplicated or overlapping range adds nothing twice, and a crash before the
commit loses nothing because the range is read again. Dead letters are reconciled against the
dead-letter topic (keyed by source partition and offset), so they too land exactly once.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

import pyarrow as pa
from deltalake import CommitProperties, DeltaTable, Transaction, write_deltalake

from podcast_assets.core.events import validate

RAW_SCHEMA = pa.schema([
    ("event_id", pa.string()), ("ts", pa.timestamp("us", "UTC")), ("day", pa.date32()), ("user_id", pa.string()),
    ("new_episode_id", pa.string()), ("event", pa.string()), ("device", pa.string()), ("rating", pa.int32()),
    ("position_sec", pa.float64()), ("from_sec", pa.float64()), ("to_sec", pa.float64()),
    ("played_pct", pa.float64()), ("kafka_partition", pa.int32()), ("kafka_offset", pa.int64()),
    ("ingested_at", pa.timestamp("us", "UTC")),
])


class InjectedFailure(RuntimeError):
    pass


class OffsetRegression(RuntimeError):
    """The topic ends before offsets the table already holds: it was recreated (the local broker
    keeps topics in memory), and new messages would reuse offsets that count as ingested."""


@dataclass
class IngestReport:
    read: int = 0
    valid: int = 0
    dead_letters: int = 0
    dead_letters_sent: int = 0
    skipped_partitions: list[int] = field(default_factory=list)
    days: list[str] = field(default_factory=list)
    effective_ranges: dict[int, tuple[int, int]] = field(default_factory=dict)


def app_id(table_uri: str, topic: str, partition: int) -> str:
    return f"{table_uri.rstrip('/').rsplit('/', 1)[-1]}:{topic}:{partition}"


def committed_offsets(table_uri: str, topic: str, partitions) -> dict[int, int]:
    if not DeltaTable.is_deltatable(table_uri):
        return {}
    dt_ = DeltaTable(table_uri)
    out = {}
    for p in partitions:
        version = dt_.transaction_version(app_id(table_uri, topic, p))
        if version is not None:
            out[p] = int(version)
    return out


def _dead_letters_present(kafka, dlq_topic: str, source_topic: str) -> set[tuple[int, int]]:
    ends = kafka.end_offsets(dlq_topic)
    present = set()
    for rec in kafka.read_range(dlq_topic, {p: (0, e) for p, e in ends.items()}) if ends else []:
        try:
            doc = json.loads(rec.value)
            if doc.get("source_topic") == source_topic:
                present.add((int(doc["source_partition"]), int(doc["source_offset"])))
        except (ValueError, KeyError, TypeError):
            continue
    return present


def ingest_range(kafka, table_uri: str, topic: str, dlq_topic: str, ranges: dict[int, tuple[int, int]],
                 fail_before_commit: bool = False, log=print) -> IngestReport:
    report = IngestReport()
    done = committed_offsets(table_uri, topic, ranges)
    ends = kafka.end_offsets(topic)
    behind = {p: (ends.get(p, 0), done[p]) for p in ranges if done.get(p, 0) > ends.get(p, 0)}
    if behind:
        raise OffsetRegression(
            f"{topic}: partitions end before offsets {table_uri} already holds ({behind}: end, held); the topic "
            "was recreated, e.g. by a restart of the in-memory local broker. Nothing was read or written; "
            "ingest the new topic into a fresh table or move the old table aside.")
    todo = {}
    for p, (start, end) in ranges.items():
        start = max(start, done.get(p, 0))
        if start >= end:
            report.skipped_partitions.append(p)
        else:
            todo[p] = (start, end)
    report.effective_ranges = todo
    # everything in the requested range is re-read for dead letters, so a crash between the
    # commit and the dead-letter send is repaired by the retry
    records = kafka.read_range(topic, ranges)
    report.read = sum(1 for r in records if r.partition in todo and r.offset >= todo[r.partition][0])
    now = dt.datetime.now(dt.timezone.utc)
    rows, dead = [], []
    for rec in records:
        event, problem = validate(rec.value)
        if event is None:
            dead.append((rec, problem))
        elif rec.partition in todo and rec.offset >= todo[rec.partition][0]:
            rows.append({**event, "day": event["ts"].date(), "kafka_partition": rec.partition,
                         "kafka_offset": rec.offset, "ingested_at": now})
    report.valid = len(rows)
    report.dead_letters = sum(1 for rec, _ in dead if rec.partition in todo and rec.offset >= todo[rec.partition][0])
    report.days = sorted({r["day"].isoformat() for r in rows})
    if fail_before_commit:
        raise InjectedFailure(f"injected failure after reading {len(records)} messages, before the commit")
    if todo:
        txns = [Transaction(app_id(table_uri, topic, p), end) for p, (_, end) in todo.items()]
        write_deltalake(table_uri, pa.Table.from_pylist(rows, RAW_SCHEMA), mode="append",
                        commit_properties=CommitProperties(app_transactions=txns, custom_metadata={
                            "source": topic, "ranges": json.dumps({str(p): r for p, r in todo.items()})}))
    if dead:
        present = _dead_letters_present(kafka, dlq_topic, topic)
        missing = [(rec, why) for rec, why in dead if (rec.partition, rec.offset) not in present]
        kafka.publish(dlq_topic, [(f"{topic}:{rec.partition}:{rec.offset}", {
            "source_topic": topic, "source_partition": rec.partition, "source_offset": rec.offset,
            "reason": why, "key": (rec.key or b"").decode("utf-8", "replace"),
            "value": (rec.value or b"").decode("utf-8", "replace")}) for rec, why in missing])
        report.dead_letters_sent = len(missing)
    log(f"{topic} {ranges}: read {report.read}, {report.valid} valid rows committed, "
        f"{report.dead_letters} dead letters ({report.dead_letters_sent} sent now), "
        f"already held partitions {report.skipped_partitions}")
    return report
