"""The ingestion and daily-engagement jobs, and the sensors that start them."""

import dagster as dg

from podcast_assets.common.kafka_offsets import dump_cursor, load_cursor, new_ranges, range_key
from podcast_assets.events.assets import RANGE_TAG, daily_engagement, days, user_events_raw
from podcast_assets.resources.kafka import KafkaResource, KafkaUnavailable

MAX_EVENTS_PER_RUN = 50_000  # per partition

user_events_ingest_job = dg.define_asset_job(
    "user_events_ingest_job", selection=[user_events_raw],
    description="Ingest one offset range of user-events exactly once (the range is in the run tags).")

daily_engagement_job = dg.define_asset_job("daily_engagement_job", selection=[daily_engagement], partitions_def=days)


@dg.sensor(job=user_events_ingest_job, minimum_interval_seconds=15, default_status=dg.DefaultSensorStatus.RUNNING)
def user_events_sensor(context: dg.SensorEvaluationContext, kafka: KafkaResource):
    """New offsets on ``user-events``: one ingestion run for the range (run key = the range)."""
    topic = kafka.user_events_topic
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


@dg.asset_sensor(asset_key=user_events_raw.key, job=daily_engagement_job,
                 default_status=dg.DefaultSensorStatus.RUNNING, minimum_interval_seconds=15)
def daily_engagement_sensor(context: dg.SensorEvaluationContext, asset_event: dg.EventLogEntry):
    """Recompute the days a new raw batch touched."""
    meta = asset_event.asset_materialization.metadata if asset_event.asset_materialization else {}
    touched = meta.get("days_touched")
    for day in [d for d in (touched.value if touched else "").split(",") if d]:
        yield dg.RunRequest(run_key=f"{day}:{asset_event.run_id}:{asset_event.timestamp}", partition_key=day)
