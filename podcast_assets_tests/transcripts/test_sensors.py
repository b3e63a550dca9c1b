import dagster as dg

from podcast_assets.resources.kafka import KafkaResource
from podcast_assets.resources.whisper import WhisperResource
from podcast_assets.transcripts.sensors import RANGE_END, RANGE_START, episode_jobs, episode_sensors
from podcast_assets_tests.helpers import kafka_for


def _run(instance, kafka, cursor, runs=2, per_run=8):
    ctx = dg.build_sensor_context(instance=instance, cursor=cursor, resources={
        "kafka": kafka, "whisper": WhisperResource(cache_dir="unused", transcription_runs=runs,
                                                   episodes_per_run=per_run)})
    episode_metadata_sensor = episode_sensors(*episode_jobs())[0]
    return episode_metadata_sensor(ctx), ctx


def episodes_of(result) -> list[list[str]]:
    """Each run's episodes: its partition, or the range of the partitions the same result adds, in order."""
    added = [k for r in result.dynamic_partitions_requests for k in r.partition_keys]
    out = []
    for r in result.run_requests:
        if r.partition_key:
            out.append([r.partition_key])
        else:
            a, b = added.index(r.tags[RANGE_START]), added.index(r.tags[RANGE_END])
            out.append(added[a:b + 1])
    return out


def test_sensor_adds_partitions_and_runs_only_for_new_messages(ingested):
    kafka = kafka_for(ingested)
    instance = dg.DagsterInstance.ephemeral()
    result, _ = _run(instance, kafka, None)
    runs = episodes_of(result)
    ids = [eid for run in runs for eid in run]
    assert len(ids) == 21 and len(set(ids)) == 21 and ids == result.dynamic_partitions_requests[0].partition_keys
    # shared out over the two transcription runs, at most 8 each: 7 each, models loaded once per run
    assert [len(run) for run in runs] == [7, 7, 7]
    assert len({r.run_key for r in result.run_requests}) == 3
    one_each, _ = _run(instance, kafka, None, per_run=1)
    assert [len(run) for run in episodes_of(one_each)] == [1] * 21
    assert all(r.run_key == r.partition_key for r in one_each.run_requests)
    instance.add_dynamic_partitions("episodes", ids)  # what the daemon does with the request

    again, _ = _run(instance, kafka, result.cursor)
    assert not again.run_requests and again.skip_reason  # nothing new: no run for old messages

    kafka.publish(ingested.TOPIC_EPISODE_METADATA, [("bad", "{not json"), ("x", '{"no_id": 1}'),
                                                    ("77", '{"episode_id": "77", "audio_url": "http://x"}'),
                                                    ("78", f'{{"episode_id": "{ids[0]}"}}')])
    third, _ = _run(instance, kafka, result.cursor)
    assert [r.partition_key for r in third.run_requests] == ["77"]  # malformed skipped, known id ignored
    assert third.dynamic_partitions_requests[0].partition_keys == ["77"]
    instance.add_dynamic_partitions("episodes", ["77"])

    # the topic was recreated (another id): read again from offset 0, and only unknown episodes run
    import json

    cursor = json.loads(third.cursor)
    recreated, _ = _run(instance, kafka, json.dumps({**cursor, "topic_id": "another-topic"}))
    assert not recreated.run_requests and json.loads(recreated.cursor)["offsets"] == cursor["offsets"]
    kafka.publish(ingested.TOPIC_EPISODE_METADATA, [("79", '{"episode_id": "79", "audio_url": "http://x"}')])
    # a cursor past the end (the broker restarted and refilled less): read again, nothing skipped
    behind = json.dumps({**cursor, "offsets": {p: o + 1000 for p, o in cursor["offsets"].items()}})
    refilled, _ = _run(instance, kafka, behind)
    assert [r.partition_key for r in refilled.run_requests] == ["79"]


def test_sensor_skips_when_kafka_is_down():
    kafka = KafkaResource(bootstrap_servers="127.0.0.1:9", request_timeout_ms=1000)
    result, _ = _run(dg.DagsterInstance.ephemeral(), kafka, None)
    assert isinstance(result, dg.SkipReason) and "Kafka unavailable" in str(result.skip_message)
