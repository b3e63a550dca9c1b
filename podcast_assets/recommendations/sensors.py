"""Retraining: a job for the whole stage, on new daily engagement and once a day."""

import dagster as dg

from podcast_assets.recommendations.assets import POPULARITY
from podcast_assets.runs.sensors import fallback_replay_sensor

recommendations_job = dg.define_asset_job(
    "recommendations_job",
    # the popularity lists have their own automation, in their own runs (the pool keeps them apart)
    selection=dg.AssetSelection.groups("recommendations") - dg.AssetSelection.assets("popular_recommendations"),
    description="Retrain ALS on all daily engagement, then publish top-N and hybrid recommendations.")

daily_retrain_schedule = dg.ScheduleDefinition(
    name="daily_retrain_schedule", job=recommendations_job, cron_schedule="30 2 * * *",
    default_status=dg.DefaultScheduleStatus.RUNNING)


def latest_storage_id(instance: dg.DagsterInstance, asset: str) -> int | None:
    records = instance.fetch_materializations(dg.AssetKey(asset), limit=1).records
    return records[0].storage_id if records else None


@dg.sensor(job=recommendations_job, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING)
def retrain_on_engagement_sensor(context: dg.SensorEvaluationContext):
    """Retrain when any day of ``daily_engagement`` was re-materialised since the last training request."""
    latest = latest_storage_id(context.instance, "daily_engagement")
    if latest is None:
        return dg.SkipReason("daily_engagement has never been materialised")
    if latest <= int(context.cursor or 0):
        return dg.SkipReason("no new daily_engagement since the last retraining")
    context.update_cursor(str(latest))
    return dg.RunRequest(run_key=f"engagement-{latest}")


# A published set whose write fell back to Delta is published again once MongoDB answers: a run of the asset
# that made it (the latest passing model's lists, or the popularity lists), whose publish replays the waiting
# documents first, then writes the fresh set, switches the pointer and deletes the older sets.
published_sets_fallback_sensor = fallback_replay_sensor(
    "published_sets_fallback_sensor",
    {("recommendations_database", "als_top_n"): "user_recommendations",
     ("recommendations_database", "hybrid_top_n"): "hybrid_recommendations"},
    owner_of=lambda collection, doc: "popular_recommendations" if str(doc.get("model_version", "")).startswith(
        POPULARITY) else None)
