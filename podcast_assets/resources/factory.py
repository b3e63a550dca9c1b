"""Every resource and IO manager of a deployment, built from one ``Settings`` (local default or production).

Reads no environment: ``definitions.py`` passes the settings it read. A secret or credentialed URI
that came from the environment is handed over as ``dg.EnvVar``, so Dagster shows its name, never
its value.
"""

from __future__ import annotations

import dagster as dg

from podcast_assets.resources.delta import DataDir, DeltaTables
from podcast_assets.resources.embedder import EmbedderResource
from podcast_assets.resources.engines import AlsEngine, KnnEngine, SparkAlsEngine, SparkKnnEngine
from podcast_assets.resources.feeds import FeedFetcherResource, FeedListResource
from podcast_assets.resources.io_managers import MongoIOManager, delta_io_manager
from podcast_assets.resources.kafka import KafkaResource
from podcast_assets.resources.listeners import ListenerEventsResource
from podcast_assets.resources.mongo import MongoResource
from podcast_assets.resources.podcast_index import PodcastIndexResource
from podcast_assets.resources.spark import spark_resource
from podcast_assets.resources.whisper import WhisperResource
from podcast_assets.settings import Settings

ENGINES = ("local", "spark")


def secret(settings: Settings, name: str):
    """``dg.EnvVar(name)`` when the value came from the environment, else the value itself."""
    return dg.EnvVar(name) if name in settings.from_environment else getattr(settings, name)


def _engine(name: str, switch: str) -> str:
    if name not in ENGINES:
        raise ValueError(f"{switch}={name!r}: expected one of {', '.join(ENGINES)}")
    return name


def build_resources(s: Settings) -> dict:
    mongo = MongoResource(uri=secret(s, "MONGO_URI"), timeout_ms=s.MONGO_TIMEOUT_MS, database=s.MONGO_DB,
                          recommendations_database=s.MONGO_RECS_DB, fallback_dir=s.delta_uri)
    spark = spark_resource(s.SPARK_MASTER, s.spark_conf)
    knn = {"top_k": s.TOP_K, "within_batch_if_empty": s.WITHIN_BATCH_IF_EMPTY}
    als = {"rank": s.ALS_RANK, "iterations": s.ALS_ITERATIONS, "reg": s.ALS_REG, "alpha": s.ALS_ALPHA,
           "confidence": s.ALS_CONFIDENCE, "top_n": s.TOP_N, "hybrid_content_weight": s.HYBRID_CONTENT_WEIGHT,
           "min_history": s.MIN_HISTORY, "versions_kept": s.MODEL_VERSIONS_KEPT}
    return {
        "kafka": KafkaResource(
            bootstrap_servers=s.KAFKA_BOOTSTRAP_SERVERS, batching=s.KAFKA_BATCHING,
            episode_metadata_topic=s.TOPIC_EPISODE_METADATA, episode_ids_topic=s.TOPIC_EPISODE_IDS,
            transcripts_topic=s.TOPIC_TRANSCRIPTS, user_events_topic=s.TOPIC_USER_EVENTS,
            user_events_dlq_topic=s.TOPIC_USER_EVENTS_DLQ, topic_partitions=s.TOPIC_PARTITIONS,
            max_message_bytes=s.KAFKA_MAX_MESSAGE_BYTES),
        "mongo": mongo,
        "delta": DeltaTables(root=s.delta_uri),
        "files": DataDir(path=str(s.data_dir), storage_uri=s.storage_uri, keep_wav=s.KEEP_WAV,
                         stage_audio=s.on_workers),
        "podcast_index": PodcastIndexResource(
            base_url=s.podcast_index_url, api_key=secret(s, "PODCAST_INDEX_API_KEY"),
            api_secret=secret(s, "PODCAST_INDEX_API_SECRET"), rate_per_sec=s.PODCAST_INDEX_RATE_PER_SEC,
            timeout_sec=s.PODCAST_INDEX_TIMEOUT_SEC, max_retries=s.PODCAST_INDEX_MAX_RETRIES,
            trending_max=s.TRENDING_MAX, language_prefix=s.LANGUAGE_PREFIX, episodes_per_show=s.EPISODES_PER_SHOW),
        "feeds": FeedFetcherResource(max_audio_bytes=s.AUDIO_MAX_BYTES, audio_timeout_sec=s.AUDIO_TIMEOUT_SEC,
                                     max_audio_minutes=s.AUDIO_MAX_MINUTES, max_transcript_bytes=s.TRANSCRIPT_MAX_BYTES,
                                     max_feed_bytes=s.FEED_MAX_BYTES, feed_timeout_sec=s.FEED_TIMEOUT_SEC,
                                     allowed_hosts=s.audio_allowed_hosts),
        # a private feed's URL is a credential: from the environment, Dagster sees only the variables' names
        "feed_list": FeedListResource(urls=secret(s, "FEEDS"),
                                      opml=dg.EnvVar("FEEDS_OPML") if "FEEDS_OPML" in s.from_environment else s.feeds_opml,
                                      backlog=s.FEED_BACKLOG, new_per_poll=s.FEED_NEW_PER_POLL,
                                      new_per_day=s.FEED_NEW_PER_DAY, language_prefix=s.LANGUAGE_PREFIX),
        "whisper": WhisperResource(
            model=s.WHISPER_MODEL, language_model=s.LANGUAGE_MODEL, compute_type=s.WHISPER_COMPUTE_TYPE,
            beam_size=s.WHISPER_BEAM_SIZE, batch_size=s.WHISPER_BATCH_SIZE,
            threads=s.WHISPER_THREADS, transcription_runs=s.TRANSCRIPTION_RUNS, episodes_per_run=s.TRANSCRIBE_BATCH,
            min_english_probability=s.MIN_ENGLISH_PROBABILITY, use_publisher_transcript=s.USE_PUBLISHER_TRANSCRIPT,
            cache_dir=str(s.data_dir / "models")),
        "embedder": EmbedderResource(
            model_name=s.MODEL_NAME, device=s.DEVICE, batch_size=s.BATCH_SIZE,
            max_tokens=s.MAX_TOKENS, overlap=s.OVERLAP, safety_margin=s.SAFETY_MARGIN),
        "listeners": ListenerEventsResource(
            num_users=s.NUM_USERS, events_per_user=s.EVENTS_PER_USER, users_seed=s.EVENTS_SEED,
            malformed_share=s.MALFORMED_SHARE, like_w=s.LIKE_W, complete_w=s.COMPLETE_W, skip_w=s.SKIP_W,
            pause_sec_cap=s.PAUSE_SEC_CAP),
        "knn": SparkKnnEngine(spark=spark, **knn) if _engine(s.KNN_ENGINE, "KNN_ENGINE") == "spark"
        else KnnEngine(**knn),
        "als": SparkAlsEngine(spark=spark, **als) if _engine(s.ALS_ENGINE, "ALS_ENGINE") == "spark"
        else AlsEngine(**als),
        "io_manager": delta_io_manager(s.delta_uri),
        "mongo_io_manager": MongoIOManager(mongo=mongo),
    }


def resources_outside_runs(settings: Settings, *keys: str) -> dict:
    """The named resources with their ``dg.EnvVar`` fields resolved, for code that is not a Dagster run
    (the CLI, the demo's summary): Dagster resolves them only inside runs."""
    built = build_resources(settings)
    return {key: built[key].process_config_and_initialize() for key in keys}
