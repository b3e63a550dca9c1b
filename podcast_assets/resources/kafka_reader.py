"""One Kafka consumer for a sensor tick or a run: true end offsets, topic ids, exact offset ranges.

Reads use manual partition assignment and explicit offsets, never consumer-group commits: the
position lives in the Delta table or a sensor cursor, so a retry re-reads exactly the same records.
"""

from __future__ import annotations

import time
import uuid
from typing import NamedTuple

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicCollection, TopicPartition
from confluent_kafka.admin import AdminClient


class KafkaUnavailable(RuntimeError):
    pass


class Record(NamedTuple):  # a tuple: made once per message, so it must be cheap
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp_ms: int


class KafkaReader:
    def __init__(self, consumer: Consumer, admin: AdminClient, timeout_s: float = 10.0):
        self.consumer, self.admin, self.timeout_s = consumer, admin, timeout_s

    def close(self) -> None:
        self.consumer.close()

    def __enter__(self) -> KafkaReader:
        return self

    def __exit__(self, *_) -> None:
        self.close()

    def partitions(self, topic: str) -> list[int]:
        try:
            found = self.consumer.list_topics(topic, timeout=self.timeout_s).topics.get(topic)
        except KafkaException as exc:
            raise KafkaUnavailable(f"no metadata for {topic}: {exc}") from exc
        if found is None or found.error is not None:
            return []
        return sorted(found.partitions)

    def topic_id(self, topic: str) -> str | None:
        """The broker's id of the topic (a new one when the topic is recreated), where it reports one."""
        try:
            found = self.admin.describe_topics(TopicCollection([topic]))[topic].result(timeout=self.timeout_s).topic_id
        except (KafkaException, ValueError, TypeError):
            return None
        if found is None:
            return None
        bits = ((found.get_most_significant_bits() % 2 ** 64) << 64) | (found.get_least_significant_bits() % 2 ** 64)
        return str(uuid.UUID(int=bits)) if bits else None

    def end_offsets(self, topic: str, settle_s: float = 5.0, strict: bool = False) -> dict[int, int]:
        """The true next offset of every partition. Some brokers (the local Tansu) report the high
        watermark as the last batch's base offset + 1, so the last batch is read to find its end. If that
        read does not finish within ``settle_s``, the reported end is kept (it can only be too low), or,
        ``strict``, ``KafkaUnavailable`` is raised: for a reader that must not miss a record."""
        ends = {}
        for p in self.partitions(topic):
            try:
                ends[p] = self.consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=self.timeout_s)[1]
            except KafkaException as exc:
                raise KafkaUnavailable(f"no end offset for {topic}[{p}]: {exc}") from exc
        probe = {p: off - 1 for p, off in ends.items() if off > 0}
        if probe:
            last = self._read(topic, probe, None, settle_s, strict=strict)
            ends.update({p: max(ends[p], off + 1) for p, off in last.items()})
        return ends

    def read_range(self, topic: str, ranges: dict[int, tuple[int, int]], timeout_s: float = 60) -> list[Record]:
        """Every record with start <= offset < end per partition."""
        wanted = {p: (s, e) for p, (s, e) in ranges.items() if e > s}
        out: dict[int, list[Record]] = {p: [] for p in sorted(wanted)}
        if wanted:
            self._read(topic, {p: s for p, (s, _) in wanted.items()}, (wanted, out), timeout_s, strict=True)
        return [r for p in out for r in out[p]]  # by partition, then offset (the order a partition is read in)

    def _read(self, topic: str, starts: dict[int, int], into, timeout_s: float, strict: bool) -> dict[int, int]:
        """Read each partition from its start to the end (``into``: up to the wanted ends, collecting
        records) and return the last offset seen per partition."""
        self.consumer.assign([TopicPartition(topic, p, off) for p, off in starts.items()])
        last: dict[int, int] = {}
        open_ = set(starts)
        wanted, out = into if into is not None else (None, None)
        deadline = time.monotonic() + timeout_s
        try:
            while open_:
                if time.monotonic() > deadline:
                    if strict:
                        raise KafkaUnavailable(f"timed out reading {topic} partitions {sorted(open_)} "
                                               f"(from {starts}) after {timeout_s}s")
                    break
                for m in self.consumer.consume(num_messages=100_000, timeout=0.02):  # returns at the timeout
                    p, err = m.partition(), m.error()
                    if err is not None:
                        if err.code() == KafkaError._PARTITION_EOF:
                            # at the end: done unless a wanted offset is still to come
                            if wanted is None or m.offset() >= wanted[p][1]:
                                open_.discard(p)
                            continue
                        raise KafkaUnavailable(f"reading {topic}[{p}]: {err.str()}")
                    off = m.offset()
                    last[p] = off
                    if wanted is not None:
                        start, end = wanted[p]
                        if start <= off < end:
                            out[p].append(Record(topic, p, off, m.key(), m.value(), m.timestamp()[1]))
                        if off >= end - 1:
                            open_.discard(p)
        finally:
            self.consumer.unassign()
        return last
