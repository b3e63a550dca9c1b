"""Kafka behind one resource: keyed producer, topic admin, end offsets, exact offset-range reads.

Reads use manual partition assignment and explicit offsets, never consumer-group commits: the
position lives in Dagster (sensor cursors, run tags) so that a retry re-reads exactly the same
messages.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import dagster as dg
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError
from pydantic import Field

from podcast_assets.settings import DEFAULTS as D


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


class KafkaResource(dg.ConfigurableResource):
    """The cluster and the topics the product uses on it (deployment facts, set in ``definitions.py``)."""

    bootstrap_servers: str = Field(description="host:port[,host:port]")
    client_id: str = "podcast-assets"
    request_timeout_ms: int = 10_000
    # The local Tansu broker stores batched records but reports the high watermark as the last
    # batch's base offset + 1, so end offsets under-count after a multi-record batch; until readers
    # find the true end themselves, producers send one record per request unless told otherwise.
    batching: bool = D.KAFKA_BATCHING
    episode_metadata_topic: str = D.TOPIC_EPISODE_METADATA
    episode_ids_topic: str = D.TOPIC_EPISODE_IDS
    transcripts_topic: str = D.TOPIC_TRANSCRIPTS
    user_events_topic: str = D.TOPIC_USER_EVENTS
    user_events_dlq_topic: str = D.TOPIC_USER_EVENTS_DLQ
    topic_partitions: int = D.TOPIC_PARTITIONS

    def _common(self) -> dict:
        return {"bootstrap_servers": self.bootstrap_servers.split(","), "client_id": self.client_id,
                "request_timeout_ms": self.request_timeout_ms}

    def _reachable(self) -> bool:
        """A plain TCP check first: kafka-python itself can wait half a minute for a dead broker."""
        import socket

        for server in self.bootstrap_servers.split(","):
            host, _, port = server.strip().rpartition(":")
            try:
                with socket.create_connection((host or "127.0.0.1", int(port or 9092)), timeout=2):
                    return True
            except (OSError, ValueError):
                continue
        return False

    def _connect(self, factory, **kwargs):
        if not self._reachable():
            raise KafkaUnavailable(f"Kafka at {self.bootstrap_servers} is not reachable (no broker answers)")
        try:
            return factory(**self._common(), **kwargs)
        except KafkaError as exc:
            raise KafkaUnavailable(f"Kafka at {self.bootstrap_servers} is not reachable: {exc!r}") from exc

    def producer(self) -> KafkaProducer:
        batching = {"linger_ms": 5} if self.batching else {"linger_ms": 0, "batch_size": 0}
        return self._connect(KafkaProducer, acks="all", retries=5, max_in_flight_requests_per_connection=1,
                             **batching)

    def consumer(self) -> KafkaConsumer:
        return self._connect(KafkaConsumer, enable_auto_commit=False, group_id=None,
                             consumer_timeout_ms=2000, fetch_max_wait_ms=200)

    def ensure_topics(self, topics: list[str], partitions: int | None = None) -> list[str]:
        """Create the topics that do not exist yet (``topic_partitions`` each); returns the ones created."""
        partitions = partitions or self.topic_partitions
        admin = self._connect(KafkaAdminClient)
        try:
            existing = set(admin.list_topics())
            missing = [t for t in topics if t not in existing]
            if missing:
                try:
                    admin.create_topics([NewTopic(t, partitions, 1) for t in missing])
                except TopicAlreadyExistsError:
                    pass
            return missing
        finally:
            admin.close()

    def end_offsets(self, topic: str) -> dict[int, int]:
        """The next offset of every partition (a metadata call; consumes nothing)."""
        consumer = self.consumer()
        try:
            parts = consumer.partitions_for_topic(topic) or set()
            tps = [TopicPartition(topic, p) for p in sorted(parts)]
            return {tp.partition: off for tp, off in consumer.end_offsets(tps).items()} if tps else {}
        finally:
            consumer.close()

    def read_range(self, topic: str, ranges: dict[int, tuple[int, int]], timeout_s: float = 60) -> list[Record]:
        """Every record with start <= offset < end per partition, by manual assignment."""
        import time

        wanted = {p: (s, e) for p, (s, e) in ranges.items() if e > s}
        if not wanted:
            return []
        consumer = self.consumer()
        try:
            tps = {p: TopicPartition(topic, p) for p in wanted}
            consumer.assign(list(tps.values()))
            for p, (start, _) in wanted.items():
                consumer.seek(tps[p], start)
            out: list[Record] = []
            done: set[int] = set()
            deadline = time.monotonic() + timeout_s
            while len(done) < len(wanted):
                if time.monotonic() > deadline:
                    raise KafkaUnavailable(f"timed out reading {topic} offsets {wanted} after {timeout_s}s")
                for tp, msgs in consumer.poll(timeout_ms=500).items():
                    start, end = wanted[tp.partition]
                    for m in msgs:
                        if start <= m.offset < end:
                            out.append(Record(topic, tp.partition, m.offset, m.key, m.value, m.timestamp))
                for p, (_, end) in wanted.items():
                    if p not in done and consumer.position(tps[p]) >= end:
                        done.add(p)
            return sorted(out, key=lambda r: (r.partition, r.offset))
        finally:
            consumer.close()

    def publish(self, topic: str, items: list[tuple[str, dict | str]]) -> int:
        """Send (key, value) pairs with acks=all and wait for every acknowledgement."""
        producer = self.producer()
        try:
            futures = []
            for key, value in items:
                body = value if isinstance(value, str) else json.dumps(value, default=str)
                futures.append(producer.send(topic, key=str(key).encode(), value=body.encode()))
            producer.flush()
            for f in futures:
                f.get(timeout=30)
            return len(futures)
        finally:
            producer.close()
