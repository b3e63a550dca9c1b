"""The transcription job and the sensor that starts it for each new message on ``episode-metadata``."""

import json

import dagster as dg

from podcast_assets.common.kafka_offsets import dump_topic_cursor, load_topic_cursor, new_ranges, recreated
from podcast_assets.resources.kafka import KafkaResource, KafkaUnavailable
from podcast_assets.resources.whisper import WhisperResource
from podcast_assets.transcripts.assets import episode_audio, episode_partitions, transcripts
from podcast_assets.transcripts.messages import parse_episode_message, run_batches

QUEUE_TAG = "podcast_assets/queue"
# Dagster's tags for a run over a range of partitions (here: episodes added together, in that order)
RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"
MAX_MESSAGES_PER_TICK = 500  # per partition: keeps a tick far below Dagster's 60 s limit

episode_transcription_job = dg.define_asset_job(
    "episode_transcription_job", selection=[episode_audio, transcripts], partitions_def=episode_partitions,
    description="Download, convert and transcribe episodes: one dynamic partition, or a range of pending ones "
                "transcribed with the models loaded once.",
    tags={QUEUE_TAG: "transcription"})  # the run queue holds these to two at a time (local/instance.py)


def _episode_run_config(docs: list[dict]) -> dict:
    """The messages themselves go to both steps, so an episode known only from Kafka can be processed."""
    config = {"config": {"episode_json": json.dumps(docs[0] if len(docs) == 1 else docs)}}
    return {"ops": {"episode_audio": config, "transcripts": config}}


def _run_request(docs: list[dict]) -> dg.RunRequest:
    """One episode: a run of its partition. Several: a run over their range of partitions (they were added
    together, so the range holds exactly them)."""
    first, last = docs[0]["episode_id"], docs[-1]["episode_id"]
    if len(docs) == 1:
        return dg.RunRequest(run_key=first, partition_key=first, tags={"episode_id": first},
                             run_config=_episode_run_config(docs))
    return dg.RunRequest(run_key=f"{first}..{last}", run_config=_episode_run_config(docs),
                         tags={RANGE_START: first, RANGE_END: last, "episodes": str(len(docs))})


@dg.sensor(job=episode_transcription_job, minimum_interval_seconds=15,
           default_status=dg.DefaultSensorStatus.RUNNING)
def episode_metadata_sensor(context: dg.SensorEvaluationContext, kafka: KafkaResource, whisper: WhisperResource):
    """New messages on ``episode-metadata``: one dynamic partition per new episode, and runs that share them
    out over the transcription runs the queue allows, a few episodes each (``TRANSCRIBE_BATCH``).
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
    batches = run_batches(list(docs), whisper.transcription_runs, whisper.episodes_per_run)
    return dg.SensorResult(
        run_requests=[_run_request([docs[eid] for eid in batch]) for batch in batches],
        dynamic_partitions_requests=[episode_partitions.build_add_request(list(docs))] if docs else [],
        cursor=dump_topic_cursor(topic_id, cursor, last_keys))
