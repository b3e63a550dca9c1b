"""The one Definitions object of the code location, and the one place that reads the environment."""

import dagster as dg

from podcast_assets.events import assets as events_assets
from podcast_assets.events import checks as events_checks
from podcast_assets.events import sensors as events_sensors
from podcast_assets.ingest import assets as ingest_assets
from podcast_assets.ingest import checks as ingest_checks
from podcast_assets.ingest import sensors as ingest_sensors
from podcast_assets.recommendations import assets as recommendations_assets
from podcast_assets.recommendations import checks as recommendations_checks
from podcast_assets.recommendations import sensors as recommendations_sensors
from podcast_assets.resources.factory import build_resources
from podcast_assets.runs import sensors as runs_sensors
from podcast_assets.runs.freshness import with_freshness
from podcast_assets.runs.workers import celery_workers_executor
from podcast_assets.search import assets as search_assets
from podcast_assets.search import checks as search_checks
from podcast_assets.settings import settings_from_env
from podcast_assets.similarities import assets as similarities_assets
from podcast_assets.similarities import checks as similarities_checks
from podcast_assets.transcripts import assets as transcripts_assets
from podcast_assets.transcripts import checks as transcripts_checks
from podcast_assets.transcripts import sensors as transcripts_sensors

settings = settings_from_env()
# the episode lanes' steps: in their run worker (the local default), or on celery workers (CELERY_BROKER_URL)
download_job, transcription_job = transcripts_sensors.episode_jobs(
    celery_workers_executor(settings) if settings.on_workers else None)

assets = dg.load_assets_from_modules([ingest_assets, transcripts_assets, similarities_assets, search_assets,
                                     events_assets, recommendations_assets])

defs = dg.Definitions(
    assets=with_freshness(events_sensors.with_first_listeners(assets, settings.SYNTHETIC_LISTENERS), {
        "ingest": settings.FRESHNESS_INGEST_MINUTES, "transcripts": settings.FRESHNESS_TRANSCRIPTS_MINUTES,
        "similarities": settings.FRESHNESS_SIMILARITIES_MINUTES, "engagement": settings.FRESHNESS_ENGAGEMENT_MINUTES,
        "recommendations": settings.FRESHNESS_RECOMMENDATIONS_MINUTES}),
    asset_checks=dg.load_asset_checks_from_modules([ingest_checks, transcripts_checks, similarities_checks, search_checks,
                                                    events_checks, recommendations_checks]),
    jobs=[ingest_sensors.ingest_job, ingest_sensors.feed_episodes_job, download_job, transcription_job,
          events_sensors.user_events_ingest_job, events_sensors.user_events_job, events_sensors.daily_engagement_job,
          recommendations_sensors.recommendations_job],
    schedules=[recommendations_sensors.daily_retrain_schedule,
               events_sensors.listener_events_schedule(settings.LISTENERS_CRON, settings.SYNTHETIC_LISTENERS)],
    sensors=[runs_sensors.automation_sensor, runs_sensors.run_failure_sensor,
             *transcripts_sensors.episode_sensors(download_job, transcription_job),
             ingest_sensors.feed_poll_sensor(settings.FEED_POLL_SECONDS), events_sensors.user_events_sensor,
             events_sensors.daily_engagement_sensor, recommendations_sensors.retrain_on_engagement_sensor,
             runs_sensors.mongo_fallback_sensor, recommendations_sensors.published_sets_fallback_sensor],
    resources=build_resources(settings),
    # Every asset carries its contract checks, and each step of the default multiprocess executor is a
    # process that imports the whole project again (seconds each on a small machine): runs execute their
    # steps in the run worker instead. The exactly-once ingestion job keeps a process per step
    # (events/sensors.py).
    executor=dg.in_process_executor,
)
