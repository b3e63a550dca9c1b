"""Kafka behind one resource: the cluster, the topics, a keyed producer, topic admin and readers."""

from __future__ import annotations

import json

import dagster as dg
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError
from pydantic import Field

from podcast_assets.resources.kafka_reader import KafkaReader, KafkaUnavailable, Record
from podcast_assets.settings import DEFAULTS as D

__all__ = ["KafkaReader", "KafkaResource", "KafkaUnavailable", "Record"]


class KafkaResource(dg.ConfigurableResource):
    """The cluster and the topics the product uses on it (deployment facts, set in ``definitions.py``)."""

    bootstrap_servers: str = Field(description="host:port[,host:port]")
    client_id: str = "podcast-assets"
    request_timeout_ms: int = 10_000
    # producers batch (linger_ms) like any real producer; readers find the true end of a partition
    # even where the broker under-reports it (KafkaReader.end_offsets)
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
        # acks=all with kafka-python's idempotent producer (its default): retries never duplicate
        batching = {"linger_ms": 20} if self.batching else {"linger_ms": 0, "batch_size": 0}
        return self._connect(KafkaProducer, acks="all", **batching)

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

    def reader(self) -> KafkaReader:
        """One consumer for a tick or a run (use it as a context manager)."""
        return KafkaReader(self.consumer())

    def end_offsets(self, topic: str) -> dict[int, int]:
        """The true next offset of every partition (see ``KafkaReader.end_offsets``)."""
        with self.reader() as reader:
            return reader.end_offsets(topic)

    def read_range(self, topic: str, ranges: dict[int, tuple[int, int]], timeout_s: float = 60) -> list[Record]:
        """Every record with start <= offset < end per partition, by manual assignment."""
        with self.reader() as reader:
            return reader.read_range(topic, ranges, timeout_s)

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
