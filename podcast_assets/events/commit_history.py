"""What a table's own commit log says it ingested of a topic: each commit's offset ranges (its commit info,
written with the rows by ``exactly_once.commit``) and the offsets the table held before them. The exactly-once
contract (``contracts.py``) is judged from this and from the rows, not from the code that wrote them."""

from __future__ import annotations

import json
from dataclasses import dataclass

from deltalake import DeltaTable

from podcast_assets.events import exactly_once

# (epoch, partition) -> (first offset, end offset): a half-open range of one Kafka partition in one topic epoch
Ranges = dict[tuple[int, int], tuple[int, int]]


@dataclass(frozen=True)
class RangeCommit:
    version: int
    ranges: Ranges


def commits_since(table: DeltaTable, after: int, topic: str) -> list[RangeCommit]:
    """The commits of ``topic``'s records after version ``after`` (-1: all), oldest first. Only those commits'
    infos are read (``history`` walks back from the newest), not the whole log."""
    newer = table.version() - after
    if newer <= 0:
        return []
    out = []
    for info in table.history(newer):
        if info.get("source") == topic and "ranges" in info and info["version"] > after:
            epoch = int(info.get("epoch", 0))
            out.append(RangeCommit(info["version"], {(epoch, int(p)): (int(a), int(b))
                                                     for p, (a, b) in json.loads(info["ranges"]).items()}))
    return sorted(out, key=lambda c: c.version)


def held_before(table_uri: str, version: int, topic: str, keys) -> dict[tuple[int, int], int]:
    """The next offset the table held at ``version`` (-1: before it existed) for each (epoch, partition)."""
    if version < 0:
        return {}
    table = DeltaTable(table_uri, version=version)
    out = {}
    for epoch in sorted({e for e, _ in keys}):
        partitions = [p for e, p in keys if e == epoch]
        state = exactly_once.read_state(table, table_uri, topic, partitions, epoch)
        out.update({(epoch, p): o for p, o in state.committed.items()})
    return out


def spans(commits: list[RangeCommit]) -> Ranges:
    """From the first start to the last end of each (epoch, partition) the commits touched."""
    out: Ranges = {}
    for c in commits:
        for key, (a, b) in c.ranges.items():
            lo, hi = out.get(key, (a, b))
            out[key] = (min(lo, a), max(hi, b))
    return out


def offset_filters(key: tuple[int, int], span: tuple[int, int]) -> list[tuple]:
    (epoch, partition), (a, b) = key, span
    return [("kafka_epoch", "=", epoch), ("kafka_partition", "=", partition),
            ("kafka_offset", ">=", a), ("kafka_offset", "<", b)]


def days_touched(table: DeltaTable, after: int, topic: str) -> set[str]:
    """The days (``day`` column) of the rows that ``topic``'s commits after version ``after`` wrote: a run killed
    or failed after its commit, before its materialisation, touched them too."""
    windows = spans(commits_since(table, after, topic))
    if not windows:
        return set()
    rows = table.to_pyarrow_table(columns=["day"], filters=[offset_filters(k, w) for k, w in sorted(windows.items())])
    return {d.isoformat() for d in rows.column("day").unique().to_pylist() if d is not None}
