"""Session fixtures: the real local stack (Tansu broker, nx-27017, local Podcast Index) on free ports."""

from __future__ import annotations

import os
import socket

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from podcast_assets.local.stack import Stack  # noqa: E402
from podcast_assets.settings import get_settings  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stack_settings(data_dir, **overrides):
    values = dict(
        PODCAST_DATA_DIR=str(data_dir),
        KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{free_port()}",
        MONGO_URI=f"mongodb://127.0.0.1:{free_port()}",
        PODCAST_INDEX_URL=f"http://127.0.0.1:{free_port()}/api/1.0",
        PODCAST_INDEX_API_KEY="test-key",
        PODCAST_INDEX_API_SECRET="test-secret-value",
        PODCAST_INDEX_RATE_PER_SEC=0.0,
        MONGO_TIMEOUT_MS=1500,
    )
    return get_settings(**{**values, **overrides})


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


def export_env(monkeypatch, settings) -> None:
    """Assets read ``get_settings()``: put every field of ``settings`` into the environment."""
    import dataclasses

    for f in dataclasses.fields(settings):
        monkeypatch.setenv(f.name, str(getattr(settings, f.name)))


@pytest.fixture
def settings(stack, tmp_path, monkeypatch):
    """Settings on the session's services, with a data dir of the test's own, exported to the environment."""
    s = own_topics(stack.settings.replace(PODCAST_DATA_DIR=str(tmp_path / "data")))
    export_env(monkeypatch, s)
    return s


def own_topics(settings):
    """The session shares one broker: each test (and fixture) gets topics of its own."""
    import uuid

    tag = uuid.uuid4().hex[:8]
    return settings.replace(**{f: f"{getattr(settings, f)}-{tag}" for f in (
        "TOPIC_EPISODE_METADATA", "TOPIC_EPISODE_IDS", "TOPIC_TRANSCRIPTS", "TOPIC_USER_EVENTS", "TOPIC_USER_EVENTS_DLQ")})


@pytest.fixture(scope="session")
def ingested(stack, tmp_path_factory):
    """A data dir of the module's own with the sample catalog ingested (Delta, Kafka, MongoDB)."""
    import dagster as dg

    from podcast_assets.assets.ingest import episode_catalog, episodes, trending_podcasts
    from podcast_assets_tests.helpers import control, resources_for

    s = own_topics(stack.settings.replace(PODCAST_DATA_DIR=str(tmp_path_factory.mktemp("ingested"))))
    with pytest.MonkeyPatch.context() as mp:
        export_env(mp, s)
        control(s, reset=True)
        assert dg.materialize([trending_podcasts, episodes, episode_catalog], resources=resources_for(s)).success
        yield s


@pytest.fixture(scope="session")
def transcribed(ingested):
    """Every ingested episode through episode_audio and transcripts (real models), one partition at a time."""
    import dagster as dg
    from deltalake import DeltaTable

    from podcast_assets.assets.transcripts import episode_audio, transcripts
    from podcast_assets_tests.helpers import resources_for

    instance = dg.DagsterInstance.ephemeral()
    ids = list(DeltaTable(ingested.delta_path("episodes")).to_pandas()["episode_id"])
    instance.add_dynamic_partitions("episodes", ids)
    resources = resources_for(ingested)
    with pytest.MonkeyPatch.context() as mp:
        export_env(mp, ingested)
        results = {eid: dg.materialize([episode_audio, transcripts], partition_key=eid, instance=instance,
                                       resources=resources, raise_on_error=False) for eid in ids}
    return ingested, instance, resources, results
