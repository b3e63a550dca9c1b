"""Events through the real broker into Delta, exactly once, and the daily aggregates."""

import json
import uuid

import dagster as dg
import pandas as pd
import pyarrow as pa
import pytest
from deltalake import CommitProperties, DeltaTable, Transaction, write_deltalake

from podcast_assets.events import exactly_once
from podcast_assets.events.assets import (
    RANGE_TAG,
    daily_engagement,
    ingest_range,
    user_events,
    user_events_raw,
)
from podcast_assets.events.engagement import Weights
from podcast_assets.events.engagement import daily_engagement as aggregate
from podcast_assets.events.exactly_once import RAW_SCHEMA, OffsetRegression, app_id
from podcast_assets.events.sensors import user_events_sensor
from podcast_assets_tests.helpers import kafka_for, resources_for


@pytest.fixture
def events_env(ingested):
    tag = uuid.uuid4().hex[:8]
    return ingested.replace(TOPIC_USER_EVENTS=f"user-events-{tag}", TOPIC_USER_EVENTS_DLQ=f"user-events-dlq-{tag}")


def _count(kafka, topic):
    return sum(kafka.end_offsets(topic).values())


def _raw(s):
    return DeltaTable(s.delta_path("user_events_raw")).to_pandas() if DeltaTable.is_deltatable(
        s.delta_path("user_events_raw")) else pd.DataFrame()


def test_every_message_lands_exactly_once_in_raw_or_dead_letters(events_env, monkeypatch):
    s = events_env
    resources = resources_for(s)
    kafka = resources["kafka"]
    produced = dg.materialize([user_events], resources=resources, run_config={"ops": {"user_events": {"config": {
        "num_users": 20, "events_per_user": 15, "batch_seed": 11, "malformed_share": 0.1}}}})
    assert produced.success
    n = _count(kafka, s.TOPIC_USER_EVENTS)
    assert n == 300

    instance = dg.DagsterInstance.ephemeral()
    tick = user_events_sensor(dg.build_sensor_context(instance=instance, resources={"kafka": kafka}))
    [request] = tick.run_requests
    key = request.tags[RANGE_TAG]
    assert request.run_key == key and key.startswith(s.TOPIC_USER_EVENTS + ":")

    # killed after reading, before committing: nothing is written, the retry does it all
    def crash(*_):
        raise RuntimeError("injected: the run dies before the commit")

    with monkeypatch.context() as m:
        m.setattr(exactly_once, "commit", crash)
        crashed = dg.materialize([user_events_raw], resources=resources, tags={RANGE_TAG: key}, raise_on_error=False)
    assert not crashed.success and _raw(s).empty
    ok = dg.materialize([user_events_raw], resources=resources, tags={RANGE_TAG: key})
    assert ok.success
    raw, dead = len(_raw(s)), _count(kafka, s.TOPIC_USER_EVENTS_DLQ)
    assert raw + dead == n and 10 < dead < 60
    assert _raw(s)["event_id"].is_unique

    # the same range again, and an overlapping manual run, add nothing
    assert dg.materialize([user_events_raw], resources=resources, tags={RANGE_TAG: key}).success
    assert dg.materialize([user_events_raw], resources=resources).success
    assert (len(_raw(s)), _count(kafka, s.TOPIC_USER_EVENTS_DLQ)) == (raw, dead)
    reasons = {json.loads(r.value)["reason"].split(" ")[0] for r in kafka.read_range(
        s.TOPIC_USER_EVENTS_DLQ, {p: (0, e) for p, e in kafka.end_offsets(s.TOPIC_USER_EVENTS_DLQ).items()})}
    assert reasons <= {"not", "missing", "unknown", "bad", "rate", "empty"}

    # the sensor's next tick sees nothing new
    again = user_events_sensor(dg.build_sensor_context(instance=instance, cursor=tick.cursor, resources={"kafka": kafka}))
    assert isinstance(again, dg.SkipReason)

    # daily aggregates equal a direct computation from the raw events of that day
    table = _raw(s)
    for day in sorted(table["day"].astype(str).unique()):
        assert dg.materialize([daily_engagement], resources=resources, partition_key=day).success
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


def test_a_recreated_topic_is_refused_not_silently_skipped(events_env, tmp_path):
    s = events_env
    kafka = kafka_for(s)
    kafka.ensure_topics([s.TOPIC_USER_EVENTS], 1)
    kafka.publish(s.TOPIC_USER_EVENTS, [("u", "{}")] * 3)
    table = str(tmp_path / "raw")
    ingest_range(kafka, table, s.TOPIC_USER_EVENTS, s.TOPIC_USER_EVENTS_DLQ, {0: (0, 3)}, log=lambda *_: None)
    fresh = s.TOPIC_USER_EVENTS + "-recreated"  # same table, a topic whose offsets start again
    kafka.ensure_topics([fresh], 1)
    kafka.publish(fresh, [("u", "{}")])
    # the table holds offsets up to 3 for the recreated topic, as it would after a broker restart
    write_deltalake(table, pa.Table.from_pylist([], RAW_SCHEMA), mode="append",
                    commit_properties=CommitProperties(app_transactions=[Transaction(app_id(table, fresh, 0), 3)]))
    with pytest.raises(OffsetRegression, match="recreated"):
        ingest_range(kafka, table, fresh, s.TOPIC_USER_EVENTS_DLQ, {0: (0, 1)}, log=lambda *_: None)
