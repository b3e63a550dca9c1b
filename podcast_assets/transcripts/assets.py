"""Per-episode assets: the audio as WAV mono 16 kHz, and its transcript (Delta, files, Kafka)."""

import datetime as dt
import json
from pathlib import Path

import dagster as dg
import pyarrow as pa

from podcast_assets.common.delta_writes import upsert
from podcast_assets.common.ids import is_episode_id
from podcast_assets.resources.delta import DataDir, DeltaTables
from podcast_assets.resources.feeds import FeedFetcherResource
from podcast_assets.resources.kafka import KafkaResource
from podcast_assets.resources.mongo import UNAVAILABLE, MongoResource
from podcast_assets.resources.whisper import WhisperResource
from podcast_assets.transcripts.audio import to_wav16k
from podcast_assets.transcripts.fetch import AudioError, TransientAudioError, redact
from podcast_assets.transcripts.file_names import unique_name
from podcast_assets.transcripts.formats import to_podcast_json, to_vtt
from podcast_assets.transcripts.language import NotEnglishAudio

episode_partitions = dg.DynamicPartitionsDefinition(name="episodes")

TRANSCRIPT_SCHEMA = pa.schema([
    ("episode_id", pa.string()), ("podcast_title", pa.string()), ("episode_title", pa.string()),
    ("transcript", pa.string()), ("date", pa.string()), ("status", pa.string()), ("language", pa.string()),
    ("language_probability", pa.float64()), ("duration", pa.float64()), ("model", pa.string()),
    ("source", pa.string()), ("file_stem", pa.string()), ("created_at", pa.timestamp("us", "UTC")),
    ("analyzed", pa.bool_()), ("analyzed_at", pa.string()),
])


# a network blip, a server that asked us to come back: a few more tries before the episode is failed
TRANSIENT = dg.RetryPolicy(max_retries=2, delay=15, backoff=dg.Backoff.EXPONENTIAL)


class EpisodeConfig(dg.Config):
    episode_json: str = ""  # the episode-metadata message; empty: look the episode up in Delta / MongoDB


def _episode(delta: DeltaTables, mongo: MongoResource, episode_id: str, config: EpisodeConfig) -> dict:
    """The message the sensor passed, else the Delta ``episodes`` table, else the Mongo catalog."""
    if config.episode_json:
        doc = json.loads(config.episode_json)
        if str(doc.get("episode_id")) == episode_id:
            return doc
    rows = delta.arrow("episodes", filters=[("episode_id", "=", episode_id)])
    if rows is not None and rows.num_rows:
        return rows.to_pylist()[-1]
    try:
        docs = mongo.find(mongo.database, "episodes", {"episode_id": episode_id}, limit=1)
    except UNAVAILABLE:
        docs = []
    if not docs:
        raise dg.Failure(f"episode {episode_id} is in neither the episodes table nor the Mongo catalog")
    return {k: v for k, v in docs[0].items() if k != "_id"}


def episode_key(context: dg.AssetExecutionContext) -> str:
    """The partition key, checked before it names a file or a query (only the sensor checked it before)."""
    if not is_episode_id(context.partition_key):
        raise dg.Failure(f"refused: partition key {context.partition_key[:80]!r} is not an episode id "
                         "(letters, digits, - and _ only)", allow_retries=False)
    return context.partition_key


def _wav(files: DataDir, episode_id: str) -> Path:
    return files.folder("audio") / f"{episode_id}.wav"


def _outcome_row(ep: dict, episode_id: str, status: str, **fields) -> dict:
    now = dt.datetime.now(dt.UTC)
    return {"episode_id": episode_id, "podcast_title": ep.get("podcast_title", ""),
            "episode_title": ep.get("episode_title", ""), "date": now.date().isoformat(), "created_at": now,
            "analyzed": False, "analyzed_at": None, "status": status, "transcript": "", "language": "",
            "language_probability": 0.0, "duration": 0.0, "model": "", "source": "none", "file_stem": "", **fields}


def _record(delta: DeltaTables, row: dict) -> None:
    """The episode's outcome as its one row of ``transcripts`` (the episode status table), replacing any earlier."""
    upsert(delta.uri("transcripts"), pa.Table.from_pylist([row], TRANSCRIPT_SCHEMA), "episode_id")


def fetch_wav(delta: DeltaTables, files: DataDir, feeds: FeedFetcherResource, episode_id: str,
              ep: dict) -> tuple[int, float]:
    """Download (capped, atomic) and convert to WAV mono 16 kHz. A failure is recorded as the episode's outcome
    (``failed: <reason>``) and raised in one line; only transient ones are retried (``TRANSIENT``)."""
    raw = files.folder("audio", "raw") / f"{episode_id}.download"
    try:
        feeds.download_audio(ep["audio_url"], raw)
        size = raw.stat().st_size
        return size, to_wav16k(raw, _wav(files, episode_id), feeds.max_audio_minutes)
    except AudioError as exc:
        _record(delta, _outcome_row(ep, episode_id, f"failed: {exc}"))
        raise dg.Failure(f"episode {episode_id} ({ep.get('episode_title')!r}): {exc}",
                         metadata={"audio_url": redact(ep.get("audio_url", ""))},
                         allow_retries=isinstance(exc, TransientAudioError)) from None
    finally:
        raw.unlink(missing_ok=True)


@dg.asset(partitions_def=episode_partitions, group_name="transcripts", deps=["episodes"], kinds={"ffmpeg"},
          retry_policy=TRANSIENT)
def episode_audio(context: dg.AssetExecutionContext, config: EpisodeConfig, delta: DeltaTables,
                  mongo: MongoResource, files: DataDir, feeds: FeedFetcherResource) -> dg.MaterializeResult:
    """The episode's audio, downloaded (capped, atomic) and converted to WAV mono 16 kHz; removed again once
    its transcript is committed (unless ``KEEP_WAV``)."""
    episode_id = episode_key(context)
    ep = _episode(delta, mongo, episode_id, config)
    size, duration = fetch_wav(delta, files, feeds, episode_id, ep)
    context.log.info(f"episode {episode_id}: {size} bytes downloaded, {duration:.1f} s of audio")
    return dg.MaterializeResult(metadata={"downloaded_bytes": size, "duration_sec": duration,
                                          "wav": str(_wav(files, episode_id)), "audio_url": redact(ep["audio_url"])})


def _remove_wav(files: DataDir, wav: Path) -> None:
    """Once the outcome is committed the WAV has done its job (a re-run fetches it again)."""
    if not files.keep_wav:
        wav.unlink(missing_ok=True)


def _taken_names(delta: DeltaTables) -> dict[str, str]:
    rows = delta.pandas("transcripts", ["episode_id", "file_stem"])
    return dict(zip(rows["file_stem"], rows["episode_id"]))


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.replace(path)


@dg.asset(partitions_def=episode_partitions, group_name="transcripts", deps=[episode_audio],
          kinds={"deltalake", "kafka"}, retry_policy=TRANSIENT)
def transcripts(context: dg.AssetExecutionContext, config: EpisodeConfig, whisper: WhisperResource,
                feeds: FeedFetcherResource, delta: DeltaTables, files: DataDir, mongo: MongoResource,
                kafka: KafkaResource) -> dg.MaterializeResult:
    """The episode's transcript: a row in Delta ``transcripts`` (replaced on re-runs), JSON, WebVTT and
    Podcasting 2.0 JSON files under ``transcripts/``, and a message on ``transcripts-en``."""
    episode_id = episode_key(context)
    ep = _episode(delta, mongo, episode_id, config)
    wav = _wav(files, episode_id)
    if not wav.exists():  # removed after an earlier transcript: fetch it again
        context.log.info(f"episode {episode_id}: no WAV at {wav} (removed after its last transcript), fetching again")
        fetch_wav(delta, files, feeds, episode_id, ep)
    publisher = None
    if whisper.use_publisher_transcript and ep.get("transcript_url"):
        text, why = feeds.transcript_text(ep["transcript_url"])
        publisher = (text, ep.get("transcript_type") or "") if text is not None else None
        if text is None:
            context.log.info(f"episode {episode_id}: publisher transcript not used ({why}); transcribing")
    pipeline = whisper.pipeline()
    row = _outcome_row(ep, episode_id, "transcribed")
    try:
        result = pipeline.transcribe(wav, publisher=publisher, progress=context.log.info)
    except NotEnglishAudio as skip:
        context.log.warning(f"episode {episode_id}: {skip}; recorded as skipped, not transcribed")
        _record(delta, {**row, "status": "skipped_not_english", "language": skip.language,
                        "language_probability": skip.probability, "model": whisper.language_model})
        _remove_wav(files, wav)
        return dg.MaterializeResult(metadata={"status": "skipped_not_english", "language": skip.language,
                                              "language_probability": skip.probability})
    finally:
        pipeline.close()
    stem = unique_name(row["episode_title"] or episode_id, episode_id, _taken_names(delta))
    out = files.folder("transcripts")
    paths = {"json": out / f"{stem}.json", "vtt": out / f"{stem}.vtt", "podcast_json": out / f"{stem}.podcast.json"}
    payload = {"episode_id": episode_id, "podcast_title": row["podcast_title"], "episode_title": row["episode_title"],
               "model": result.model, "source": result.source, **result.as_dict()}
    _write_atomically(paths["json"], json.dumps(payload, indent=1))
    _write_atomically(paths["vtt"], to_vtt(result.segments))
    _write_atomically(paths["podcast_json"], to_podcast_json(result.segments))
    row.update(transcript=result.text, status="transcribed", language=result.language,
               language_probability=result.language_probability, duration=result.duration, model=result.model,
               source=result.source, file_stem=stem)
    _record(delta, row)
    _remove_wav(files, wav)
    kafka.ensure_topics([kafka.transcripts_topic])
    kafka.publish(kafka.transcripts_topic, [(episode_id, {
        "episode_id": episode_id, "episode_title": row["episode_title"], "json_path": str(paths["json"]),
        "vtt_path": str(paths["vtt"]), "delta_table": delta.uri("transcripts"), "language": result.language})])
    words = len(result.text.split())
    context.log.info(f"episode {episode_id}: {words} words from {result.source} ({result.duration:.0f} s audio)")
    return dg.MaterializeResult(metadata={
        "status": "transcribed", "words": words, "source": result.source, "model": result.model,
        "language": result.language, "language_probability": result.language_probability,
        "duration_sec": result.duration, "json": str(paths["json"]), "vtt": str(paths["vtt"]),
        "preview": dg.MetadataValue.md(f"> {result.text[:400]}")})
