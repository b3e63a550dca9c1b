"""Two lanes per episode: a download run for each new message on ``episode-metadata``, then a transcription
run for what it downloaded.

Downloads wait on the network, transcription on the cores, so they queue apart (``local/instance.py``):
an episode whose audio is refused, dead or dripping reaches its outcome within the download deadline
even while every transcription lane is busy, and the next batch's audio is ready when a lane frees.
"""

import json

import dagster as dg

from podcast_assets.common.kafka_offsets import dump_topic_cursor, load_topic_cursor, new_ranges, recreated
from podcast_assets.resources.delta import DataDir, DeltaTables
from podcast_assets.resources.kafka import KafkaResource, KafkaUnavailable
from podcast_assets.resources.whisper import WhisperResource
from podcast_assets.runs.sensors import error_line
from podcast_assets.transcripts.assets import (
    audio_places,
    episode_audio,
    episode_partitions,
    first_attempt_started,
    transcripts,
)
from podcast_assets.transcripts.messages import (
    downloaded_groups,
    messages_by_id,
    parse_episode_message,
    run_batches,
)
from podcast_assets.transcripts.outcomes import killed_outcome, outcome_row, outcomes_since, record

QUEUE_TAG = "podcast_assets/queue"
# Dagster's tags for a run over a range of partitions (here: episodes added together, in that order)
RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"
MAX_MESSAGES_PER_TICK = 500  # per partition: keeps a tick far below Dagster's 60 s limit
# A run whose worker died (SIGKILL, out of memory, a reboot) is run again by the daemon's run retries
# (``run_retries`` in local/instance.py), at most this many attempts in all; an episode's own failure is its
# outcome and is not retried as a run (its step's retry policy already tried again).
RUN_ATTEMPTS = 3
RUN_RETRIES = {"dagster/max_retries": str(RUN_ATTEMPTS - 1), "dagster/retry_on_asset_or_op_failure": "false"}


def episode_jobs(executor_def: dg.ExecutorDefinition | None = None) -> tuple:
    """The two lanes' jobs. ``executor_def``: where their steps run; None is the code location's default (in the
    run worker), the celery executor sends them to workers on other hosts (``runs/workers.py``)."""
    download = dg.define_asset_job(
        "episode_download_job", selection=[episode_audio], partitions_def=episode_partitions,
        description="Download and convert episodes (one dynamic partition, or a range of new ones fetched side by "
                    "side); a refused, dead or corrupt one gets its outcome here.",
        tags={QUEUE_TAG: "download", **RUN_RETRIES}, executor_def=executor_def)  # its own run-queue lane
    transcription = dg.define_asset_job(
        "episode_transcription_job", selection=[transcripts], partitions_def=episode_partitions,
        description="Transcribe downloaded episodes: one dynamic partition, or a range transcribed with the models "
                    "loaded once.",
        tags={QUEUE_TAG: "transcription", **RUN_RETRIES}, executor_def=executor_def)  # two at a time (local/instance.py)
    return download, transcription


def episode_sensors(download_job, transcription_job) -> list[dg.SensorDefinition]:
    """The sensors that drive the two lanes: new messages to download runs, downloads to transcription runs, and
    an outcome for every episode of a run that failed for good."""

    @dg.sensor(name="episode_metadata_sensor", job=download_job, minimum_interval_seconds=15,
               default_status=dg.DefaultSensorStatus.RUNNING, description=new_episode_runs.__doc__)
    def _metadata(context: dg.SensorEvaluationContext, kafka: KafkaResource, whisper: WhisperResource):
        return new_episode_runs(context, kafka, whisper)

    @dg.run_status_sensor(name="downloaded_audio_sensor", run_status=dg.DagsterRunStatus.SUCCESS,
                          monitored_jobs=[download_job], request_job=transcription_job, minimum_interval_seconds=5,
                          default_status=dg.DefaultSensorStatus.RUNNING, description=transcription_runs.__doc__)
    def _downloaded(context: dg.RunStatusSensorContext):
        return transcription_runs(context)

    @dg.run_failure_sensor(name="unfinished_episodes_sensor", monitored_jobs=[download_job, transcription_job],
                           minimum_interval_seconds=10, default_status=dg.DefaultSensorStatus.RUNNING,
                           description=record_unfinished.__doc__)
    def _unfinished(context: dg.RunFailureSensorContext, delta: DeltaTables, files: DataDir) -> None:
        record_unfinished(context, delta, files)

    return [_metadata, _downloaded, _unfinished]


def _episode_run_config(docs: list[dict], step: str) -> dict:
    """The messages themselves go to the step, so an episode known only from Kafka can be processed."""
    return {"ops": {step: {"config": {"episode_json": json.dumps(docs[0] if len(docs) == 1 else docs)}}}}


def _run_request(keys: list[str], docs: list[dict], step: str, key_prefix: str = "") -> dg.RunRequest:
    """One episode: a run of its partition. Several: a run over their range of partitions (``keys`` are
    neighbours in the partitions' order, so the range holds exactly them). ``docs``: the messages known."""
    first, last = keys[0], keys[-1]
    config = _episode_run_config(docs, step) if docs else {}
    if len(keys) == 1:
        return dg.RunRequest(run_key=key_prefix + first, partition_key=first, tags={"episode_id": first},
                             run_config=config)
    return dg.RunRequest(run_key=f"{key_prefix}{first}..{last}", run_config=config,
                         tags={RANGE_START: first, RANGE_END: last, "episodes": str(len(keys))})


def new_episode_runs(context: dg.SensorEvaluationContext, kafka: KafkaResource, whisper: WhisperResource):
    """New messages on ``episode-metadata``: one dynamic partition per new episode, and download runs that
    share them out as their transcription will be (``TRANSCRIBE_BATCH`` at most per run).
    The cursor holds the topic's id, the next offset and the last key of each partition; no consumer
    group is involved. A recreated topic (a restarted in-memory broker) is read again from offset 0:
    episodes already known are skipped by id, so nothing is skipped and nothing runs twice."""
    topic = kafka.episode_metadata_topic
    cursor_topic_id, cursor, last_keys = load_topic_cursor(context.cursor)
    try:
        with kafka.reader() as reader:
            ends, topic_id = reader.end_offsets(topic), reader.topic_id(topic)
            held = {p: o for p, o in cursor.items() if 0 < o <= ends.get(p, 0) and p in last_keys}
            at_cursor = {r.partition: (r.key or b"").decode("utf-8", "replace")
                         for r in reader.read_range(topic, {p: (o - 1, o) for p, o in held.items()}, timeout_s=20)}
            reason = recreated(cursor_topic_id, topic_id, cursor, ends, at_cursor, last_keys)
            if reason:
                context.log.warning(f"{topic} was recreated ({reason}): reading it again from offset 0")
                cursor, last_keys = {}, {}
            ranges = new_ranges(cursor, ends, MAX_MESSAGES_PER_TICK)
            records = reader.read_range(topic, ranges, timeout_s=20) if ranges else []
    except KafkaUnavailable as exc:
        return dg.SkipReason(f"Kafka unavailable: {exc}")
    if not ranges:
        return dg.SensorResult(skip_reason=f"no new messages on {topic}",
                               cursor=dump_topic_cursor(topic_id, cursor, last_keys))
    known = set(context.instance.get_dynamic_partitions(episode_partitions.name))
    docs: dict[str, dict] = {}
    malformed = 0
    for rec in records:
        last_keys[rec.partition] = (rec.key or b"").decode("utf-8", "replace")
        doc, problem = parse_episode_message(rec.value)
        if doc is None:
            malformed += 1
            context.log.warning(f"{topic} partition {rec.partition} offset {rec.offset}: skipped, {problem}")
            continue
        if doc["episode_id"] not in known:
            docs.setdefault(doc["episode_id"], doc)
    cursor.update({p: end for p, (_, end) in ranges.items()})
    context.log.info(f"{len(records)} messages, {len(docs)} new episodes, {malformed} malformed")
    batches = run_batches(list(docs), whisper.transcription_runs, whisper.episodes_per_run)
    return dg.SensorResult(
        run_requests=[_run_request(batch, [docs[eid] for eid in batch], "episode_audio") for batch in batches],
        dynamic_partitions_requests=[episode_partitions.build_add_request(list(docs))] if docs else [],
        cursor=dump_topic_cursor(topic_id, cursor, last_keys))


def _run_episodes(instance: dg.DagsterInstance, run: dg.DagsterRun) -> tuple[list[str], dict[str, dict]]:
    """A download run's episodes in partition order, and the messages its config carried."""
    config = run.run_config.get("ops", {}).get(episode_audio.op.name, {}).get("config", {})
    docs = messages_by_id(config.get("episode_json", ""))
    if run.tags.get("dagster/partition"):
        return [run.tags["dagster/partition"]], docs
    every = instance.get_dynamic_partitions(episode_partitions.name)
    start, end = run.tags.get(RANGE_START), run.tags.get(RANGE_END)
    if start not in every or end not in every:
        return [], docs
    return every[every.index(start):every.index(end) + 1], docs


def transcription_runs(context: dg.RunStatusSensorContext):
    """A download run that ended: a transcription run for the episodes it downloaded (a range split where an
    episode's download failed: that one already has its outcome), each run at most ``TRANSCRIBE_BATCH``."""
    run = context.dagster_run
    keys, docs = _run_episodes(context.instance, run)
    records = context.instance.get_records_for_run(run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION).records
    downloaded = set()
    for entry in records:
        mat = entry.event_log_entry.asset_materialization
        status = mat.metadata.get("status") if mat else None
        if mat and mat.asset_key == episode_audio.key and status is not None and status.value == "downloaded":
            downloaded.add(mat.partition)
    groups = downloaded_groups(keys, downloaded)
    context.log.info(f"download run {run.run_id[:8]}: {len(downloaded)} of {len(keys)} episodes downloaded, "
                     f"{len(groups)} transcription runs")
    return [_run_request(group, [docs[k] for k in group if k in docs], "transcripts", f"{run.run_id[:8]}:")
            for group in groups]


def record_unfinished(context: dg.RunFailureSensorContext, delta: DeltaTables, files: DataDir) -> None:
    """A download or transcription run that failed for good (no retry to come): each of its episodes without an
    outcome since its first attempt gets one, ``failed: run killed N times`` when its worker died every time,
    else the failed step's error. So every episode partition ends with its row in the status table, and no WAV
    staged for workers waits in shared storage for a transcription that will not come."""
    run = context.dagster_run
    if run.tags.get("dagster/will_retry") == "true":
        context.log.info(f"run {run.run_id[:8]} failed and will be retried")
        return
    keys, docs = _run_episodes(context.instance, run)
    have = outcomes_since(delta.uri("transcripts"), keys, first_attempt_started(context.instance, run))
    attempts = int(run.tags.get("dagster/retry_number", "0")) + 1
    steps = [error_line(e.event_specific_data.error.message) for e in context.get_step_failure_events()
             if e.event_specific_data and e.event_specific_data.error]
    status = f"failed: {steps[0]}" if steps else killed_outcome(attempts)
    missing = [k for k in keys if k not in have]
    record(delta.uri("transcripts"), [outcome_row(docs.get(k, {}), k, status) for k in missing])
    audio_places(files, scratch=False).forget(missing)  # staged for workers: nobody will transcribe them now
    context.log.info(f"run {run.run_id[:8]} of {run.job_name} ended after {attempts} attempts: {len(missing)} of "
                     f"{len(keys)} episodes had no outcome, now {status!r}")
