"""Sensors that react to Kafka by comparing end offsets with their cursor."""

import dagster as dg

from podcast_assets.assets.transcripts import episode_partitions
from podcast_assets.core.offsets import dump_cursor, load_cursor, new_ranges, parse_episode_message
from podcast_assets.jobs import episode_transcription_job
from podcast_assets.resources.kafka import KafkaResource, KafkaUnavailable
from podcast_assets.settings import get_settings

MAX_MESSAGES_PER_TICK = 500


def _episode_run_config(doc: dict) -> dict:
    """The message itself goes to both steps, so an episode known only from Kafka can be processed."""
    import json

    config = {"config": {"episode_json": json.dumps(doc)}}
    return {"ops": {"episode_audio": config, "transcripts": config}}  # per partition: keeps a tick far below Dagster's 60 s limit


@dg.sensor(job=episode_transcription_job, minimum_interval_seconds=15,
           default_status=dg.DefaultSensorStatus.RUNNING)
def episode_metadata_sensor(context: dg.SensorEvaluationContext, kafka: KafkaResource):
    """New messages on ``episode-metadata``: one dynamic partition and one run per new episode.
    The cursor holds the next offset of each partition; no consumer group is involved."""
    topic = get_settings().TOPIC_EPISODE_METADATA
    cursor = load_cursor(context.cursor)
    try:
        ranges = new_ranges(cursor, kafka.end_offsets(topic), MAX_MESSAGES_PER_TICK)
        records = kafka.read_range(topic, ranges, timeout_s=20) if ranges else []
    except KafkaUnavailable as exc:
        return dg.SkipReason(f"Kafka unavailable: {exc}")
    if not ranges:
        return dg.SkipReason(f"no new messages on {topic}")
    known = set(context.instance.get_dynamic_partitions(episode_partitions.name))
    new_ids: list[str] = []
    docs: dict[str, dict] = {}
    malformed = 0
    for rec in records:
        doc, problem = parse_episode_message(rec.value)
        if doc is None:
            malformed += 1
            context.log.warning(f"{topic} partition {rec.partition} offset {rec.offset}: skipped, {problem}")
            continue
        if doc["episode_id"] not in known and doc["episode_id"] not in new_ids:
            new_ids.append(doc["episode_id"])
            docs[doc["episode_id"]] = doc
    cursor.update({p: end for p, (_, end) in ranges.items()})
    context.log.info(f"{len(records)} messages, {len(new_ids)} new episodes, {malformed} malformed")
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=eid, partition_key=eid, tags={"episode_id": eid},
                                    run_config=_episode_run_config(docs[eid])) for eid in new_ids],
        dynamic_partitions_requests=[episode_partitions.build_add_request(new_ids)] if new_ids else [],
        cursor=dump_cursor(cursor))


MAX_EVENTS_PER_RUN = 50_000  # per partition


@dg.sensor(job_name="user_events_ingest_job", minimum_interval_seconds=15,
           default_status=dg.DefaultSensorStatus.RUNNING)
def user_events_sensor(context: dg.SensorEvaluationContext, kafka: KafkaResource):
    """New offsets on ``user-events``: one ingestion run for the range (run key = the range)."""
    from podcast_assets.assets.events import RANGE_TAG
    from podcast_assets.core.offsets import range_key

    topic = get_settings().TOPIC_USER_EVENTS
    cursor = load_cursor(context.cursor)
    try:
        ranges = new_ranges(cursor, kafka.end_offsets(topic), MAX_EVENTS_PER_RUN)
    except KafkaUnavailable as exc:
        return dg.SkipReason(f"Kafka unavailable: {exc}")
    if not ranges:
        return dg.SkipReason(f"no new messages on {topic}")
    key = range_key(topic, ranges)
    cursor.update({p: end for p, (_, end) in ranges.items()})
    return dg.SensorResult(run_requests=[dg.RunRequest(run_key=key, tags={RANGE_TAG: key})],
                           cursor=dump_cursor(cursor))


@dg.asset_sensor(asset_key=dg.AssetKey("user_events_raw"), job_name="daily_engagement_job",
                 default_status=dg.DefaultSensorStatus.RUNNING, minimum_interval_seconds=15)
def daily_engagement_sensor(context: dg.SensorEvaluationContext, asset_event: dg.EventLogEntry):
    """Recompute the days a new raw batch touched."""
    meta = asset_event.asset_materialization.metadata if asset_event.asset_materialization else {}
    touched = meta.get("days_touched")
    days_touched = [d for d in (touched.value if touched else "").split(",") if d]
    for day in days_touched:
        yield dg.RunRequest(run_key=f"{day}:{asset_event.run_id}:{asset_event.timestamp}", partition_key=day)


@dg.sensor(job_name="recommendations_job", minimum_interval_seconds=60,
           default_status=dg.DefaultSensorStatus.RUNNING)
def retrain_on_engagement_sensor(context: dg.SensorEvaluationContext):
    """Retrain when any day of ``daily_engagement`` was re-materialised since the last training request."""
    latest = latest_storage_id(context.instance, "daily_engagement")
    if latest is None:
        return dg.SkipReason("daily_engagement has never been materialised")
    if latest <= int(context.cursor or 0):
        return dg.SkipReason("no new daily_engagement since the last retraining")
    context.update_cursor(str(latest))
    return dg.RunRequest(run_key=f"engagement-{latest}")


def latest_storage_id(instance: dg.DagsterInstance, asset: str) -> int | None:
    records = instance.fetch_materializations(dg.AssetKey(asset), limit=1).records
    return records[0].storage_id if records else None
