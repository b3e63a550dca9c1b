"""Per-episode assets: the audio as WAV mono 16 kHz, and its transcript (Delta, files, Kafka)."""

import datetime as dt
import json
from pathlib import Path

import dagster as dg
import pyarrow as pa
import requests

from podcast_assets.core.audio import AudioError, download, to_wav16k
from podcast_assets.core.delta_upsert import upsert
from podcast_assets.core.episode_store import find_episode
from podcast_assets.core.names import unique_name
from podcast_assets.core.transcript_formats import to_podcast_json, to_vtt
from podcast_assets.core.transcription import NotEnglishAudio
from podcast_assets.resources.delta import DeltaTables
from podcast_assets.resources.kafka import KafkaResource
from podcast_assets.resources.mongo import MongoResource
from podcast_assets.resources.whisper import WhisperResource
from podcast_assets.settings import get_settings

episode_partitions = dg.DynamicPartitionsDefinition(name="episodes")

TRANSCRIPT_SCHEMA = pa.schema([
    ("episode_id", pa.string()), ("podcast_title", pa.string()), ("episode_title", pa.string()),
    ("transcript", pa.string()), ("date", pa.string()), ("status", pa.string()), ("language", pa.string()),
    ("language_probability", pa.float64()), ("duration", pa.float64()), ("model", pa.string()),
    ("source", pa.string()), ("file_stem", pa.string()), ("created_at", pa.timestamp("us", "UTC")),
    ("analyzed", pa.bool_()), ("analyzed_at", pa.string()),
])


def wav_path(episode_id: str) -> Path:
    return get_settings().data_dir / "audio" / f"{episode_id}.wav"


class EpisodeConfig(dg.Config):
    episode_json: str = ""  # the episode-metadata message; empty: look the episode up in Delta / MongoDB


def _episode(delta: DeltaTables, mongo: MongoResource, episode_id: str, config: EpisodeConfig | None = None) -> dict:
    if config is not None and config.episode_json:
        doc = json.loads(config.episode_json)
        if str(doc.get("episode_id")) == episode_id:
            return doc
    with mongo.client() as client:
        found = find_episode(delta.uri("episodes"), client, episode_id)
    if not found:
        raise dg.Failure(f"episode {episode_id} is in neither the episodes table nor the Mongo catalog")
    return found


@dg.asset(partitions_def=episode_partitions, group_name="transcripts", deps=["episodes"], kinds={"ffmpeg"})
def episode_audio(context: dg.AssetExecutionContext, config: EpisodeConfig, delta: DeltaTables,
                  mongo: MongoResource) -> dg.MaterializeResult:
    """The episode's audio, downloaded (capped, atomic) and converted to WAV mono 16 kHz."""
    s = get_settings()
    episode_id = context.partition_key
    ep = _episode(delta, mongo, episode_id, config)
    raw = s.data_dir / "audio" / "raw" / f"{episode_id}.download"
    try:
        download(ep["audio_url"], raw, max_bytes=s.AUDIO_MAX_BYTES, timeout=s.AUDIO_TIMEOUT_SEC)
        size = raw.stat().st_size
        duration = to_wav16k(raw, wav_path(episode_id))
    except AudioError as exc:
        raise dg.Failure(f"episode {episode_id} ({ep.get('episode_title')!r}): {exc}",
                         metadata={"audio_url": ep.get("audio_url", "")}) from None
    finally:
        raw.unlink(missing_ok=True)
    context.log.info(f"episode {episode_id}: {size} bytes downloaded, {duration:.1f} s of audio")
    return dg.MaterializeResult(metadata={"downloaded_bytes": size, "duration_sec": duration,
                                          "wav": str(wav_path(episode_id)), "audio_url": ep["audio_url"]})


def _publisher_transcript(ep: dict) -> tuple[str, str] | None:
    url, kind = ep.get("transcript_url") or "", ep.get("transcript_type") or ""
    if not url or not get_settings().USE_PUBLISHER_TRANSCRIPT:
        return None
    try:
        resp = requests.get(url, timeout=15)
        resp.raise_for_status()
        return resp.text[:5_000_000], kind
    except requests.RequestException:
        return None  # an unreachable publisher transcript is not fatal: we transcribe instead


def _taken_names(delta: DeltaTables) -> dict[str, str]:
    rows = delta.pandas("transcripts", ["episode_id", "file_stem"])
    return dict(zip(rows["file_stem"], rows["episode_id"]))


@dg.asset(partitions_def=episode_partitions, group_name="transcripts", deps=[episode_audio],
          kinds={"deltalake", "kafka"})
def transcripts(context: dg.AssetExecutionContext, config: EpisodeConfig, whisper: WhisperResource,
                delta: DeltaTables, mongo: MongoResource, kafka: KafkaResource) -> dg.MaterializeResult:
    """The episode's transcript: a row in Delta ``transcripts`` (replaced on re-runs), JSON, WebVTT and
    Podcasting 2.0 JSON files under ``transcripts/``, and a message on ``transcripts-en``."""
    s = get_settings()
    episode_id = context.partition_key
    ep = _episode(delta, mongo, episode_id, config)
    wav = wav_path(episode_id)
    if not wav.exists():
        raise dg.Failure(f"no audio for episode {episode_id} at {wav}: materialise episode_audio first")
    service = whisper.service()
    now = dt.datetime.now(dt.timezone.utc)
    row = {"episode_id": episode_id, "podcast_title": ep.get("podcast_title", ""),
           "episode_title": ep.get("episode_title", ""), "date": now.date().isoformat(), "created_at": now,
           "analyzed": False, "analyzed_at": None}
    try:
        result = service.transcribe(wav, publisher=_publisher_transcript(ep), progress=context.log.info)
    except NotEnglishAudio as skip:
        context.log.warning(f"episode {episode_id}: {skip}; recorded as skipped, not transcribed")
        row.update(transcript="", status="skipped_not_english", language=skip.language,
                   language_probability=skip.probability, duration=0.0, model=whisper.language_model,
                   source="none", file_stem="")
        upsert(delta.uri("transcripts"), pa.Table.from_pylist([row], TRANSCRIPT_SCHEMA), "episode_id")
        return dg.MaterializeResult(metadata={"status": "skipped_not_english", "language": skip.language,
                                              "language_probability": skip.probability})
    finally:
        service.close()
    stem = unique_name(row["episode_title"] or episode_id, episode_id, _taken_names(delta))
    out = s.data_dir / "transcripts"
    out.mkdir(parents=True, exist_ok=True)
    files = {"json": out / f"{stem}.json", "vtt": out / f"{stem}.vtt", "podcast_json": out / f"{stem}.podcast.json"}
    payload = {"episode_id": episode_id, "podcast_title": row["podcast_title"], "episode_title": row["episode_title"],
               "model": result.model, "source": result.source, **result.as_dict()}
    for kind, text in (("json", json.dumps(payload, indent=1)), ("vtt", to_vtt(result.segments)),
                       ("podcast_json", to_podcast_json(result.segments))):
        tmp = files[kind].with_suffix(".tmp")
        tmp.write_text(text)
        tmp.replace(files[kind])
    row.update(transcript=result.text, status="transcribed", language=result.language,
               language_probability=result.language_probability, duration=result.duration, model=result.model,
               source=result.source, file_stem=stem)
    upsert(delta.uri("transcripts"), pa.Table.from_pylist([row], TRANSCRIPT_SCHEMA), "episode_id")
    kafka.ensure_topics([s.TOPIC_TRANSCRIPTS], s.TOPIC_PARTITIONS)
    kafka.publish(s.TOPIC_TRANSCRIPTS, [(episode_id, {
        "episode_id": episode_id, "episode_title": row["episode_title"], "json_path": str(files["json"]),
        "vtt_path": str(files["vtt"]), "delta_table": delta.uri("transcripts"), "language": result.language})])
    words = len(result.text.split())
    context.log.info(f"episode {episode_id}: {words} words from {result.source} ({result.duration:.0f} s audio)")
    return dg.MaterializeResult(metadata={
        "status": "transcribed", "words": words, "source": result.source, "model": result.model,
        "language": result.language, "language_probability": result.language_probability,
        "duration_sec": result.duration, "json": str(files["json"]), "vtt": str(files["vtt"]),
        "preview": dg.MetadataValue.md(f"> {result.text[:400]}")})
