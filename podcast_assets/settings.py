"""Every deployment knob of the product as one typed object, and its reader for the environment.

Names follow the user's notes (``TOP_K``, ``LIKE_W``...) so that an environment that ran the
original scripts keeps working. Only ``definitions.py``, the CLI, the local stack and ``bench/``
call ``settings_from_env()``; ``resources/factory.py`` turns a ``Settings`` into resources,
and assets see nothing but those resources and their run config.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import get_type_hints
from urllib.parse import urlsplit

from podcast_assets.common import storage

LOCAL_PODCAST_INDEX_URL = "http://127.0.0.1:8765/api/1.0"
REAL_PODCAST_INDEX_URL = "https://api.podcastindex.org/api/1.0"


@dataclass(frozen=True)
class Settings:
    # where everything lives
    PODCAST_DATA_DIR: str = "./data"  # this process's files: scratch audio, model cache, local services
    # the durable files every process shares (Delta tables, transcript files, model versions, the keyword
    # index): a path or a URI (s3://bucket/prefix, gs://..., abfs://...); "" = PODCAST_DATA_DIR
    STORAGE_URI: str = ""
    KAFKA_BOOTSTRAP_SERVERS: str = "127.0.0.1:9092"
    KAFKA_BATCHING: bool = True
    KAFKA_MAX_MESSAGE_BYTES: int = 1_000_000  # the cluster's message.max.bytes: a larger message fails alone
    MONGO_URI: str = "mongodb://127.0.0.1:27017"
    MONGO_DB: str = "podcasts"
    MONGO_RECS_DB: str = "recommendations"
    MONGO_TIMEOUT_MS: int = 3000
    # Podcast Index: the local server unless a real key is given and no URL is set
    PODCAST_INDEX_URL: str = ""
    PODCAST_INDEX_API_KEY: str = field(default="local-key", repr=False)
    PODCAST_INDEX_API_SECRET: str = field(default="local-secret", repr=False)
    PODCAST_INDEX_RATE_PER_SEC: float = 1.0
    PODCAST_INDEX_TIMEOUT_SEC: float = 15.0
    PODCAST_INDEX_MAX_RETRIES: int = 5
    TRENDING_MAX: int = 50
    EPISODES_PER_SHOW: int = 1
    LANGUAGE_PREFIX: str = "en"
    # RSS and Atom feeds followed beside trending: URLs (comma separated) and/or an OPML file (path or URL);
    # both empty: the local sample index's own feeds when the Podcast Index is the local one, else none.
    # Either may name private feeds (a token in the URL): the only place such a URL rests (docs/private-feeds.md)
    FEEDS: str = field(default="", repr=False)
    FEEDS_OPML: str = field(default="", repr=False)
    FEED_POLL_SECONDS: int = 300  # how often the feed sensor asks each feed (a conditional GET)
    FEED_BACKLOG: int = 1  # episodes taken from a feed's first poll; later polls take every new item
    FEED_NEW_PER_POLL: int = 20  # at most this many new items of one feed per poll
    FEED_NEW_PER_DAY: int = 50  # and per day (rolling 24 h): a feed that rotates its guids cannot flood the catalog
    FEED_MAX_BYTES: int = 20 * 1024 * 1024
    FEED_TIMEOUT_SEC: float = 20.0  # the whole fetch of one feed: a feed that never ends is cut off here
    # Kafka topics
    TOPIC_EPISODE_METADATA: str = "episode-metadata"
    TOPIC_EPISODE_IDS: str = "episode-ids"
    TOPIC_TRANSCRIPTS: str = "transcripts-en"
    TOPIC_USER_EVENTS: str = "user-events"
    TOPIC_USER_EVENTS_DLQ: str = "user-events-dlq"
    TOPIC_PARTITIONS: int = 4
    # audio and transcription
    AUDIO_MAX_BYTES: int = 500 * 1024 * 1024
    AUDIO_TIMEOUT_SEC: float = 600.0  # the whole download: retries, redirects and a dripping body included
    AUDIO_MAX_MINUTES: float = 240.0  # longer audio is refused at decode
    AUDIO_ALLOWED_HOSTS: str = ""  # "host:port,..." a feed may point at on non-public addresses
    TRANSCRIPT_MAX_BYTES: int = 5 * 1024 * 1024
    KEEP_WAV: bool = False  # WAVs are removed once their transcript is committed (disk stays bounded)
    WHISPER_MODEL: str = "tiny.en"
    LANGUAGE_MODEL: str = "base"
    WHISPER_COMPUTE_TYPE: str = "int8"
    # chosen on the three tuning recordings (bench/tune_transcribe.py "project, beam"): beam 4 is best over
    # them together (the accented one gains 0.022 WER on beam 3), beam 5 loses on the first; greedy is faster
    # but lost 0.045 WER on the report recording (README)
    WHISPER_BEAM_SIZE: int = 4
    WHISPER_BATCH_SIZE: int = 8  # 30 s pieces encoded and decoded together
    WHISPER_THREADS: int = 0  # 0 = the cores this process may use, shared by TRANSCRIPTION_RUNS runs
    TRANSCRIPTION_RUNS: int = 2  # transcription runs at a time (the run queue's limit in dagster.yaml)
    TRANSCRIBE_BATCH: int = 8  # at most this many pending episodes per transcription run (models loaded once)
    USE_PUBLISHER_TRANSCRIPT: bool = True
    MIN_ENGLISH_PROBABILITY: float = 0.5
    # embeddings and KNN
    MODEL_NAME: str = "all-MiniLM-L6-v2"
    DEVICE: str = "cpu"
    BATCH_SIZE: int = 32
    MAX_TOKENS: int = 256
    OVERLAP: int = 32
    SAFETY_MARGIN: int = 8
    TOP_K: int = 5
    WITHIN_BATCH_IF_EMPTY: bool = True
    KNN_ENGINE: str = "local"  # local | spark
    # listener events
    SYNTHETIC_LISTENERS: bool = True  # the listener generator's schedule runs (turn off where real events arrive)
    LISTENERS_CRON: str = "*/10 * * * *"
    NUM_USERS: int = 50
    EVENTS_PER_USER: int = 40
    EVENTS_SEED: int = 7
    MALFORMED_SHARE: float = 0.0
    LIKE_W: float = 3.0
    COMPLETE_W: float = 2.0
    SKIP_W: float = -1.0
    PAUSE_SEC_CAP: float = 600.0
    # ALS
    ALS_ENGINE: str = "local"  # local | spark
    MODEL_VERSIONS_KEPT: int = 5  # older versions are removed (the newest that passed its check stays too)
    # chosen by bench/recs.py on a validation split of MovieLens's training period (never on its test
    # split): the best NDCG@10 of 90 settings; the README has the test figures and the other methods
    ALS_RANK: int = 256
    ALS_ITERATIONS: int = 15
    ALS_REG: float = 5.0
    ALS_ALPHA: float = 0.1
    ALS_CONFIDENCE: str = "linear"  # log: alpha * log1p(engagement); linear: alpha * engagement
    TOP_N: int = 10
    HYBRID_CONTENT_WEIGHT: float = 0.3
    MIN_HISTORY: int = 3
    # freshness: minutes after which a stage's assets show as failing their freshness policy
    # (runs/freshness.py says what each window covers)
    FRESHNESS_INGEST_MINUTES: float = 420.0
    FRESHNESS_TRANSCRIPTS_MINUTES: float = 1560.0
    FRESHNESS_SIMILARITIES_MINUTES: float = 1560.0
    FRESHNESS_ENGAGEMENT_MINUTES: float = 1560.0
    FRESHNESS_RECOMMENDATIONS_MINUTES: float = 1560.0
    # podcast-assets serve: loopback unless told otherwise (the API has no authentication of its own)
    SERVE_HOST: str = "127.0.0.1"
    SERVE_PORT: int = 8300
    SERVE_REFRESH_SECONDS: float = 5.0  # how often the API looks for a new version of the passages table
    # Episode steps on workers of other hosts (Dagster's celery executor): the broker's URL (redis://host:port/0);
    # "" = the local default, every step in its run worker. Workers: ``podcast-assets worker`` (runs/workers.py)
    CELERY_BROKER_URL: str = field(default="", repr=False)  # may hold a password
    CELERY_BACKEND_URL: str = field(default="", repr=False)  # where step results go; "" = the broker
    # Spark
    SPARK_MASTER: str = "local[*]"
    SPARK_CONF: str = ""  # "key=value,key=value"
    # the names of the fields whose value came from the environment (secrets there become dg.EnvVar)
    from_environment: frozenset = field(default=frozenset(), repr=False, compare=False)

    @property
    def data_dir(self) -> Path:
        return Path(self.PODCAST_DATA_DIR).expanduser().resolve()

    @property
    def storage_uri(self) -> str:
        return self.STORAGE_URI or str(self.data_dir)

    @property
    def delta_uri(self) -> str:
        return storage.join(self.storage_uri, "delta")

    @property
    def delta_dir(self) -> Path:
        """The Delta tables' folder where they are local (tests and local tools)."""
        if not storage.is_local(self.delta_uri):
            raise ValueError(f"the Delta tables are not local: {self.delta_uri}")
        return Path(self.delta_uri.removeprefix("file://"))

    def delta_path(self, table: str) -> str:
        return storage.join(self.delta_uri, table)

    @property
    def podcast_index_url(self) -> str:
        if self.PODCAST_INDEX_URL:
            return self.PODCAST_INDEX_URL.rstrip("/")
        real_key = {"PODCAST_INDEX_API_KEY", "PODCAST_INDEX_API_SECRET"} <= self.from_environment
        return REAL_PODCAST_INDEX_URL if real_key else LOCAL_PODCAST_INDEX_URL

    @property
    def audio_allowed_hosts(self) -> list[str]:
        """``AUDIO_ALLOWED_HOSTS``, else the host:port of a Podcast Index on a non-public address (the
        local sample index serves its own audio); else none."""
        if self.AUDIO_ALLOWED_HOSTS:
            return [h.strip().lower() for h in self.AUDIO_ALLOWED_HOSTS.split(",") if h.strip()]
        parts = urlsplit(self.podcast_index_url)
        host, port = (parts.hostname or "").lower(), parts.port or (443 if parts.scheme == "https" else 80)
        return [f"{host}:{port}"] if _local_host(host) else []

    @property
    def feeds_opml(self) -> str:
        """``FEEDS_OPML``; with neither it nor ``FEEDS`` set and the Podcast Index on this machine (the local
        sample index), that server's OPML of its shows, so the local default follows feeds too."""
        if self.FEEDS_OPML or self.FEEDS:
            return self.FEEDS_OPML
        host = (urlsplit(self.podcast_index_url).hostname or "").lower()
        return self.podcast_index_url.rsplit("/api/", 1)[0] + "/feeds.opml" if _local_host(host) else ""

    @property
    def spark_conf(self) -> dict[str, str]:
        pairs = [p.split("=", 1) for p in self.SPARK_CONF.split(",") if "=" in p]
        return {k.strip(): v.strip() for k, v in pairs}

    @property
    def on_workers(self) -> bool:
        """Whether the episode jobs' steps run on celery workers (``CELERY_BROKER_URL`` set)."""
        return bool(self.CELERY_BROKER_URL)

    def replace(self, **changes) -> Settings:
        return dataclasses.replace(self, **changes)


def _local_host(host: str) -> bool:
    """An address literal or localhost that is not public (no DNS lookup: settings are read at import)."""
    try:
        return host == "localhost" or not ipaddress.ip_address(host).is_global
    except ValueError:
        return False


def _convert(raw: str, kind: type):
    if kind is bool:
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"expected a boolean, got {raw!r}")
    return kind(raw)


def settings_from_env(environ=None, **overrides) -> Settings:
    """Settings from ``environ`` (default ``os.environ``); ``overrides`` win. Reads, never writes."""
    environ = os.environ if environ is None else environ
    hints = get_type_hints(Settings)
    values, seen = {}, set()
    for f in fields(Settings):
        raw = environ.get(f.name)
        if f.name == "from_environment" or raw in (None, ""):
            continue
        try:
            values[f.name] = _convert(raw, hints[f.name])
        except ValueError as exc:
            raise ValueError(f"environment variable {f.name}: {exc}") from None
        seen.add(f.name)
    values.update(overrides)
    return Settings(**values, from_environment=frozenset(seen - set(overrides)))


# the defaults, in one place: resource fields take theirs from here (resources/*.py)
DEFAULTS = Settings()
