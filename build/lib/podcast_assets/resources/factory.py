"""Every resource and IO manager, built from one Settings object (the local default or production)."""

from __future__ import annotations

import os

import dagster as dg

from podcast_assets.io_managers.delta import delta_io_manager
from podcast_assets.io_managers.mongo import MongoIOManager
from podcast_assets.resources.delta import DeltaTables
from podcast_assets.resources.embedder import EmbedderResource
from podcast_assets.resources.kafka import KafkaResource
from podcast_assets.resources.mongo import MongoResource
from podcast_assets.resources.podcast_index import PodcastIndexResource
from podcast_assets.resources.spark import spark_resource
from podcast_assets.resources.whisper import WhisperResource
from podcast_assets.settings import Settings


def from_env(name: str, value: str):
    """``dg.EnvVar`` when the value came from the environment: the UI and run records then show the
    variable's name, never a key, secret or credentialed URI."""
    return dg.EnvVar(name) if os.environ.get(name) == value and value else value


def build_resources(settings: Settings) -> dict:
    mongo = MongoResource(uri=from_env("MONGO_URI", settings.MONGO_URI), timeout_ms=settings.MONGO_TIMEOUT_MS)
    resources = {
        "kafka": KafkaResource(bootstrap_servers=settings.KAFKA_BOOTSTRAP_SERVERS, batching=settings.KAFKA_BATCHING),
        "mongo": mongo,
        "delta": DeltaTables(root=str(settings.delta_dir)),
        "spark": spark_resource(settings),
        "podcast_index": PodcastIndexResource(
            base_url=settings.podcast_index_url, api_key=from_env("PODCAST_INDEX_API_KEY", settings.PODCAST_INDEX_API_KEY),
            api_secret=from_env("PODCAST_INDEX_API_SECRET", settings.PODCAST_INDEX_API_SECRET), rate_per_sec=settings.PODCAST_INDEX_RATE_PER_SEC,
            timeout_sec=settings.PODCAST_INDEX_TIMEOUT_SEC, max_retries=settings.PODCAST_INDEX_MAX_RETRIES),
        "whisper": WhisperResource(
            model=settings.WHISPER_MODEL, language_model=settings.LANGUAGE_MODEL,
            compute_type=settings.WHISPER_COMPUTE_TYPE, beam_size=settings.WHISPER_BEAM_SIZE,
            chunk_minutes=settings.CHUNK_MINUTES, workers=settings.TRANSCRIBE_WORKERS,
            min_english_probability=settings.MIN_ENGLISH_PROBABILITY, cache_dir=str(settings.data_dir / "models")),
        "embedder": EmbedderResource(
            model_name=settings.MODEL_NAME, device=settings.DEVICE, batch_size=settings.BATCH_SIZE,
            max_tokens=settings.MAX_TOKENS, overlap=settings.OVERLAP, safety_margin=settings.SAFETY_MARGIN),
        "io_manager": delta_io_manager(settings),
        "mongo_io_manager": MongoIOManager(mongo=mongo, delta_dir=str(settings.delta_dir)),
    }
    return resources
