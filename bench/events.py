"""Listener events per second on the local stack: each stage, a filled topic, and produce -> Delta live.

Starts its own broker on a free port (a running stack is not disturbed) and prints:
- each stage on N events: produce (``KafkaResource.publish``: confluent-kafka, acks=all, idempotent,
  linger 20 ms), read (``KafkaReader.read_range``), parse + validate (``bulk.py`` with the per-message
  fallback), the Delta commit;
- the baseline: kafka-python, the client this project used before, used well (linger 20 ms, 256 KiB
  batches, a cached key hash; manual-assign consume);
- read + validate + commit: one ``ingest_topic`` call on the filled topic, offsets and dead letters
  included, as a run does it;
- end to end: a producer in its own process (an outside producer, as in the live system) sends N events
  while this process runs ``ingest_topic`` again and again; from its first send to the last commit.
1% of the messages are malformed. Run: ``.venv/bin/python bench/events.py [--events 100000]``.
"""

import argparse
import datetime as dt
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from podcast_assets.events import exactly_once
from podcast_assets.events.assets import days, ingest_topic
from podcast_assets.events.generator import generate
from podcast_assets.local.stack import Stack
from podcast_assets.resources.delta import DeltaTables
from podcast_assets.resources.kafka import KafkaResource
from podcast_assets.settings import settings_from_env

EPISODES = {str(i): "abcd"[i % 4] for i in range(50)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def messages(n: int, seed: int) -> list[tuple[str, str]]:
    users = max(1, n // 100)
    return generate(EPISODES, users, n // users, 1, seed, dt.datetime.now(dt.UTC), malformed_share=0.01)


def produce_only(bootstrap: str, topic: str, n: int) -> None:
    """The outside producer of the end-to-end figure (runs in its own process)."""
    msgs = messages(n, 3)
    kafka = KafkaResource(bootstrap_servers=bootstrap)
    print(f"start {time.time()}", flush=True)
    kafka.publish(topic, msgs)
    print(f"done {time.time()}", flush=True)


def kafka_python_baseline(bootstrap: str, topic: str, msgs) -> tuple[float, float]:
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition
    from kafka.partitioner import DefaultPartitioner
    from kafka.partitioner.default import murmur2

    class Cached(DefaultPartitioner):
        hashes: dict = {}

        def partition(self, topic, key, serialized_key, value, serialized_value, cluster):
            h = self.hashes.get(serialized_key)
            if h is None:
                h = self.hashes[serialized_key] = murmur2(serialized_key) & 0x7FFFFFFF
            parts = sorted(cluster.partitions_for_topic(topic))
            return parts[h % len(parts)]

    encoded = [(k.encode(), m.encode()) for k, m in msgs]
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=20, batch_size=256 * 1024,
                             partitioner=Cached())
    t0 = time.perf_counter()
    for k, v in encoded:
        producer.send(topic, key=k, value=v)
    producer.flush()
    produce = len(msgs) / (time.perf_counter() - t0)
    producer.close()
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None)
    tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic))]
    consumer.assign(tps)
    consumer.seek_to_beginning()
    got, t0 = 0, time.perf_counter()
    while got < len(msgs):
        got += sum(len(v) for v in consumer.poll(timeout_ms=500, max_records=1_000_000).values())
    consume = got / (time.perf_counter() - t0)
    consumer.close()
    return produce, consume


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--produce-only", nargs=2, metavar=("BOOTSTRAP", "TOPIC"))
    args = parser.parse_args()
    if args.produce_only:
        return produce_only(*args.produce_only, args.events)
    n = args.events
    with tempfile.TemporaryDirectory() as tmp:
        settings = settings_from_env(PODCAST_DATA_DIR=tmp, KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{free_port()}",
                                     MONGO_URI=f"mongodb://127.0.0.1:{free_port()}",
                                     PODCAST_INDEX_URL="http://example.invalid/api")
        stack = Stack(settings, with_podcast_index=False)
        stack.up(log=lambda *_: None)
        bootstrap = settings.KAFKA_BOOTSTRAP_SERVERS
        try:
            kafka = KafkaResource(bootstrap_servers=bootstrap)
            kafka.ensure_topics(["filled", "filled-dlq", "live", "live-dlq", "baseline"], 4)
            msgs = messages(n, 2)
            t0 = time.perf_counter()
            kafka.publish("filled", msgs)
            produce = n / (time.perf_counter() - t0)
            ends = kafka.end_offsets("filled")
            todo = {p: (0, e) for p, e in ends.items()}
            with kafka.reader() as reader:
                t0 = time.perf_counter()
                records = reader.read_range("filled", todo)
                read = n / (time.perf_counter() - t0)
            now = dt.datetime.now(dt.UTC)
            t0 = time.perf_counter()
            rows, dead = exactly_once.parse_records(records, todo, 0, now, (days.start.date(), now.date()))
            parse = n / (time.perf_counter() - t0)
            uri = str(Path(tmp) / "stage_commit")
            t0 = time.perf_counter()
            exactly_once.commit(uri, uri, "filled", exactly_once.TableState(0), todo, rows, exactly_once.RAW_SCHEMA)
            commit = n / (time.perf_counter() - t0)
            kp_produce, kp_consume = kafka_python_baseline(bootstrap, "baseline", msgs)

            filled = DeltaTables(root=str(Path(tmp) / "filled"))
            t0 = time.perf_counter()
            report = ingest_topic(kafka, filled, "filled", "filled-dlq", max_per_partition=n, log=lambda *_: None)
            ingest = n / (time.perf_counter() - t0)
            assert report.valid + report.dead_letters == n, report

            live = DeltaTables(root=str(Path(tmp) / "live"))
            producer = subprocess.Popen([sys.executable, __file__, "--events", str(n), "--produce-only", bootstrap, "live"],
                                        stdout=subprocess.PIPE, text=True)
            started = float(producer.stdout.readline().split()[1])
            done, runs = 0, 0
            while done < n:
                r = ingest_topic(kafka, live, "live", "live-dlq", log=lambda *_: None)
                done, runs = done + r.valid + r.dead_letters, runs + 1
            end_to_end = n / (time.time() - started)
            produced_at = float(producer.stdout.readline().split()[1])
            producer.wait()
        finally:
            stack.down(log=lambda *_: None)
    print(f"events: {n} (1% malformed), committed rows {report.valid}, dead letters {report.dead_letters}")
    print(f"produce (confluent-kafka, acks=all, idempotent): {produce:10.0f} events/s")
    print(f"read (manual assign):             {read:10.0f} events/s")
    print(f"parse + validate (Arrow, bulk):   {parse:10.0f} events/s")
    print(f"Delta commit with offsets:        {commit:10.0f} events/s")
    print(f"baseline kafka-python produce:    {kp_produce:10.0f} events/s (linger 20 ms, 256 KiB batches)")
    print(f"baseline kafka-python consume:    {kp_consume:10.0f} events/s (manual assign, decode only)")
    print(f"read + validate + commit:         {ingest:10.0f} events/s (one ingest_topic on the filled topic; "
          f"seconds per stage {report.seconds})")
    print(f"produce -> Delta, overlapped:     {end_to_end:10.0f} events/s end to end ({runs} ingestion passes; "
          f"the producer alone took {produced_at - started:.2f} s)")


if __name__ == "__main__":
    main()
