"""Per-episode assets: the audio as WAV mono 16 kHz, and its transcript (Delta, files, Kafka)."""

import datetime as dt
import json
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import dagster as dg

from podcast_assets.common import storage
from podcast_assets.common.ids import is_episode_id
from podcast_assets.ingest.private import is_ref
from podcast_assets.resources.delta import DataDir, DeltaTables
from podcast_assets.resources.feeds import FeedFetcherResource, FeedListResource
from podcast_assets.resources.io_managers import table_schema
from podcast_assets.resources.kafka import KafkaResource
from podcast_assets.resources.mongo import UNAVAILABLE, MongoResource
from podcast_assets.resources.whisper import WhisperResource
from podcast_assets.transcripts.audio import to_wav16k
from podcast_assets.transcripts.audio_places import AudioPlaces
from podcast_assets.transcripts.fetch import AudioError, TransientAudioError, redact
from podcast_assets.transcripts.file_names import unique_name
from podcast_assets.transcripts.formats import to_podcast_json, to_vtt
from podcast_assets.transcripts.language import NotEnglishAudio
from podcast_assets.transcripts.messages import messages_by_id
from podcast_assets.transcripts.outcomes import TRANSCRIPT_SCHEMA, outcome_row, outcomes_since, record
from podcast_assets.transcripts.publisher_files import publisher_chapters, publisher_transcript, resolved

episode_partitions = dg.DynamicPartitionsDefinition(name="episodes")

# a network blip, a server that asked us to come back: a few more tries before the episode is failed
TRANSIENT = dg.RetryPolicy(max_retries=2, delay=15, backoff=dg.Backoff.EXPONENTIAL)
DOWNLOADS_AT_ONCE = 4  # a run's episodes downloaded side by side (each converted by its own ffmpeg)


class EpisodeConfig(dg.Config):
    # the episode-metadata message (or, for a run of several episodes, a JSON list of them); empty: look
    # each episode up in Delta / MongoDB
    episode_json: str = ""


def _messages(config: EpisodeConfig) -> dict[str, dict]:
    return messages_by_id(config.episode_json)


def _episode(delta: DeltaTables, mongo: MongoResource, episode_id: str, messages: dict[str, dict]) -> dict:
    """The message the sensor passed, else the Delta ``episodes`` (trending) or ``feed_episodes`` table, else the
    Mongo catalog."""
    if episode_id in messages:
        return messages[episode_id]
    for table in ("episodes", "feed_episodes"):
        rows = delta.arrow(table, filters=[("episode_id", "=", episode_id)])
        if rows is not None and rows.num_rows:
            return rows.to_pylist()[-1]
    try:
        docs = mongo.find(mongo.database, "episodes", {"episode_id": episode_id}, limit=1)
    except UNAVAILABLE:
        docs = []
    if not docs:
        raise dg.Failure(f"episode {episode_id} is in neither the episodes table nor the Mongo catalog")
    return {k: v for k, v in docs[0].items() if k != "_id"}


def episode_keys(context: dg.AssetExecutionContext) -> list[str]:
    """The run's partition keys (one, or a range of pending episodes), each checked before it names a file
    or a query (only the sensor checked them before)."""
    keys = context.partition_keys
    bad = [k for k in keys if not is_episode_id(k)]
    if bad:
        raise dg.Failure(f"refused: partition key {bad[0][:80]!r} is not an episode id "
                         "(letters, digits, - and _ only)", allow_retries=False)
    return keys


def first_attempt_started(instance: dg.DagsterInstance, run: dg.DagsterRun) -> dt.datetime:
    """When the first attempt of ``run`` started (the run itself, unless it retries another): outcomes written
    since then belong to this run's attempts."""
    first = instance.get_run_record_by_id(run.root_run_id or run.run_id)
    started = (first.start_time or first.create_timestamp.timestamp()) if first else time.time()
    return dt.datetime.fromtimestamp(started, dt.UTC)


def kept_outcomes(context: dg.AssetExecutionContext, delta: DeltaTables, keys: list[str]) -> dict[str, dict]:
    """The outcomes the run's episodes already have since its first attempt started: written by an earlier
    attempt of a run that was killed and retried (Dagster run retries), or by an earlier step of this run (a
    download that failed). They are kept, not redone: their metadata says so."""
    since = first_attempt_started(context.instance, context.run)
    kept = {}
    for episode_id, status in outcomes_since(delta.uri("transcripts"), keys, since).items():
        failed = status.startswith("failed")
        kept[episode_id] = {"status": "failed" if failed else status, "kept": "outcome of an earlier attempt",
                            **({"reason": status.removeprefix("failed: ")} if failed else {})}
        context.log.info(f"episode {episode_id}: {status!r} since this run's first attempt, kept")
    return kept


def _with_retries(work, episode_id: str, alone: bool, log, budget_s: float | None) -> dict:
    """``work(episode_id)``, a transient failure tried again as the retry policy would. With ``budget_s`` the
    tries share that many seconds (``work`` gets what is left), and a run of one episode retries here too, so
    no retry outlives the budget. Without it, a run of one episode leaves its retries to the policy."""
    started = time.monotonic()
    for attempt in range(TRANSIENT.max_retries + 1):
        left = None if budget_s is None else budget_s - (time.monotonic() - started)
        try:
            return work(episode_id) if left is None else work(episode_id, left)
        except dg.Failure as failure:
            wait = TRANSIENT.delay * 2 ** attempt
            again = failure.allow_retries and attempt < TRANSIENT.max_retries and (
                budget_s is None or time.monotonic() - started + wait < budget_s)
            if alone and budget_s is None:
                raise
            if again:
                log(f"episode {episode_id}: {failure.description}; trying again in {wait} s")
                time.sleep(wait)
                continue
            if alone:  # its tries are spent: the run fails with the reason, and is not retried
                raise dg.Failure(failure.description, metadata=failure.metadata, allow_retries=False) from None
            return {"status": "failed", "reason": failure.description}
    raise AssertionError("unreachable")


def each_episode(context: dg.AssetExecutionContext, keys: list[str], work, parallel: int = 1,
                 budget_s: float | None = None) -> None:
    """``work(episode_id)`` for each episode of the run, its metadata on its own partition. Alone, an episode's
    failure fails the run. In a run of several, a failure is that episode's outcome (its row in the status
    table, its partition's metadata) and the others go on; a transient one is tried again
    (``_with_retries``). ``parallel``: episodes worked on side by side (downloads wait on the network, so one
    that drips does not hold up the others)."""
    alone, log = len(keys) == 1, context.log.info

    def done(i: int, episode_id: str, metadata: dict) -> None:
        if metadata.get("status") == "failed":
            context.log.warning(f"episode {episode_id}: {metadata['reason']}")
        context.add_asset_metadata(metadata, partition_key=episode_id)
        if not alone:
            context.log.info(f"{i}/{len(keys)} episodes of this run done")

    if parallel <= 1 or alone:
        for i, episode_id in enumerate(keys, 1):
            done(i, episode_id, _with_retries(work, episode_id, alone, log, budget_s))
        return
    with ThreadPoolExecutor(max_workers=min(parallel, len(keys)), thread_name_prefix="episode") as pool:
        futures = {pool.submit(_with_retries, work, eid, alone, log, budget_s): eid for eid in keys}
        for i, future in enumerate(as_completed(futures), 1):
            done(i, futures[future], future.result())


def audio_places(files: DataDir, scratch: bool = True) -> AudioPlaces:
    """Where the WAVs go: scratch only, or scratch and shared storage when steps run on workers (``stage_audio``).
    ``scratch=False``: only the shared storage is used (a sensor on the daemon's host, which holds no audio)."""
    folder = files.folder("audio") if scratch else Path(files.path) / "audio"
    return AudioPlaces(folder, files.artefacts("audio") if files.stage_audio else None, files.keep_wav)


def _sweep(context: dg.AssetExecutionContext, places: AudioPlaces) -> None:
    for name in places.sweep():
        context.log.info(f"removed audio/{name}: scratch of a process that ended without cleaning up")


def fetch_wav(delta: DeltaTables, files: DataDir, feeds: FeedFetcherResource, episode_id: str,
              ep: dict, resolve, deadline_s: float | None = None) -> tuple[int, float]:
    """Download (capped, atomic, within ``deadline_s`` or the feeds' deadline) and convert to WAV mono 16 kHz.
    ``resolve``: a private feed's reference to its URL. A failure is recorded as the episode's outcome
    (``failed: <reason>``) and raised in one line; only transient ones are retried (``TRANSIENT``)."""
    wav = audio_places(files).wav(episode_id)
    raw = wav.parent / "raw" / f"{episode_id}.download"
    raw.parent.mkdir(exist_ok=True)
    try:
        url, why, transient = resolved(ep["audio_url"], resolve)
        if url is None:
            raise (TransientAudioError if transient else AudioError)(why)
        feeds.download_audio(url, raw, deadline_s, private=is_ref(ep["audio_url"]))
        size = raw.stat().st_size
        return size, to_wav16k(raw, wav, feeds.max_audio_minutes)
    except AudioError as exc:
        record(delta.uri("transcripts"), [outcome_row(ep, episode_id, f"failed: {exc}")])
        raise dg.Failure(f"episode {episode_id} ({ep.get('episode_title')!r}): {exc}",
                         metadata={"audio_url": redact(ep.get("audio_url", ""))},
                         allow_retries=isinstance(exc, TransientAudioError)) from None
    finally:
        raw.unlink(missing_ok=True)


@dg.asset(partitions_def=episode_partitions, group_name="transcripts", deps=["episodes"], kinds={"ffmpeg"},
          retry_policy=TRANSIENT)
def episode_audio(context: dg.AssetExecutionContext, config: EpisodeConfig, delta: DeltaTables,
                  mongo: MongoResource, files: DataDir, feeds: FeedFetcherResource,
                  feed_list: FeedListResource) -> dg.MaterializeResult:
    """The episode's audio, downloaded (capped, atomic) and converted to WAV mono 16 kHz; removed again once
    its transcript is committed (unless ``KEEP_WAV``)."""
    messages, keys = _messages(config), episode_keys(context)
    kept = kept_outcomes(context, delta, keys)
    retry = context.run.root_run_id is not None
    places, private = audio_places(files), feed_list.private_feeds(feeds)
    _sweep(context, places)

    def fetch(episode_id: str, deadline_s: float) -> dict:
        if episode_id in kept:
            return kept[episode_id]
        ep = _episode(delta, mongo, episode_id, messages)
        where = places.where(episode_id)
        if retry and places.downloaded(episode_id):  # an earlier attempt of this run converted it (written whole)
            context.log.info(f"episode {episode_id}: downloaded by an earlier attempt of this run")
            return {"status": "downloaded", "wav": where, "audio_url": redact(ep["audio_url"])}
        size, duration = fetch_wav(delta, files, feeds, episode_id, ep, private.resolve, deadline_s)
        places.stage(places.wav(episode_id))
        context.log.info(f"episode {episode_id}: {size} bytes downloaded, {duration:.1f} s of audio")
        return {"status": "downloaded", "downloaded_bytes": size, "duration_sec": duration,
                "wav": where, "audio_url": redact(ep["audio_url"])}

    # every episode's tries share one download deadline, so each has its outcome within it (plus its decode)
    each_episode(context, keys, fetch, parallel=DOWNLOADS_AT_ONCE, budget_s=feeds.audio_timeout_sec)
    return dg.MaterializeResult()


def _local_wav(context: dg.AssetExecutionContext, delta: DeltaTables, files: DataDir, feeds: FeedFetcherResource,
               episode_id: str, ep: dict, resolve) -> Path:
    """The episode's WAV in this process's scratch: converted here, or left in shared storage by a download on
    another host, else fetched again (a re-run after the WAV was removed)."""
    places = audio_places(files)
    wav = places.local(episode_id)
    if wav is not None:
        return wav
    context.log.info(f"episode {episode_id}: no WAV (removed after its last transcript), fetching again")
    fetch_wav(delta, files, feeds, episode_id, ep, resolve)
    return places.wav(episode_id)


def _taken_names(delta: DeltaTables) -> dict[str, str]:
    rows = delta.pandas("transcripts", ["episode_id", "file_stem"])
    return dict(zip(rows["file_stem"], rows["episode_id"]))


@dg.asset(partitions_def=episode_partitions, group_name="transcripts", deps=[episode_audio],
          kinds={"deltalake", "kafka"}, retry_policy=TRANSIENT)
def transcripts(context: dg.AssetExecutionContext, config: EpisodeConfig, whisper: WhisperResource,
                feeds: FeedFetcherResource, feed_list: FeedListResource, delta: DeltaTables, files: DataDir,
                mongo: MongoResource, kafka: KafkaResource) -> dg.MaterializeResult:
    """The episode's transcript: a row in Delta ``transcripts`` (replaced on re-runs), JSON, WebVTT and
    Podcasting 2.0 JSON files under ``transcripts/``, and a message on ``transcripts-en``. A run of several
    episodes loads the models once for all of them."""
    messages, keys = _messages(config), episode_keys(context)
    kept = kept_outcomes(context, delta, keys)
    places = audio_places(files)
    fetching = (feeds.transcript_text, feed_list.private_feeds(feeds).resolve)  # the publisher's files
    _sweep(context, places)
    # on workers the models stay loaded for the process's next step; a run worker ends with its run anyway
    pipeline, where = whisper.kept_pipeline(context.run_id) if files.stage_audio else (whisper.pipeline(), {})

    def transcribe(episode_id: str) -> dict:
        if episode_id in kept:  # committed by an earlier attempt, which may have been stopped before its clean-up
            places.remove(places.wav(episode_id))
            return kept[episode_id]
        ep = _episode(delta, mongo, episode_id, messages)
        wav = _local_wav(context, delta, files, feeds, episode_id, ep, fetching[1])
        # the partition's rows: the episode's one row of the status table
        return {**_transcribe_episode(context, episode_id, ep, wav, pipeline, whisper, fetching, delta, files, kafka),
                **where, "dagster/row_count": 1, "dagster/column_schema": table_schema(TRANSCRIPT_SCHEMA)}

    try:
        each_episode(context, keys, transcribe)
    except dg.Failure:  # an episode's own failure (its audio): the models are fine
        raise
    except BaseException:  # interrupted or broken: not kept for this process's next step
        whisper.discard(pipeline)
        raise
    finally:
        if not files.stage_audio:
            pipeline.close()
    return dg.MaterializeResult()


def _transcribe_episode(context: dg.AssetExecutionContext, episode_id: str, ep: dict, wav: Path, pipeline,
                        whisper: WhisperResource, fetching: tuple, delta: DeltaTables, files: DataDir,
                        kafka: KafkaResource) -> dict:
    """One episode's outcome: its row, files and message; the metadata of its partition. ``fetching``: the
    guarded text fetch and the private references' resolver, for the publisher's files."""
    publisher, why = publisher_transcript(ep, *fetching) if whisper.use_publisher_transcript else (None, "")
    if why:
        context.log.info(f"episode {episode_id}: publisher transcript not used ({why}); transcribing")
    row = outcome_row(ep, episode_id, "transcribed")
    try:
        result = pipeline.transcribe(wav, publisher=publisher, progress=context.log.info)
    except NotEnglishAudio as skip:
        context.log.warning(f"episode {episode_id}: {skip}; recorded as skipped, not transcribed")
        record(delta.uri("transcripts"), [{**row, "status": "skipped_not_english", "language": skip.language,
                                           "language_probability": skip.probability, "model": whisper.language_model}])
        audio_places(files).remove(wav)
        return {"status": "skipped_not_english", "language": skip.language,
                "language_probability": skip.probability}
    except BrokenProcessPool:  # the transcriber's processes died (out of memory?): not the episode's outcome
        raise
    except (ValueError, RuntimeError, OSError) as exc:  # audio the decoder or the model cannot take
        reason = f"transcription failed: {type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
        record(delta.uri("transcripts"), [outcome_row(ep, episode_id, f"failed: {reason}")])
        audio_places(files).remove(wav)  # the outcome is committed; a re-run fetches the audio again
        raise dg.Failure(f"episode {episode_id} ({ep.get('episode_title')!r}): {reason}", allow_retries=False) from None
    chapters, why = publisher_chapters(ep, *fetching, result.duration)
    if why:
        context.log.info(f"episode {episode_id}: chapters not used ({why})")
    stem = unique_name(row["episode_title"] or episode_id, episode_id, _taken_names(delta))
    paths = {kind: files.artefacts("transcripts", f"{stem}.{suffix}")  # each written whole: storage.write_text
             for kind, suffix in (("json", "json"), ("vtt", "vtt"), ("podcast_json", "podcast.json"))}
    payload = {"episode_id": episode_id, "podcast_title": row["podcast_title"], "episode_title": row["episode_title"],
               "model": result.model, "source": result.source, **result.as_dict(), "chapters": chapters}
    storage.write_text(paths["json"], json.dumps(payload, indent=1))
    storage.write_text(paths["vtt"], to_vtt(result.segments))
    storage.write_text(paths["podcast_json"], to_podcast_json(result.segments))
    row.update(transcript=result.text, status="transcribed", language=result.language,
               language_probability=result.language_probability, duration=result.duration, model=result.model,
               source=result.source, file_stem=stem)
    # the message before the row: a run killed in between is retried and sends it again (keyed by episode id),
    # where the other order would keep the row of an episode whose message was never sent
    kafka.ensure_topics([kafka.transcripts_topic])
    kafka.publish(kafka.transcripts_topic, [(episode_id, {
        "episode_id": episode_id, "episode_title": row["episode_title"], "json_path": str(paths["json"]),
        "vtt_path": str(paths["vtt"]), "delta_table": delta.uri("transcripts"), "language": result.language})])
    record(delta.uri("transcripts"), [row])
    audio_places(files).remove(wav)
    words = len(result.text.split())
    context.log.info(f"episode {episode_id}: {words} words from {result.source} ({result.duration:.0f} s audio)")
    return {"status": "transcribed", "words": words, "source": result.source, "model": result.model,
            "language": result.language, "language_probability": result.language_probability,
            "duration_sec": result.duration, "chapters": len(chapters), "json": str(paths["json"]), "vtt": str(paths["vtt"]),
            "preview": dg.MetadataValue.md(f"> {result.text[:400]}")}
