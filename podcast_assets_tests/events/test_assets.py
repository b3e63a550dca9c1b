"""Events through the real broker into Delta, exactly once under failures and topic restarts, and the daily aggregates."""

import json

import dagster as dg
import pandas as pd
import pytest
from deltalake import DeltaTable

from podcast_assets.events import assets as events_assets
from podcast_assets.events import dead_letters, exactly_once
from podcast_assets.events.assets import daily_engagement, user_events, user_events_raw
from podcast_assets.events.engagement import Weights
from podcast_assets.events.engagement import daily_engagement as aggregate
from podcast_assets.events.sensors import user_events_sensor
from podcast_assets.local.stack import Stack
from podcast_assets_tests.conftest import own_topics, stack_settings
from podcast_assets_tests.helpers import resources_for


@pytest.fixture
def events_env(ingested, tmp_path):
    """Topics and a data dir of the test's own; episodes come from the session's Mongo catalog."""
    return own_topics(ingested.replace(PODCAST_DATA_DIR=str(tmp_path / "data")))


def _count(kafka, topic):
    return sum(kafka.end_offsets(topic).values())


def _table(s, name):
    uri = s.delta_path(name)
    return DeltaTable(uri).to_pandas() if DeltaTable.is_deltatable(uri) else pd.DataFrame()


def _generate(resources, users=20, per_user=15, seed=11, malformed=0.1):
    config = {"num_users": users, "events_per_user": per_user, "batch_seed": seed, "malformed_share": malformed}
    assert dg.materialize([user_events], resources=resources,
                          run_config={"ops": {"user_events": {"config": config}}}).success


def _tick(resources, instance):
    ctx = dg.build_sensor_context(instance=instance, resources={"kafka": resources["kafka"], "delta": resources["delta"]})
    return user_events_sensor(ctx)


def test_every_message_lands_exactly_once_whatever_dies_when(events_env, monkeypatch):
    s = events_env
    resources = resources_for(s)
    kafka = resources["kafka"]
    _generate(resources)  # batched produce, as real producers do
    n = _count(kafka, s.TOPIC_USER_EVENTS)
    assert n == 300
    instance = dg.DagsterInstance.ephemeral()
    assert isinstance(_tick(resources, instance), dg.RunRequest)  # the table is behind the topic

    real_commit, calls = exactly_once.commit, []

    def dies_on(which):
        def commit(*args, **kwargs):
            calls.append(args[1])
            if len(calls) == which:
                raise RuntimeError(f"injected: the run dies at commit {which}")
            return real_commit(*args, **kwargs)
        return commit

    # killed before any commit, then between the dead-letter commit and the raw commit
    for which in (1, 2):
        calls.clear()
        with monkeypatch.context() as m:
            m.setattr(exactly_once, "commit", dies_on(which))
            assert not dg.materialize([user_events_raw], resources=resources, raise_on_error=False).success
    assert _table(s, "user_events_raw").empty and len(_table(s, "user_events_dead_letters")) > 0
    # killed after both commits, before the dead letters reach the DLQ topic
    with monkeypatch.context() as m:
        m.setattr(events_assets, "publish_dead_letters", lambda *a: (_ for _ in ()).throw(RuntimeError("injected")))
        assert not dg.materialize([user_events_raw], resources=resources, raise_on_error=False).success
    raw, dead = _table(s, "user_events_raw"), _table(s, "user_events_dead_letters")
    assert len(raw) + len(dead) == n and 10 < len(dead) < 60 and raw["event_id"].is_unique
    assert _count(kafka, s.TOPIC_USER_EVENTS_DLQ) == 0
    # the letters committed but not sent are reason enough for a run, with no new events
    assert isinstance(_tick(resources, instance), dg.RunRequest)
    # that run dies after sending, before recording what it sent: the next one sends nothing twice
    with monkeypatch.context() as m:
        m.setattr(dead_letters, "record_progress", lambda *a: (_ for _ in ()).throw(RuntimeError("injected")))
        assert not dg.materialize([user_events_raw], resources=resources, raise_on_error=False).success
    assert _count(kafka, s.TOPIC_USER_EVENTS_DLQ) == len(dead)
    assert isinstance(_tick(resources, instance), dg.RunRequest)
    assert dg.materialize([user_events_raw], resources=resources).success
    assert _count(kafka, s.TOPIC_USER_EVENTS_DLQ) == len(dead)
    assert isinstance(_tick(resources, instance), dg.SkipReason)  # the tables and the DLQ hold everything

    # more events arrive: the next run ingests them and sends only the new dead letters
    _generate(resources, users=5, per_user=10, seed=12)
    assert isinstance(_tick(resources, instance), dg.RunRequest)
    assert dg.materialize([user_events_raw], resources=resources).success
    assert dg.materialize([user_events_raw], resources=resources).success  # nothing new: adds nothing
    raw, dead = _table(s, "user_events_raw"), _table(s, "user_events_dead_letters")
    assert len(raw) + len(dead) == n + 50 and raw["event_id"].is_unique
    dlq = kafka.read_range(s.TOPIC_USER_EVENTS_DLQ, {p: (0, e) for p, e in kafka.end_offsets(s.TOPIC_USER_EVENTS_DLQ).items()})
    letters = [json.loads(r.value) for r in dlq]
    assert len(letters) == len(dead) == len({(d["source_partition"], d["source_offset"]) for d in letters})
    assert {d["reason"].split(" ")[0] for d in letters} <= {"not", "missing", "unknown", "bad", "rate", "empty"}
    assert isinstance(_tick(resources, instance), dg.SkipReason)

    # daily aggregates equal a direct computation from the raw events of that day; one run does the range
    table = _table(s, "user_events_raw")
    touched = sorted(table["day"].astype(str).unique())
    assert dg.materialize([daily_engagement], resources=resources, tags={
        "dagster/asset_partition_range_start": touched[0], "dagster/asset_partition_range_end": touched[-1]}).success
    daily = DeltaTable(s.delta_path("daily_engagement")).to_pandas()
    for day, group in table.groupby(table["day"].astype(str)):
        expected = {}
        for r in group.itertuples():
            w = {"like": 3.0, "complete": 2.0, "skip": -1.0}.get(r.event)
            if w is None:
                w = r.rating - 3 if r.event == "rate" else min(r.position_sec / 600, 1)
            k = (r.user_id, r.new_episode_id)
            expected[k] = (expected.get(k, (0.0, 0))[0] + w, expected.get(k, (0.0, 0))[1] + 1)
        got = daily[daily["day"].astype(str) == day]
        assert len(got) == len(expected)
        for r in got.itertuples():
            assert r.engagement == pytest.approx(expected[(r.user_id, r.new_episode_id)][0])
            assert r.events == expected[(r.user_id, r.new_episode_id)][1]
    # recomputing a day replaces it
    day = sorted(table["day"].astype(str).unique())[0]
    assert dg.materialize([daily_engagement], resources=resources, partition_key=day).success
    assert len(DeltaTable(s.delta_path("daily_engagement")).to_pandas()) == len(daily)
    assert aggregate(table, Weights())["engagement"].sum() == pytest.approx(daily["engagement"].sum())


def test_a_restarted_broker_starts_a_new_epoch_and_loses_nothing_it_holds(events_env, tmp_path):
    own = stack_settings(tmp_path / "own")
    broker = Stack(own, with_podcast_index=False)
    broker.up(log=lambda *_: None)
    try:
        s = events_env.replace(KAFKA_BOOTSTRAP_SERVERS=own.KAFKA_BOOTSTRAP_SERVERS)
        resources = resources_for(s)
        _generate(resources, users=3, per_user=5, seed=1, malformed=0.0)
        first = dg.materialize([user_events_raw], resources=resources)
        assert first.asset_materializations_for_node("user_events_raw")[0].metadata["epoch"].value == 0
        broker.stop_service("kafka")  # in memory: the topics are gone
        broker.up(log=lambda *_: None)
        _generate(resources, users=2, per_user=4, seed=2, malformed=0.0)  # fewer offsets than before
        second = dg.materialize([user_events_raw], resources=resources)
        meta = second.asset_materializations_for_node("user_events_raw")[0].metadata
        assert meta["epoch"].value == 1 and meta["new_epoch"].value != "no"
        raw = _table(s, "user_events_raw")
        assert len(raw) == 15 + 8 and raw["event_id"].is_unique
        assert sorted(raw.groupby("kafka_epoch").size().tolist()) == [8, 15]
        # refilled past the old offsets before anyone looked: still a new epoch, nothing skipped
        broker.stop_service("kafka")
        broker.up(log=lambda *_: None)
        _generate(resources, users=6, per_user=5, seed=3, malformed=0.0)
        third = dg.materialize([user_events_raw], resources=resources)
        assert third.asset_materializations_for_node("user_events_raw")[0].metadata["epoch"].value == 2
        assert len(_table(s, "user_events_raw")) == 15 + 8 + 30
    finally:
        broker.down(log=lambda *_: None)


def test_a_miscounted_dead_letter_topic_end_sends_no_letter_twice(events_env, monkeypatch):
    """The local broker reports a partition's end as its last batch's base offset + 1, and the true end is
    found by reading that batch. When that read does not finish in time, the end is too low: the DLQ
    publish must not take that for a recreated topic (whose letters it would send again), nor look for its
    letters only below it. It waits for a true end instead, or fails and is run again."""
    from podcast_assets.resources.kafka_reader import KafkaReader

    s = events_env
    resources = resources_for(s)
    kafka = resources["kafka"]
    _generate(resources, malformed=0.3)  # batched: the letters reach the DLQ in a few batches
    assert dg.materialize([user_events_raw], resources=resources).success
    _generate(resources, users=10, per_user=10, seed=12, malformed=0.3)
    from podcast_assets.resources.kafka_reader import KafkaUnavailable

    real = KafkaReader._read

    def last_batch_late(self, topic, starts, into, timeout_s, strict):
        if into is not None:
            return real(self, topic, starts, into, timeout_s, strict)
        if strict:  # what the read of the last batches does when its time is up
            raise KafkaUnavailable(f"timed out reading {topic} partitions {sorted(starts)}")
        return {}

    with monkeypatch.context() as m:  # no last batch read in time: every end as the broker reports it
        m.setattr(KafkaReader, "_read", last_batch_late)
        dg.materialize([user_events_raw], resources=resources, raise_on_error=False)
    assert dg.materialize([user_events_raw], resources=resources).success
    dead = _table(s, "user_events_dead_letters")
    dlq = kafka.read_range(s.TOPIC_USER_EVENTS_DLQ, {p: (0, e) for p, e in kafka.end_offsets(s.TOPIC_USER_EVENTS_DLQ).items()})
    keys = [(d["source_epoch"], d["source_partition"], d["source_offset"]) for d in map(json.loads, (r.value for r in dlq))]
    assert len(keys) == len(set(keys)) == len(dead) > 20, (len(keys), len(set(keys)), len(dead))
