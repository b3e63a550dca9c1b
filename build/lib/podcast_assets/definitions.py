"""The one Definitions object of the code location."""

import dagster as dg

from podcast_assets import jobs
from podcast_assets.assets import events, ingest, recommender, similarities, transcripts
from podcast_assets.resources.factory import build_resources
from podcast_assets.sensors import (
    daily_engagement_sensor, episode_metadata_sensor, retrain_on_engagement_sensor, user_events_sensor)
from podcast_assets.settings import get_settings

settings = get_settings()

defs = dg.Definitions(
    assets=dg.load_assets_from_modules([ingest, transcripts, similarities, events, recommender]),
    asset_checks=[recommender.als_beats_popularity],
    jobs=[jobs.ingest_job, jobs.episode_transcription_job, jobs.user_events_ingest_job, jobs.daily_engagement_job,
          jobs.recommendations_job],
    schedules=[jobs.daily_retrain_schedule],
    sensors=[episode_metadata_sensor, user_events_sensor, daily_engagement_sensor, retrain_on_engagement_sensor],
    resources=build_resources(settings),
)
