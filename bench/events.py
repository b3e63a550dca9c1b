"""Events per second from produce to committed Delta rows, and per stage, on the local stack.

Starts its own broker on a free port (so a running stack is not disturbed), generates N events,
produces them, reads and commits them exactly once, and prints rates.
Run: ``.venv/bin/python bench/events.py [--events 20000]``.
"""

import argparse
import datetime as dt
import socket
import tempfile
import time
from pathlib import Path

from podcast_assets.events.assets import ingest_topic
from podcast_assets.events.generator import generate
from podcast_assets.local.stack import Stack
from podcast_assets.resources.delta import DeltaTables
from podcast_assets.resources.kafka import KafkaResource
from podcast_assets.settings import settings_from_env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = settings_from_env(PODCAST_DATA_DIR=tmp, KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{free_port()}",
                                MONGO_URI=f"mongodb://127.0.0.1:{free_port()}", PODCAST_INDEX_URL="http://example.invalid/api")
        stack = Stack(settings, with_podcast_index=False)
        stack.up(log=lambda *_: None)
        try:
            kafka = KafkaResource(bootstrap_servers=settings.KAFKA_BOOTSTRAP_SERVERS)
            kafka.ensure_topics(["user-events", "user-events-dlq"], 4)
            episodes = {str(i): ("a", "b", "c", "d")[i % 4] for i in range(50)}
            users = max(1, args.events // 100)
            t0 = time.perf_counter()
            msgs = generate(episodes, users, args.events // users, 1, 2, dt.datetime.now(dt.UTC))
            t1 = time.perf_counter()
            kafka.publish("user-events", msgs)
            t2 = time.perf_counter()
            ends = kafka.end_offsets("user-events")
            report = ingest_topic(kafka, DeltaTables(root=str(Path(tmp) / "delta")), "user-events", "user-events-dlq",
                                  max_per_partition=sum(ends.values()), log=lambda *_: None)
            t3 = time.perf_counter()
        finally:
            stack.down(log=lambda *_: None)
    n = len(msgs)
    print(f"events: {n}, committed rows: {report.valid}")
    print(f"generate:            {n / (t1 - t0):10.0f} events/s")
    print(f"produce (acks=all, batched): {n / (t2 - t1):10.0f} events/s")
    print(f"read+validate+commit:{n / (t3 - t2):10.0f} events/s")
    print(f"produce -> Delta:    {n / (t3 - t1):10.0f} events/s end to end")


if __name__ == "__main__":
    main()
