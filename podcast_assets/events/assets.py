"""Listener events: generated to Kafka, ingested exactly once into Delta, aggregated per day."""

import datetime as dt
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field

import dagster as dg
import pyarrow as pa
import pyarrow.compute as pc
from deltalake import DeltaTable

from podcast_assets.common.delta_writes import replace_days
from podcast_assets.common.kafka_offsets import range_key
from podcast_assets.common.previews import markdown_preview
from podcast_assets.events import commit_history, dead_letters, exactly_once
from podcast_assets.events.engagement import daily_engagement as aggregate
from podcast_assets.events.generator import generate
from podcast_assets.resources.delta import DeltaTables
from podcast_assets.resources.io_managers import table_schema
from podcast_assets.resources.kafka import KafkaReader, KafkaResource
from podcast_assets.resources.listeners import ListenerEventsResource
from podcast_assets.resources.mongo import UNAVAILABLE, MongoResource

days = dg.DailyPartitionsDefinition(start_date="2025-01-01", end_offset=1)  # end_offset: today is a partition


class UserEventsConfig(dg.Config):
    """Per-run overrides; empty fields take the listener resource's deployment defaults."""

    num_users: int | None = None
    events_per_user: int | None = None
    batch_seed: int = -1  # -1: a new batch each run; set it to repeat one exactly
    malformed_share: float | None = None


def _episode_topics(mongo: MongoResource, delta: DeltaTables, log) -> dict[str, str]:
    """Episode ids (and the first category of their show as topic) from MongoDB, else from Delta."""
    docs = []
    try:
        docs = mongo.find(mongo.database, "episodes", {})
    except UNAVAILABLE:
        log.warning("MongoDB unreachable: reading episode ids from the Delta episodes table")
    if not docs:
        docs = delta.pandas("episodes", ["episode_id", "categories"]).to_dict("records")
    return {str(d["episode_id"]): (str(d.get("categories") or "general").split(",")[0].strip() or "general")
            for d in docs}


@dg.asset(group_name="events", deps=["episode_catalog"], kinds={"kafka"})
def user_events(context: dg.AssetExecutionContext, config: UserEventsConfig, kafka: KafkaResource,
                mongo: MongoResource, delta: DeltaTables, listeners: ListenerEventsResource) -> dg.MaterializeResult:
    """Synthetic listener events, one per message on ``user-events`` keyed by ``user_id``."""
    episodes = _episode_topics(mongo, delta, context.log)
    if not episodes:
        raise dg.Failure("no episodes in MongoDB or Delta: materialise episodes and episode_catalog first")
    num_users = config.num_users or listeners.num_users
    now = dt.datetime.now(dt.UTC)
    seed = config.batch_seed if config.batch_seed >= 0 else int(now.timestamp() * 1000)
    share = listeners.malformed_share if config.malformed_share is None else config.malformed_share
    messages = generate(episodes, num_users, config.events_per_user or listeners.events_per_user,
                        listeners.users_seed, seed, now, malformed_share=share)
    topic = kafka.user_events_topic
    kafka.ensure_topics([topic, kafka.user_events_dlq_topic])
    before = kafka.end_offsets(topic)
    kafka.publish(topic, messages)
    after = kafka.end_offsets(topic)
    kinds = Counter(m.split('"event": "')[1].split('"')[0] if '"event": "' in m else "malformed" for _, m in messages)
    context.log.info(f"published {len(messages)} events for {num_users} users over {len(episodes)} episodes")
    return dg.MaterializeResult(metadata={
        "messages": len(messages), "users": num_users, "episodes": len(episodes), "batch_seed": seed,
        "by_event": dg.MetadataValue.json(dict(kinds)),
        "offsets": dg.MetadataValue.json({str(p): [before.get(p, 0), e] for p, e in after.items()})})


MAX_EVENTS_PER_RUN = 200_000  # per partition: a run stays bounded, the sensor asks for the rest


@dataclass
class IngestReport:
    epoch: int = 0
    new_epoch: str = ""  # why a new epoch started in this run ("" when it did not)
    ranges: dict = field(default_factory=dict)
    valid: int = 0
    dead_letters: int = 0
    dead_letters_sent: int = 0
    days: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # per stage: the run's figures in its metadata


def _held_identities(raw: DeltaTable, dlq: DeltaTable | None, epoch: int, held: dict[int, int]) -> dict[int, str]:
    """What the tables hold at each partition's last ingested offset (event id, or a dead letter's bytes)."""
    out = {}
    # a table written before epochs existed has no kafka_epoch column: all its rows are epoch 0
    dated = "kafka_epoch" in raw.schema().to_arrow().names
    for p, offset in held.items():
        where = [("kafka_epoch", "=", epoch), ("kafka_partition", "=", p), ("kafka_offset", "=", offset - 1)]
        rows = raw.to_pyarrow_table(columns=["event_id"], filters=where if dated else where[1:]).to_pylist()
        if rows:
            out[p] = exactly_once.held_identity(event_id=rows[0]["event_id"])
        elif dlq is not None:
            dead = dlq.to_pyarrow_table(columns=["value"], filters=where).to_pylist()
            if dead:
                out[p] = exactly_once.held_identity(dead_value=dead[0]["value"])
    return out


def ingest_topic(kafka: KafkaResource, delta: DeltaTables, topic: str, dlq_topic: str,
                 max_per_partition: int = MAX_EVENTS_PER_RUN, log=print) -> IngestReport:
    """Everything new on ``topic`` since the offsets the raw table holds, exactly once (``exactly_once.py``).
    One Kafka reader and one producer (for dead letters, made first so its start overlaps the read)."""
    producer = kafka.producer()
    with kafka.reader() as reader:
        return _ingest(kafka, reader, producer, delta, topic, dlq_topic, max_per_partition, log)


def _ingest(kafka: KafkaResource, reader: KafkaReader, producer, delta: DeltaTables, topic: str, dlq_topic: str,
            max_per_partition: int, log) -> IngestReport:
    raw_uri, dlq_uri = delta.uri("user_events_raw"), delta.uri("user_events_dead_letters")
    raw, dlq = delta.table("user_events_raw"), delta.table("user_events_dead_letters")  # the snapshots we commit on
    marks = [time.perf_counter()]
    ends = reader.end_offsets(topic)
    state = exactly_once.read_state(raw, raw_uri, topic, ends)
    topic_fp = exactly_once.fingerprint(reader.topic_id(topic))
    held = {p: o for p, o in state.committed.items() if 0 < o <= ends.get(p, 0)}
    at_kafka = {r.partition: r.value for r in reader.read_range(topic, {p: (o - 1, o) for p, o in held.items()})}
    mismatches = exactly_once.tail_mismatches(at_kafka, _held_identities(raw, dlq, state.epoch, held)) if raw else []
    reason = exactly_once.new_epoch_reason(state, topic_fp, ends, mismatches)
    if reason:
        log(f"{topic}: new epoch {state.epoch + 1} starts at offset 0: {reason}")
        state = exactly_once.TableState(state.epoch + 1, topic_fp, {})
    state.fingerprint = topic_fp if topic_fp is not None else state.fingerprint
    todo = exactly_once.plan(state.committed, ends, max_per_partition)
    marks.append(time.perf_counter())
    records = reader.read_range(topic, todo)
    marks.append(time.perf_counter())
    now = dt.datetime.now(dt.UTC)
    first, last = days.start.date(), now.date()  # end_offset=1: today is the last partition
    rows, dead = exactly_once.parse_records(records, todo, state.epoch, now, (first, last))
    touched = sorted(d.isoformat() for d in pc.unique(rows["day"]).to_pylist())
    report = IngestReport(state.epoch, reason, todo, rows.num_rows, len(dead), days=touched)
    marks.append(time.perf_counter())
    if todo or reason:
        # dead letters first, under the same offsets: a retry after a crash between the commits skips them
        dlq_todo = exactly_once.remaining(todo, exactly_once.read_state(dlq, dlq_uri, topic, todo, state.epoch).committed)
        if dlq_todo:
            exactly_once.commit(dlq if dlq is not None else dlq_uri, dlq_uri, topic, state, dlq_todo,
                                exactly_once.within(dead, dlq_todo), exactly_once.DEAD_LETTER_SCHEMA)
        exactly_once.commit(raw if raw is not None else raw_uri, raw_uri, topic, state, todo, rows, exactly_once.RAW_SCHEMA)
    marks.append(time.perf_counter())
    # also when nothing is new: letters a killed run committed but did not send go out now
    report.dead_letters_sent = publish_dead_letters(kafka, reader, delta, topic, dlq_topic, state.epoch, sorted(ends),
                                                    producer)
    marks.append(time.perf_counter())
    report.seconds = {stage: round(b - a, 3) for stage, a, b in
                      zip(("offsets_and_epoch", "read", "parse_validate", "commit", "dead_letter_topic"), marks, marks[1:])}
    if todo or reason or report.dead_letters_sent:
        log(f"{topic} epoch {state.epoch} {todo}: {rows.num_rows} rows and {len(dead)} dead letters committed, "
            f"{report.dead_letters_sent} dead letters sent to {dlq_topic}; seconds per stage {report.seconds}")
    return report


DLQ_SETTLE_S = 30.0  # how long the DLQ's last batch may take to read (a slow broker, a busy machine)


def publish_dead_letters(kafka: KafkaResource, reader: KafkaReader, delta: DeltaTables, topic: str, dlq_topic: str,
                         epoch: int, partitions: list[int], producer=None) -> int:
    """The dead letters not yet on the DLQ topic, each once (``dead_letters.py``); returns how many were sent."""
    dead = delta.table("user_events_dead_letters")
    if dead is None:
        return 0
    # exact ends, or no publish: letters past a miscounted end would not be seen on the topic, and be sent again
    dlq_ends = reader.end_offsets(dlq_topic, settle_s=DLQ_SETTLE_S, strict=True)
    dlq_fp = exactly_once.fingerprint(reader.topic_id(dlq_topic))
    progress, upto, letters = dead_letters.unsent(dead, delta.uri("user_events_dead_letters"), topic, dlq_topic,
                                                  epoch, partitions, dlq_fp, dlq_ends)
    if not letters and progress.fingerprint == dlq_fp:
        return 0
    # what a run killed between sending and recording already sent (normally nothing)
    since = {p: (progress.dlq_ends.get(p, 0), end) for p, end in dlq_ends.items()}
    present = dead_letters.on_topic(reader.read_range(dlq_topic, since), topic)
    missing = dead_letters.messages(letters, present, topic)
    landed: dict[int, int] = {}
    sent = kafka.publish(dlq_topic, missing, ends=landed, producer=producer) if missing else 0
    dead_letters.record_progress(dead, dlq_topic, upto, dlq_fp, {p: max(e, landed.get(p, 0)) for p, e in dlq_ends.items()})
    return sent


def _materialised_version(context: dg.AssetExecutionContext) -> int:
    """The raw table's version as the last materialisation reported it (-1: none yet)."""
    event = context.instance.get_latest_materialization_event(context.asset_key)
    value = event.asset_materialization.metadata.get("delta_version") if event and event.asset_materialization else None
    return int(value.value) if value is not None else -1


@dg.asset(group_name="events", deps=[user_events], kinds={"deltalake", "kafka"}, pool="user_events_raw")
def user_events_raw(context: dg.AssetExecutionContext, kafka: KafkaResource, delta: DeltaTables) -> dg.MaterializeResult:
    """Every valid event on ``user-events`` in Delta exactly once (a row: one listener event), from the offsets the table holds to the
    partitions' true ends; malformed ones to ``user_events_dead_letters`` and the DLQ topic."""
    topic = kafka.user_events_topic
    kafka.ensure_topics([topic, kafka.user_events_dlq_topic])
    before = _materialised_version(context)
    report = ingest_topic(kafka, delta, topic, kafka.user_events_dlq_topic, log=context.log.info)
    if delta.exists("user_events_raw"):  # and the days of commits no materialisation reported (a run that died after them)
        missed = commit_history.days_touched(delta.table("user_events_raw"), before, topic) - set(report.days)
        if missed:
            context.log.info(f"days touched by commits of runs that ended before reporting them: {sorted(missed)}")
            report.days = sorted(set(report.days) | missed)
    if report.new_epoch:
        context.log.warning(f"{topic}: new epoch {report.epoch}: {report.new_epoch}")
    return dg.MaterializeResult(metadata={
        "epoch": report.epoch, "new_epoch": report.new_epoch or "no",
        "range": range_key(topic, report.ranges) if report.ranges else "nothing new",
        "rows_committed": report.valid, "dead_letters": report.dead_letters,
        "dead_letters_sent": report.dead_letters_sent, "days_touched": ",".join(report.days),
        # the table's version after this run: the exactly-once check judges the commits since the last run's
        "delta_version": delta.table("user_events_raw").version() if delta.exists("user_events_raw") else -1,
        "dagster/row_count": delta.row_count("user_events_raw"), "dagster/column_schema": table_schema(exactly_once.RAW_SCHEMA),
        "seconds_per_stage": dg.MetadataValue.json(report.seconds)})


DAILY_SCHEMA = pa.schema([("user_id", pa.string()), ("new_episode_id", pa.string()), ("day", pa.date32()),
                          ("engagement", pa.float64()), ("events", pa.int64()), ("last_ts", pa.timestamp("us", "UTC"))])

# a single-run backfill policy is still marked beta in dagster 1.13: say so here, not on every code load
with warnings.catch_warnings():
    warnings.simplefilter("ignore", dg.BetaWarning)

    @dg.asset(group_name="events", partitions_def=days, deps=[user_events_raw], kinds={"deltalake"},
              backfill_policy=dg.BackfillPolicy.single_run())
    def daily_engagement(context: dg.AssetExecutionContext, delta: DeltaTables,
                         listeners: ListenerEventsResource) -> dg.MaterializeResult:
        """Per user, episode and day: ``sum(weight)``, ``count(*)``, ``max(ts)``, recomputed from the raw table.
        One run recomputes a whole range of days (the sensor asks for every day new events touched)."""
        window = context.partition_time_window
        first, last = window.start.date(), (window.end - dt.timedelta(days=1)).date()
        raw = delta.pandas("user_events_raw", ["ts", "day", "user_id", "new_episode_id", "event", "rating", "position_sec"],
                           filters=[("day", ">=", first), ("day", "<=", last)])
        out = aggregate(raw, listeners.weights())
        # written here, not by the IO manager: dagster-deltalake overwrites only the first day of a range
        replace_days(delta.uri("daily_engagement"), pa.Table.from_pandas(out, DAILY_SCHEMA, preserve_index=False),
                     first, last)
        context.log.info(f"{len(raw)} raw events of {first}..{last} -> {len(out)} engagement rows")
        return dg.MaterializeResult(metadata={
            "dagster/row_count": len(out), "raw_events": len(raw), "days": len(context.partition_keys),
            "users": int(out["user_id"].nunique()) if len(out) else 0,
            "dagster/column_schema": dg.TableSchema(columns=[
                dg.TableColumn(f.name, str(f.type)) for f in DAILY_SCHEMA]),
            "preview": dg.MetadataValue.md(markdown_preview(out.sort_values("engagement", ascending=False)))})
