import socket
import subprocess
import sys
import time

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from pymongo import MongoClient

from podcast_assets.local.stack import Stack, StackError, is_listening
from podcast_assets_tests.conftest import stack_settings


def _cli(settings, *args):
    env = {"PATH": "/usr/bin:/bin", "PODCAST_DATA_DIR": settings.PODCAST_DATA_DIR,
           "KAFKA_BOOTSTRAP_SERVERS": settings.KAFKA_BOOTSTRAP_SERVERS, "MONGO_URI": settings.MONGO_URI,
           "PODCAST_INDEX_URL": settings.PODCAST_INDEX_URL, "DAGSTER_HOME": settings.PODCAST_DATA_DIR + "/dh"}
    return subprocess.run([sys.executable, "-m", "podcast_assets.cli", "stack", *args], env=env,
                          capture_output=True, text=True, timeout=120, cwd=settings.PODCAST_DATA_DIR)


def test_stack_up_round_trip_and_down_leaves_ports_closed(tmp_path):
    settings = stack_settings(tmp_path)
    up = _cli(settings, "up")
    assert up.returncode == 0, up.stderr
    again = _cli(settings, "up")  # idempotent: reuses what runs
    assert "reused" in again.stdout
    host, port = settings.KAFKA_BOOTSTRAP_SERVERS.split(":")
    try:
        producer = KafkaProducer(bootstrap_servers=settings.KAFKA_BOOTSTRAP_SERVERS, acks="all", batch_size=0)
        producer.send("roundtrip", key=b"k", value=b"hello").get(timeout=10)
        producer.close()
        consumer = KafkaConsumer(bootstrap_servers=settings.KAFKA_BOOTSTRAP_SERVERS, enable_auto_commit=False)
        tp = TopicPartition("roundtrip", 0)
        parts = consumer.partitions_for_topic("roundtrip")
        values = []
        for p in parts:
            tp = TopicPartition("roundtrip", p)
            consumer.assign([tp])
            consumer.seek(tp, 0)
            values += [m.value for batch in consumer.poll(timeout_ms=2000).values() for m in batch]
        consumer.close()
        assert values == [b"hello"]
        with MongoClient(settings.MONGO_URI, serverSelectionTimeoutMS=3000) as client:
            client.t.c.insert_one({"x": 1})
            assert client.t.c.count_documents({}) == 1
        status = _cli(settings, "status").stdout
        assert status.count("running") == 3, status
    finally:
        down = _cli(settings, "down")
    assert down.returncode == 0
    assert not is_listening(host, int(port))
    assert not is_listening("127.0.0.1", int(settings.MONGO_URI.rsplit(":", 1)[1]))
    assert not is_listening("127.0.0.1", int(settings.PODCAST_INDEX_URL.split(":")[2].split("/")[0]))


def test_stack_refuses_a_port_taken_by_something_else(tmp_path):
    squatter = socket.socket()
    squatter.bind(("127.0.0.1", 0))
    squatter.listen()
    port = squatter.getsockname()[1]
    try:
        settings = stack_settings(tmp_path).replace(KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{port}")
        with pytest.raises(StackError, match=f"port 127.0.0.1:{port} is taken by a process this stack did not start"):
            Stack(settings).up(log=lambda *_: None)
        result = _cli(settings, "up")
        assert result.returncode == 1 and "is taken" in result.stderr
    finally:
        squatter.close()


def test_a_reused_pid_is_not_ours_to_signal(tmp_path):
    """``stack down`` signals a pid from its pid file only if that process still runs the service's command."""
    from podcast_assets.local.stack import runs_command

    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "--port", "1234"])
    try:
        time.sleep(1)  # until the child has exec'd (before that, /proc shows the parent's command line)
        assert runs_command(sleeper.pid, ["python", "-c", "import time; time.sleep(60)", "--port", "1234"])
        assert not runs_command(sleeper.pid, ["nx-27017", "--data-dir", str(tmp_path), "-p", "1234"])
    finally:
        sleeper.kill()
        sleeper.wait()


def test_the_local_index_keeps_no_headers_and_a_bounded_log(stack):
    import requests

    from podcast_assets.local.podcast_index_server import REQUEST_LOG

    base = stack.settings.podcast_index_url
    for _ in range(REQUEST_LOG + 5):
        requests.get(f"{base}/podcasts/trending", headers={"X-Auth-Key": "k", "Authorization": "sig"}, timeout=5)
    seen = requests.get(base.rsplit("/api/", 1)[0] + "/__requests", timeout=5).json()
    assert len(seen) == REQUEST_LOG and all(set(r) == {"path"} for r in seen)
