"""The transcription job and the sensor that starts it for each new message on ``episode-metadata``."""

import json

import dagster as dg

from podcast_assets.common.kafka_offsets import dump_topic_cursor, load_topic_cursor, new_ranges, recreated
from podcast_assets.resources.kafka import KafkaResource, KafkaUnavailable
from podcast_assets.transcripts.assets import episode_audio, episode_partitions, transcripts
from podcast_assets.transcripts.messages import parse_episode_message

QUEUE_TAG = "podcast_assets/queue"
MAX_MESSAGES_PER_TICK = 500  # per partition: keeps a tick far below Dagster's 60 s limit

episode_transcription_job = dg.define_asset_job(
    "episode_transcription_job", selection=[episode_audio, transcripts], partitions_def=episode_partitions,
    description="Download, convert and transcribe one episode (one dynamic partition).",
    tags={QUEUE_TAG: "transcription"},  # the run queue holds these to two at a time (local/instance.py)
    # the two steps run one after the other anyway: in the run's own process, not one process per step
    # (each would import the definitions again, seconds per episode)
    executor_def=dg.in_process_executor)


def _episode_run_config(doc: dict) -> dict:
    """The message itself goes to both steps, so an episode known only from Kafka can be processed."""
    config = {"config": {"episode_json": json.dumps(doc)}}
    return {"ops": {"episode_audio": config, "transcripts": config}}


@dg.sensor(job=episode_transcription_job, minimum_interval_seconds=15,
           default_status=dg.DefaultSensorStatus.RUNNING)
def episode_metadata_sensor(context: dg.SensorEvaluationContext, kafka: KafkaResource):
    """New messages on ``episode-metadata``: one dynamic partition and one run per new episode.
    The cursor holds the topic's id, the next offset and the last key of each partition; no consumer
    group is involved. A recreated topic (a restarted in-memory broker) is read again from offset 0:
    episodes already known are skipped by id, so nothing is skipped and nothing runs twice."""
    topic = kafka.episode_metadata_topic
    cursor_topic_id, cursor, last_keys = load_topic_cursor(context.cursor)
    try:
        with kafka.reader() as reader:
            ends, topic_id = reader.end_offsets(topic), reader.topic_id(topic)
            held = {p: o for p, o in cursor.items() if 0 < o <= ends.get(p, 0) and p in last_keys}
            at_cursor = {r.partition: (r.key or b"").decode("utf-8", "replace")
                         for r in reader.read_range(topic, {p: (o - 1, o) for p, o in held.items()}, timeout_s=20)}
            reason = recreated(cursor_topic_id, topic_id, cursor, ends, at_cursor, last_keys)
            if reason:
                context.log.warning(f"{topic} was recreated ({reason}): reading it again from offset 0")
                cursor, last_keys = {}, {}
            ranges = new_ranges(cursor, ends, MAX_MESSAGES_PER_TICK)
            records = reader.read_range(topic, ranges, timeout_s=20) if ranges else []
    except KafkaUnavailable as exc:
        return dg.SkipReason(f"Kafka unavailable: {exc}")
    if not ranges:
        return dg.SensorResult(skip_reason=f"no new messages on {topic}",
                               cursor=dump_topic_cursor(topic_id, cursor, last_keys))
    known = set(context.instance.get_dynamic_partitions(episode_partitions.name))
    docs: dict[str, dict] = {}
    malformed = 0
    for rec in records:
        last_keys[rec.partition] = (rec.key or b"").decode("utf-8", "replace")
        doc, problem = parse_episode_message(rec.value)
        if doc is None:
            malformed += 1
            context.log.warning(f"{topic} partition {rec.partition} offset {rec.offset}: skipped, {problem}")
            continue
        if doc["episode_id"] not in known:
            docs.setdefault(doc["episode_id"], doc)
    cursor.update({p: end for p, (_, end) in ranges.items()})
    context.log.info(f"{len(records)} messages, {len(docs)} new episodes, {malformed} malformed")
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=eid, partition_key=eid, tags={"episode_id": eid},
                                    run_config=_episode_run_config(doc)) for eid, doc in docs.items()],
        dynamic_partitions_requests=[episode_partitions.build_add_request(list(docs))] if docs else [],
        cursor=dump_topic_cursor(topic_id, cursor, last_keys))
