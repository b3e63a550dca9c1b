"""Jobs: the per-episode transcription (what the sensor launches) and the batch stages."""

import dagster as dg

from podcast_assets.assets.events import daily_engagement, days, user_events_raw
from podcast_assets.assets.transcripts import episode_audio, episode_partitions, transcripts

episode_transcription_job = dg.define_asset_job(
    "episode_transcription_job", selection=[episode_audio, transcripts], partitions_def=episode_partitions,
    description="Download, convert and transcribe one episode (one dynamic partition).")

ingest_job = dg.define_asset_job("ingest_job", selection=dg.AssetSelection.groups("ingest"),
                                 description="Trending shows and one episode each, to Delta, Kafka and MongoDB.")

user_events_ingest_job = dg.define_asset_job(
    "user_events_ingest_job", selection=[user_events_raw],
    description="Ingest one offset range of user-events exactly once (the range is in the run tags).")

daily_engagement_job = dg.define_asset_job("daily_engagement_job", selection=[daily_engagement], partitions_def=days)

recommendations_job = dg.define_asset_job(
    "recommendations_job", selection=dg.AssetSelection.groups("recommendations"),
    description="Retrain ALS on all daily engagement, then publish top-N and hybrid recommendations.")

daily_retrain_schedule = dg.ScheduleDefinition(
    name="daily_retrain_schedule", job=recommendations_job, cron_schedule="30 2 * * *",
    default_status=dg.DefaultScheduleStatus.RUNNING)
