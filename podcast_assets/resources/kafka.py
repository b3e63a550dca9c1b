"""Kafka behind one resource: the cluster, the topics, a keyed producer, topic admin and readers.

The client is confluent-kafka (librdkafka): produce and consume are done in C, so one Python process
moves tens of thousands of events a second, where a pure-Python client spends its time decoding.
"""

from __future__ import annotations

import json
import logging

import dagster as dg
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer
from confluent_kafka.admin import AdminClient, NewTopic
from pydantic import Field

from podcast_assets.resources.kafka_reader import KafkaReader, KafkaUnavailable, Record
from podcast_assets.settings import DEFAULTS as D

__all__ = ["KafkaReader", "KafkaResource", "KafkaUnavailable", "Record"]

# a message the client refuses for what it is, before sending it: that message's failure, not Kafka's. (What
# the broker refuses after sending may be a whole batch: it fails the call, and nothing is taken as sent.)
REFUSED_MESSAGE = {KafkaError.MSG_SIZE_TOO_LARGE, KafkaError.INVALID_MSG, KafkaError.INVALID_MSG_SIZE}
CLIENT_LOG = logging.getLogger("podcast_assets.kafka.client")  # librdkafka's own log lines
# a library's logger gets a NullHandler: a broker restart would otherwise print librdkafka's connection
# errors on every console; what matters is raised as KafkaUnavailable with one clear line
CLIENT_LOG.addHandler(logging.NullHandler())


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
    # the largest message the cluster takes (its message.max.bytes; librdkafka's default): a larger one is
    # refused at once, as that message's own failure (``publish_each``)
    max_message_bytes: int = D.KAFKA_MAX_MESSAGE_BYTES

    def _common(self) -> dict:
        return {"bootstrap.servers": self.bootstrap_servers, "client.id": self.client_id,
                "socket.timeout.ms": self.request_timeout_ms, "logger": CLIENT_LOG,
                "log.connection.close": False}  # a broker restart is reported by our own errors

    def _reachable(self) -> bool:
        """A plain TCP check first: librdkafka retries a dead broker in the background for ever."""
        import socket

        for server in self.bootstrap_servers.split(","):
            host, _, port = server.strip().rpartition(":")
            try:
                with socket.create_connection((host or "127.0.0.1", int(port or 9092)), timeout=2):
                    return True
            except (OSError, ValueError):
                continue
        return False

    def _connect(self, factory, config: dict):
        if not self._reachable():
            raise KafkaUnavailable(f"Kafka at {self.bootstrap_servers} is not reachable (no broker answers)")
        try:
            return factory({**self._common(), **config})
        except KafkaException as exc:
            raise KafkaUnavailable(f"Kafka at {self.bootstrap_servers} is not reachable: {exc}") from exc

    def producer(self) -> Producer:
        # acks=all and idempotence: a retried send is never stored twice; murmur2 of the key picks the
        # partition, as the Java client does, so a user's events keep one partition across clients
        return self._connect(Producer, {
            "acks": "all", "enable.idempotence": True, "partitioner": "murmur2_random",
            "linger.ms": 20 if self.batching else 0, "message.timeout.ms": 30_000,
            "message.max.bytes": self.max_message_bytes})

    def consumer(self) -> Consumer:
        # partitions are assigned by hand and offsets never committed: the group id is only required
        return self._connect(Consumer, {
            "group.id": f"{self.client_id}-reader", "enable.auto.commit": False, "enable.partition.eof": True,
            "auto.offset.reset": "earliest", "fetch.wait.max.ms": 100})

    def admin(self) -> AdminClient:
        return self._connect(AdminClient, {})

    def ensure_topics(self, topics: list[str], partitions: int | None = None) -> list[str]:
        """Create the topics that do not exist yet (``topic_partitions`` each); returns the ones created."""
        partitions = partitions or self.topic_partitions
        admin, missing = self.admin(), list(topics)
        try:
            existing = set(admin.list_topics(timeout=self.request_timeout_ms / 1000).topics)
            missing = [t for t in topics if t not in existing]
            for future in admin.create_topics([NewTopic(t, partitions, 1) for t in missing]).values() if missing else ():
                try:
                    future.result(timeout=self.request_timeout_ms / 1000)
                except KafkaException as exc:
                    if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                        raise
        except KafkaException as exc:
            raise KafkaUnavailable(f"Kafka at {self.bootstrap_servers}: cannot create topics {missing}: {exc}") from exc
        return missing

    def reader(self) -> KafkaReader:
        """One consumer for a tick or a run (use it as a context manager)."""
        return KafkaReader(self.consumer(), self.admin(), self.request_timeout_ms / 1000)

    def end_offsets(self, topic: str) -> dict[int, int]:
        """The true next offset of every partition (see ``KafkaReader.end_offsets``)."""
        with self.reader() as reader:
            return reader.end_offsets(topic)

    def read_range(self, topic: str, ranges: dict[int, tuple[int, int]], timeout_s: float = 60) -> list[Record]:
        """Every record with start <= offset < end per partition, by manual assignment."""
        with self.reader() as reader:
            return reader.read_range(topic, ranges, timeout_s)

    def publish_episodes(self, episodes: list[dict]) -> dict[str, str]:
        """New episodes on ``episode-metadata`` (the record) and ``episode-ids`` (the id), keyed by episode id; an
        episode whose record Kafka refuses is left off both and returned, id to reason."""
        self.ensure_topics([self.episode_metadata_topic, self.episode_ids_topic])
        refused = self.publish_each(self.episode_metadata_topic, [(e["episode_id"], e) for e in episodes])
        ids = [e["episode_id"] for e in episodes if e["episode_id"] not in refused]
        if ids:
            self.publish(self.episode_ids_topic, [(i, i) for i in ids])
        return refused

    def publish(self, topic: str, items: list[tuple[str, dict | str]], ends: dict[int, int] | None = None,
                producer: Producer | None = None) -> int:
        """Send (key, value) pairs with acks=all and wait for every acknowledgement. ``ends``, if given,
        receives the offset after the last message stored per partition. Pass a ``producer`` made early
        to overlap its start: an idempotent producer waits ~0.5 s for its producer id."""
        refused = self.publish_each(topic, items, ends, producer)
        if refused:
            key, reason = next(iter(refused.items()))
            raise KafkaUnavailable(f"{len(refused)} of {len(items)} messages to {topic} refused: {key}: {reason}")
        return len(items)

    def publish_each(self, topic: str, items: list[tuple[str, dict | str]], ends: dict[int, int] | None = None,
                     producer: Producer | None = None) -> dict[str, str]:
        """``publish``, where a message the client refuses for what it is (over ``max_message_bytes``, the
        cluster's limit, or invalid) is only that message's failure: the others are sent, and the refused ones
        returned, key to a one-line reason. Kafka away, or not acknowledging, raises ``KafkaUnavailable``."""
        producer = producer or self.producer()
        failed: list[str] = []
        refused: dict[str, str] = {}
        ends = {} if ends is None else ends

        def delivered(err, msg) -> None:
            if err is not None:
                failed.append(str(err))
            else:
                ends[msg.partition()] = max(ends.get(msg.partition(), 0), msg.offset() + 1)

        for key, value in items:
            body = value if isinstance(value, str) else json.dumps(value, default=str)
            while True:
                try:
                    producer.produce(topic, key=str(key), value=body, on_delivery=delivered)
                    break
                except BufferError:  # the local queue is full: let it drain
                    producer.poll(0.05)
                except KafkaException as exc:
                    if exc.args[0].code() not in REFUSED_MESSAGE:
                        raise KafkaUnavailable(f"Kafka at {self.bootstrap_servers}: {exc.args[0].str()}") from None
                    size = len(body.encode())
                    refused[str(key)] = f"refused by Kafka: {exc.args[0].str()}" + (
                        f" ({size} bytes, over {self.max_message_bytes})" if size > self.max_message_bytes else "")
                    break
        unsent = producer.flush(35)
        if unsent or failed:
            raise KafkaUnavailable(f"{unsent + len(failed)} of {len(items)} messages to {topic} not acknowledged"
                                   + (f": {failed[0]}" if failed else ""))
        return refused
