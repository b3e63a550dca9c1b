"""The ingestion and daily-engagement jobs, and the sensors that start them."""

import dagster as dg

from podcast_assets.events import dead_letters, exactly_once
from podcast_assets.events.assets import daily_engagement, days, user_events, user_events_raw
from podcast_assets.resources.delta import DeltaTables
from podcast_assets.resources.kafka import KafkaResource, KafkaUnavailable
from podcast_assets.runs.automation import NEVER_MATERIALISED
from podcast_assets.runs.sensors import IN_FLIGHT

user_events_ingest_job = dg.define_asset_job(
    "user_events_ingest_job", selection=[user_events_raw],
    description="Ingest everything new on user-events exactly once (from the offsets the table holds).",
    # a process of its own for the step: when it crashes, the surviving run worker fails the run at once
    # (not at run monitoring's next poll) and the next tick resumes from the table's offsets; the daemon
    # fault test kills steps and run workers (e2e/test_daemon_faults.py)
    executor_def=dg.multiprocess_executor)

user_events_job = dg.define_asset_job("user_events_job", selection=[user_events],
                                      description="A batch of synthetic listener events onto user-events.")

daily_engagement_job = dg.define_asset_job("daily_engagement_job", selection=[daily_engagement], partitions_def=days)

@dg.sensor(job=user_events_ingest_job, minimum_interval_seconds=15, default_status=dg.DefaultSensorStatus.RUNNING)
def user_events_sensor(context: dg.SensorEvaluationContext, kafka: KafkaResource, delta: DeltaTables):
    """Requests an ingestion run whenever ``user-events`` holds more than the raw table and no ingestion
    run is queued or running. It only decides *whether* there is new data: the run reads from the
    table's own offsets, so a failed or killed run is simply followed by the next one."""
    topic, dlq_topic = kafka.user_events_topic, kafka.user_events_dlq_topic
    try:
        with kafka.reader() as reader:
            ends = reader.end_offsets(topic)
            topic_fp = exactly_once.fingerprint(reader.topic_id(topic))
            dlq_ends = reader.end_offsets(dlq_topic)
            dlq_fp = exactly_once.fingerprint(reader.topic_id(dlq_topic))
    except KafkaUnavailable as exc:
        return dg.SkipReason(f"Kafka unavailable: {exc}")
    state = exactly_once.read_state(delta.table("user_events_raw"), delta.uri("user_events_raw"), topic, ends)
    behind = {p: (state.committed.get(p, 0), end) for p, end in ends.items() if end != state.committed.get(p, 0)}
    recreated = state.fingerprint is not None and topic_fp is not None and state.fingerprint != topic_fp
    # letters committed by a run killed before it sent them, or a recreated DLQ topic, need a run too
    unsent = dead_letters.behind(delta.table("user_events_dead_letters"), delta.uri("user_events_dead_letters"),
                                 topic, dlq_topic, state.epoch, sorted(ends), dlq_fp, dlq_ends)
    if not behind and not recreated and not unsent:
        return dg.SkipReason(f"{topic}: the raw table holds everything ({sum(ends.values())} offsets)")
    if context.instance.get_run_records(dg.RunsFilter(job_name=user_events_ingest_job.name, statuses=IN_FLIGHT), limit=1):
        return dg.SkipReason("an ingestion run is queued or running; it reads up to the end")
    context.log.info(f"{topic}: table vs end per partition {behind}{' (topic recreated)' if recreated else ''}"
                     f"{' (dead letters to send)' if unsent else ''}")
    return dg.RunRequest(tags={"podcast_assets/topic": topic})


@dg.sensor(job=daily_engagement_job, minimum_interval_seconds=15, default_status=dg.DefaultSensorStatus.RUNNING)
def daily_engagement_sensor(context: dg.SensorEvaluationContext):
    """Recompute every day any raw commit since the last request touched (every materialisation, not the
    latest), in one run over the range of those days (``daily_engagement`` runs a range at once)."""
    if context.instance.get_run_records(dg.RunsFilter(job_name=daily_engagement_job.name, statuses=IN_FLIGHT), limit=1):
        return dg.SkipReason("a daily_engagement run is queued or running; the next tick asks for what came since")
    after = int(context.cursor or 0)
    records = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=user_events_raw.key, after_storage_id=after), limit=1000, ascending=True).records
    if not records:
        return dg.SkipReason("no new user_events_raw commits")
    touched = set()
    for record in records:
        value = record.asset_materialization.metadata.get("days_touched") if record.asset_materialization else None
        touched |= set(filter(None, (value.value if value else "").split(",")))
    context.update_cursor(str(records[-1].storage_id))
    if not touched:
        return dg.SkipReason(f"{len(records)} raw commits touched no day")
    first, last = min(touched), max(touched)
    return dg.RunRequest(run_key=f"{first}..{last}:{records[-1].storage_id}", tags={
        "dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last})


def listener_events_schedule(cron: str, running: bool) -> dg.ScheduleDefinition:
    """Synthetic listeners on a schedule, so events, engagement and retraining keep moving on the local
    default (``running`` comes from ``SYNTHETIC_LISTENERS``: off where real events arrive)."""

    @dg.schedule(name="listener_events_schedule", job=user_events_job, cron_schedule=cron,
                 default_status=dg.DefaultScheduleStatus.RUNNING if running else dg.DefaultScheduleStatus.STOPPED)
    def _schedule(context: dg.ScheduleEvaluationContext, delta: DeltaTables):
        if delta.table("episodes") is None:
            return dg.SkipReason("no episodes yet: the trending ingest has not run")
        return dg.RunRequest()

    return _schedule


def with_first_listeners(assets: list, running: bool) -> list:
    """Where synthetic listeners run (``running``), their first batch comes as soon as there is a catalogue,
    not at the schedule's first tick minutes later; where real events arrive, nothing generates them."""
    if not running:
        return list(assets)
    return [a.with_attributes(automation_condition=NEVER_MATERIALISED)
            if isinstance(a, dg.AssetsDefinition) and a.keys == {user_events.key} else a for a in assets]
