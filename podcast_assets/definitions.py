"""The one Definitions object of the code location."""

import dagster as dg

from podcast_assets.assets import ingest, transcripts
from podcast_assets.jobs import episode_transcription_job, ingest_job
from podcast_assets.resources.factory import build_resources
from podcast_assets.sensors import episode_metadata_sensor
from podcast_assets.settings import get_settings

settings = get_settings()

defs = dg.Definitions(
    assets=dg.load_assets_from_modules([ingest, transcripts]),
    jobs=[ingest_job, episode_transcription_job],
    sensors=[episode_metadata_sensor],
    resources=build_resources(settings),
)
