import dagster as dg

from podcast_assets.resources.kafka import KafkaResource
from podcast_assets.transcripts.sensors import episode_metadata_sensor
from podcast_assets_tests.helpers import kafka_for


def _run(instance, kafka, cursor):
    ctx = dg.build_sensor_context(instance=instance, cursor=cursor, resources={"kafka": kafka})
    return episode_metadata_sensor(ctx), ctx


def test_sensor_adds_partitions_and_runs_only_for_new_messages(ingested):
    kafka = kafka_for(ingested)
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
                                                    ("78", f'{{"episode_id": "{ids[0]}"}}')])
    third, _ = _run(instance, kafka, result.cursor)
    assert [r.partition_key for r in third.run_requests] == ["77"]  # malformed skipped, known id ignored
    assert third.dynamic_partitions_requests[0].partition_keys == ["77"]


def test_sensor_skips_when_kafka_is_down():
    kafka = KafkaResource(bootstrap_servers="127.0.0.1:9", request_timeout_ms=1000)
    result, _ = _run(dg.DagsterInstance.ephemeral(), kafka, None)
    assert isinstance(result, dg.SkipReason) and "Kafka unavailable" in str(result.skip_message)
