"""Session fixtures: the real local stack (Tansu broker, nx-27017, local Podcast Index) on free ports.

Tests steer assets through resources built from a ``Settings`` of their own (``helpers.resources_for``),
never through the environment.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import uuid
from pathlib import Path

import pytest

from podcast_assets.local.postgres import LocalPostgres, PostgresUnavailable
from podcast_assets.local.stack import Stack
from podcast_assets.settings import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stack_settings(data_dir, **overrides) -> Settings:
    values = {
        "PODCAST_DATA_DIR": str(data_dir),
        "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{free_port()}",
        "MONGO_URI": f"mongodb://127.0.0.1:{free_port()}",
        "PODCAST_INDEX_URL": f"http://127.0.0.1:{free_port()}/api/1.0",
        "PODCAST_INDEX_API_KEY": "test-key",
        "PODCAST_INDEX_API_SECRET": "test-secret-value",
        "PODCAST_INDEX_RATE_PER_SEC": 0.0,
        "MONGO_TIMEOUT_MS": 1500,
    }
    return Settings(**{**values, **overrides})


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    """The three local services, started once for the session and stopped at its end."""
    settings = stack_settings(tmp_path_factory.mktemp("stack"))
    env = {"PODCAST_INDEX_API_KEY": settings.PODCAST_INDEX_API_KEY,
           "PODCAST_INDEX_API_SECRET": settings.PODCAST_INDEX_API_SECRET}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # the Podcast Index subprocess reads its credentials from the environment
    s = Stack(settings)
    s.up(log=lambda *_: None)
    try:
        yield s
    finally:
        s.down(log=lambda *_: None)
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture
def own_stack(tmp_path):
    """A broker and MongoDB of the test's own (no Podcast Index), for tests that stop and start them."""
    s = Stack(stack_settings(tmp_path, MONGO_TIMEOUT_MS=800), with_podcast_index=False)
    s.up(log=lambda *_: None)
    yield s
    s.down(log=lambda *_: None)


def own_topics(settings: Settings) -> Settings:
    """The session shares one broker: each test (and fixture) gets topics of its own."""
    tag = uuid.uuid4().hex[:8]
    return settings.replace(**{f: f"{getattr(settings, f)}-{tag}" for f in (
        "TOPIC_EPISODE_METADATA", "TOPIC_EPISODE_IDS", "TOPIC_TRANSCRIPTS", "TOPIC_USER_EVENTS", "TOPIC_USER_EVENTS_DLQ")})


@pytest.fixture
def settings(stack, tmp_path):
    """Settings on the session's services, with a data dir and topics of the test's own."""
    return own_topics(stack.settings.replace(PODCAST_DATA_DIR=str(tmp_path / "data")))


@pytest.fixture(scope="session")
def ingested(stack, tmp_path_factory):
    """A data dir of the session's own with the sample catalog ingested (Delta, Kafka, MongoDB)."""
    import dagster as dg

    from podcast_assets.ingest.assets import episode_catalog, episodes, trending_podcasts
    from podcast_assets_tests.helpers import control, resources_for

    s = own_topics(stack.settings.replace(PODCAST_DATA_DIR=str(tmp_path_factory.mktemp("ingested"))))
    control(s, reset=True)
    assert dg.materialize([trending_podcasts, episodes, episode_catalog], resources=resources_for(s)).success
    return s


@pytest.fixture(scope="session")
def transcribed(ingested):
    """Every ingested episode through episode_audio and transcripts (real models): the episodes of the
    first two shows alone, one run each, as one new episode goes; the rest in one run over their range of
    partitions, as a batch of pending episodes goes (its broken episode among them). ``results`` maps
    each episode to the result of the run that had it."""
    import dagster as dg
    from deltalake import DeltaTable

    from podcast_assets.transcripts.assets import episode_audio, transcripts
    from podcast_assets.transcripts.sensors import RANGE_END, RANGE_START
    from podcast_assets_tests.helpers import catalog, resources_for

    instance = dg.DagsterInstance.ephemeral()
    ids = list(DeltaTable(ingested.delta_path("episodes")).to_pandas()["episode_id"])
    titles = {str(e["id"]): e["feedTitle"] for e in catalog()["episodes"]}
    alone = [eid for eid in ids if titles[eid] in ALONE]
    batch = [eid for eid in ids if eid not in alone]
    instance.add_dynamic_partitions("episodes", alone + batch)  # a range is the partitions added together
    resources = resources_for(ingested)
    results = {eid: dg.materialize([episode_audio, transcripts], partition_key=eid, instance=instance,
                                   resources=resources, raise_on_error=False) for eid in alone}
    together = dg.materialize([episode_audio, transcripts], instance=instance, resources=resources,
                              tags={RANGE_START: batch[0], RANGE_END: batch[-1]}, raise_on_error=False)
    return ingested, instance, resources, {**results, **dict.fromkeys(batch, together)}


ALONE = ("Deep Space Dispatch", "Night Sky Notes")  # a broken episode and a publisher transcript, one run each


@pytest.fixture
def postgres():
    """A PostgreSQL server of the test's own (Debian's binaries): its URL, password and libpq DSN."""
    folder = Path(tempfile.mkdtemp(prefix="podcast-assets-pg-"))  # not under pytest's root-only tmp: the server
    server = LocalPostgres(folder, free_port())                    # runs as the postgres user
    try:
        url = server.start()
    except PostgresUnavailable as exc:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.fail(f"{exc}: ./run.sh test installs Debian's postgresql")
    try:
        yield url, server.password_file.read_text().strip(), server.dsn()
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
