import dagster as dg

from podcast_assets.resources.kafka import KafkaResource
from podcast_assets.sensors import episode_metadata_sensor


def _run(instance, kafka, cursor):
    ctx = dg.build_sensor_context(instance=instance, cursor=cursor, resources={"kafka": kafka})
    return episode_metadata_sensor(ctx), ctx


def test_sensor_adds_partitions_and_runs_only_for_new_messages(ingested):
    kafka = KafkaResource(bootstrap_servers=ingested.KAFKA_BOOTSTRAP_SERVERS)
    instance = dg.DagsterInstance.ephemeral()
    result, _ = _run(instance, kafka, None)
    ids = [r.partition_key for r in result.run_requests]
    assert len(ids) == 19 and len(set(ids)) == 19
    assert all(r.run_key == r.partition_key for r in result.run_requests)
    assert set(result.dynamic_partitions_requests[0].partition_keys) == set(ids)
    instance.add_dynamic_partitions("episodes", ids)  # what the daemon does with the request

    again, _ = _run(instance, kafka, result.cursor)
    assert isinstance(again, dg.SkipReason)  # nothing new: no run for old messages

    kafka.publish(ingested.TOPIC_EPISODE_METADATA, [("bad", "{not json"), ("x", '{"no_id": 1}'),
                                                    ("77", '{"episode_id": "77", "audio_url": "http://x"}'),
                                                    ("78", '{"episode_id": "%s"}' % ids[0])])
    third, _ = _run(instance, kafka, result.cursor)
    assert [r.partition_key for r in third.run_requests] == ["77"]  # malformed skipped, known id ignored
    assert third.dynamic_partitions_requests[0].partition_keys == ["77"]


def test_sensor_skips_when_kafka_is_down():
    kafka = KafkaResource(bootstrap_servers="127.0.0.1:9", request_timeout_ms=1000)
    result, _ = _run(dg.DagsterInstance.ephemeral(), kafka, None)
    assert isinstance(result, dg.SkipReason) and "Kafka unavailable" in str(result.skip_message)


def test_daily_engagement_sensor_requests_the_touched_days():
    from podcast_assets.sensors import daily_engagement_sensor

    instance = dg.DagsterInstance.ephemeral()
    instance.report_runless_asset_event(dg.AssetMaterialization(
        "user_events_raw", metadata={"days_touched": "2026-11-20,2026-11-21"}))
    requests = list(daily_engagement_sensor(dg.build_sensor_context(instance=instance)) or [])
    assert sorted(r.partition_key for r in requests) == ["2026-11-20", "2026-11-21"]


def test_retraining_follows_new_daily_engagement():
    from podcast_assets.sensors import retrain_on_engagement_sensor

    instance = dg.DagsterInstance.ephemeral()
    ctx = dg.build_sensor_context(instance=instance)
    assert isinstance(retrain_on_engagement_sensor(ctx), dg.SkipReason)
    instance.report_runless_asset_event(dg.AssetMaterialization("daily_engagement", partition="2026-11-20"))
    first = retrain_on_engagement_sensor(ctx)
    assert isinstance(first, dg.RunRequest)
    again = retrain_on_engagement_sensor(dg.build_sensor_context(instance=instance, cursor=ctx.cursor))
    assert isinstance(again, dg.SkipReason)
