"""Dead letters onto the DLQ topic, each once, incrementally.

The Delta table ``user_events_dead_letters`` is the durable record; the DLQ topic is its projection
for whoever watches it. How far the topic has been filled is kept in the dead-letter table itself, as
app transactions: per source (epoch, partition), the source offset below which every letter is on the
topic, and the DLQ topic's fingerprint and partition ends when that was recorded. A publish reads only
the letters past that progress and, to be safe after a run killed between sending and recording, the
DLQ messages written since the recorded ends (normally none). A DLQ topic that was recreated (a new
id, or an end behind the recorded one) starts over, so it holds every letter again, once each.
The Kafka reads and sends are the asset's (``events/assets.py``); this module takes tables and records.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from deltalake import CommitProperties, DeltaTable, Transaction, write_deltalake

from podcast_assets.events.exactly_once import DEAD_LETTER_SCHEMA, read_state


@dataclass
class Progress:
    fingerprint: int | None = None
    sent: dict[tuple[int, int], int] = field(default_factory=dict)  # (source epoch, partition) -> next offset
    dlq_ends: dict[int, int] = field(default_factory=dict)  # DLQ partition ends when ``sent`` was recorded


def _prefix(dlq_topic: str) -> str:
    return f"published:{dlq_topic}"


def read_progress(table: DeltaTable, dlq_topic: str, epochs: int, partitions, dlq_partitions) -> Progress:
    """What the table records of ``dlq_topic``: for epochs ``0..epochs`` and the given partitions."""
    version, pre = table.transaction_version, _prefix(dlq_topic)
    sent = {(e, p): int(v) for e in range(epochs + 1) for p in partitions
            if (v := version(f"{pre}#{e}:{p}")) is not None}
    ends = {p: int(v) for p in dlq_partitions if (v := version(f"{pre}:end:{p}")) is not None}
    return Progress(version(f"{pre}:fingerprint"), sent, ends)


def recreated(progress: Progress, fingerprint: int | None, dlq_ends: dict[int, int]) -> bool:
    """Whether the DLQ topic is not the one the progress was recorded on. Where both ids are known they
    decide: a topic's offsets never go back, so an end behind the recorded one under the same id is a
    miscount (a broker that under-reports its ends), and taking it for a new topic would send again the
    letters past it. Only without an id does an end behind the recorded one mean a new topic."""
    if progress.fingerprint is not None and fingerprint is not None:
        return progress.fingerprint != fingerprint
    return any(end > dlq_ends.get(p, 0) for p, end in progress.dlq_ends.items())


def targets(table: DeltaTable, table_uri: str, source_topic: str, epochs: int, partitions) -> dict[tuple[int, int], int]:
    """(epoch, partition) -> the source offset the dead-letter table holds letters up to."""
    return {(e, p): o for e in range(epochs + 1)
            for p, o in read_state(table, table_uri, source_topic, partitions, epoch=e).committed.items()}


def pending(table: DeltaTable, progress: Progress, upto: dict[tuple[int, int], int]) -> list[dict]:
    """The letters past ``progress`` and below ``upto`` (a filtered read: old files are skipped by their stats)."""
    filters = [[("kafka_epoch", "=", e), ("kafka_partition", "=", p), ("kafka_offset", ">=", progress.sent.get((e, p), 0)),
                ("kafka_offset", "<", end)] for (e, p), end in sorted(upto.items()) if end > progress.sent.get((e, p), 0)]
    return table.to_pyarrow_table(filters=filters).to_pylist() if filters else []


def on_topic(dlq_records, source_topic: str) -> set[tuple[int, int, int]]:
    """(epoch, source partition, source offset) of every letter for ``source_topic`` among DLQ records."""
    present = set()
    for rec in dlq_records:
        try:
            doc = json.loads(rec.value)
            if doc.get("source_topic") == source_topic:
                present.add((int(doc.get("source_epoch", 0)), int(doc["source_partition"]), int(doc["source_offset"])))
        except (ValueError, KeyError, TypeError):
            continue
    return present


def messages(letters: list[dict], present: set[tuple[int, int, int]], topic: str) -> list[tuple]:
    """(key, message) for each letter not on the DLQ yet, with its reason and source offset."""
    return [(f"{topic}:{d['kafka_epoch']}:{d['kafka_partition']}:{d['kafka_offset']}", {
        "source_topic": topic, "source_epoch": d["kafka_epoch"], "source_partition": d["kafka_partition"],
        "source_offset": d["kafka_offset"], "reason": d["reason"], "key": d["key"], "value": d["value"]})
        for d in letters if (d["kafka_epoch"], d["kafka_partition"], d["kafka_offset"]) not in present]


def record_progress(table: DeltaTable, dlq_topic: str, upto: dict[tuple[int, int], int], fingerprint: int | None,
                    dlq_ends: dict[int, int]) -> None:
    """Record that every letter below ``upto`` is on the DLQ topic (an empty commit with the new progress)."""
    pre = _prefix(dlq_topic)
    txns = [Transaction(f"{pre}#{e}:{p}", o) for (e, p), o in upto.items()]
    txns += [Transaction(f"{pre}:end:{p}", o) for p, o in dlq_ends.items()]
    if fingerprint is not None:
        txns.append(Transaction(f"{pre}:fingerprint", fingerprint))
    write_deltalake(table, DEAD_LETTER_SCHEMA.empty_table(), mode="append", schema_mode="merge",
                    commit_properties=CommitProperties(app_transactions=txns))


def unsent(table: DeltaTable, table_uri: str, source_topic: str, dlq_topic: str, epochs: int, partitions,
           dlq_fingerprint: int | None, dlq_ends: dict[int, int]) -> tuple[Progress, dict[tuple[int, int], int], list[dict]]:
    """The progress to build on (none for a recreated DLQ topic: it gets every letter again), the source
    offsets the table holds letters up to, and the letters past that progress."""
    progress = read_progress(table, dlq_topic, epochs, partitions, dlq_ends)
    if recreated(progress, dlq_fingerprint, dlq_ends):
        progress = Progress()
    upto = targets(table, table_uri, source_topic, epochs, partitions)
    return progress, upto, pending(table, progress, upto)


def behind(table: DeltaTable | None, table_uri: str, source_topic: str, dlq_topic: str, epochs: int, partitions,
           dlq_fingerprint: int | None, dlq_ends: dict[int, int]) -> bool:
    """Whether letters the table holds are not yet recorded as on the DLQ topic (or the topic was recreated)."""
    return table is not None and bool(unsent(table, table_uri, source_topic, dlq_topic, epochs, partitions,
                                             dlq_fingerprint, dlq_ends)[2])
