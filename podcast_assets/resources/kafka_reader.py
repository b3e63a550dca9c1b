"""One Kafka consumer for a sensor tick or a run: true end offsets, topic ids, exact offset ranges.

Reads use manual partition assignment and explicit offsets, never consumer-group commits: the
position lives in the Delta table or a sensor cursor, so a retry re-reads exactly the same records.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from kafka import KafkaConsumer, TopicPartition


class KafkaUnavailable(RuntimeError):
    pass


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp_ms: int


class KafkaReader:
    def __init__(self, consumer: KafkaConsumer):
        self.consumer = consumer

    def close(self) -> None:
        self.consumer.close()

    def __enter__(self) -> KafkaReader:
        return self

    def __exit__(self, *_) -> None:
        self.close()

    def partitions(self, topic: str) -> list[TopicPartition]:
        return [TopicPartition(topic, p) for p in sorted(self.consumer.partitions_for_topic(topic) or set())]

    def topic_id(self, topic: str) -> str | None:
        """The broker's id of the topic (a new one when the topic is recreated), where it reports one."""
        self.partitions(topic)  # fetches the topic's metadata
        cluster = getattr(getattr(self.consumer, "_client", None), "cluster", None)  # kafka-python keeps it there
        found = cluster.topic_id(topic) if cluster is not None and hasattr(cluster, "topic_id") else None
        return str(found) if found else None

    def end_offsets(self, topic: str, settle_s: float = 5.0) -> dict[int, int]:
        """The true next offset of every partition. Some brokers (the local Tansu) report the high
        watermark as the last batch's base offset + 1, so the last batch is read to find its end."""
        tps = self.partitions(topic)
        if not tps:
            return {}
        reported = self.consumer.end_offsets(tps)
        ends = {tp.partition: off for tp, off in reported.items()}
        probe = [tp for tp, off in reported.items() if off > 0]
        if not probe:
            return ends
        self.consumer.assign(probe)
        for tp in probe:
            self.consumer.seek(tp, reported[tp] - 1)
        seen: set[TopicPartition] = set()
        deadline = time.monotonic() + settle_s
        while time.monotonic() < deadline:
            polled = self.consumer.poll(timeout_ms=100, max_records=1_000_000)
            seen |= {tp for tp, msgs in polled.items() if msgs}
            if not polled and seen >= set(probe):
                break  # every probed partition answered and nothing more is coming
        for tp in probe:
            ends[tp.partition] = max(ends[tp.partition], self.consumer.position(tp))
        return ends

    def read_range(self, topic: str, ranges: dict[int, tuple[int, int]], timeout_s: float = 60) -> list[Record]:
        """Every record with start <= offset < end per partition."""
        wanted = {p: (s, e) for p, (s, e) in ranges.items() if e > s}
        if not wanted:
            return []
        tps = {p: TopicPartition(topic, p) for p in wanted}
        self.consumer.assign(list(tps.values()))
        for p, (start, _) in wanted.items():
            self.consumer.seek(tps[p], start)
        out: list[Record] = []
        done: set[int] = set()
        deadline = time.monotonic() + timeout_s
        while len(done) < len(wanted):
            if time.monotonic() > deadline:
                raise KafkaUnavailable(f"timed out reading {topic} offsets {wanted} after {timeout_s}s")
            for tp, msgs in self.consumer.poll(timeout_ms=500, max_records=1_000_000).items():
                start, end = wanted[tp.partition]
                out += [Record(topic, tp.partition, m.offset, m.key, m.value, m.timestamp)
                        for m in msgs if start <= m.offset < end]
            done |= {p for p, (_, end) in wanted.items() if self.consumer.position(tps[p]) >= end}
        return sorted(out, key=lambda r: (r.partition, r.offset))
