"""Listener events: generated to Kafka, ingested exactly once into Delta, aggregated per day."""

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

import dagster as dg
import pandas as pd

from podcast_assets.common.kafka_offsets import parse_range_key, range_key
from podcast_assets.common.previews import markdown_preview
from podcast_assets.events import exactly_once
from podcast_assets.events.engagement import daily_engagement as aggregate
from podcast_assets.events.generator import generate
from podcast_assets.resources.delta import DeltaTables
from podcast_assets.resources.kafka import KafkaResource
from podcast_assets.resources.listeners import ListenerEventsResource
from podcast_assets.resources.mongo import UNAVAILABLE, MongoResource

RANGE_TAG = "podcast_assets/offset_range"
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


@dataclass
class IngestReport:
    read: int = 0
    valid: int = 0
    dead_letters: int = 0
    dead_letters_sent: int = 0
    skipped_partitions: list[int] = field(default_factory=list)
    days: list[str] = field(default_factory=list)


def ingest_range(kafka: KafkaResource, table_uri: str, topic: str, dlq_topic: str,
                 ranges: dict[int, tuple[int, int]], log=print) -> IngestReport:
    """One offset range into the raw table exactly once (see ``events/exactly_once.py``)."""
    committed = exactly_once.committed_offsets(table_uri, topic, ranges)
    todo, held = exactly_once.plan(table_uri, topic, ranges, committed, kafka.end_offsets(topic))
    # everything in the requested range is re-read for dead letters, so a crash between the
    # commit and the dead-letter send is repaired by the retry
    records = kafka.read_range(topic, ranges)
    rows, dead = exactly_once.parse_records(records, todo, dt.datetime.now(dt.UTC))
    report = IngestReport(read=sum(exactly_once.is_new(r, todo) for r in records), valid=len(rows),
                          dead_letters=sum(exactly_once.is_new(r, todo) for r, _ in dead), skipped_partitions=held,
                          days=sorted({r["day"].isoformat() for r in rows}))
    if todo:
        exactly_once.commit(table_uri, topic, todo, rows)
    if dead:
        ends = kafka.end_offsets(dlq_topic)
        present = exactly_once.dead_letters_present(
            kafka.read_range(dlq_topic, {p: (0, e) for p, e in ends.items()}) if ends else [], topic)
        missing = exactly_once.dead_letter_messages(dead, present, topic)
        kafka.publish(dlq_topic, missing)
        report.dead_letters_sent = len(missing)
    log(f"{topic} {ranges}: read {report.read}, {report.valid} valid rows committed, "
        f"{report.dead_letters} dead letters ({report.dead_letters_sent} sent now), already held partitions {held}")
    return report


class RawIngestConfig(dg.Config):
    offset_range: str = ""  # "<topic>:<p>@<start>-<end>,..."; empty: the run tag, else all not yet held


@dg.asset(group_name="events", deps=[user_events], kinds={"deltalake", "kafka"})
def user_events_raw(context: dg.AssetExecutionContext, config: RawIngestConfig, kafka: KafkaResource,
                    delta: DeltaTables) -> dg.MaterializeResult:
    """Valid events of one Kafka offset range appended to Delta exactly once; malformed ones to the DLQ."""
    key = config.offset_range or context.run.tags.get(RANGE_TAG, "")
    if key:
        topic, ranges = parse_range_key(key)
    else:  # a manual materialisation: everything up to the current end (held offsets are skipped)
        topic = kafka.user_events_topic
        ranges = {p: (0, e) for p, e in kafka.end_offsets(topic).items()}
    kafka.ensure_topics([kafka.user_events_dlq_topic])
    report = ingest_range(kafka, delta.uri("user_events_raw"), topic, kafka.user_events_dlq_topic, ranges,
                          log=context.log.info)
    return dg.MaterializeResult(metadata={
        "range": range_key(topic, ranges), "read": report.read, "rows_committed": report.valid,
        "dead_letters": report.dead_letters, "dead_letters_sent": report.dead_letters_sent,
        "already_held_partitions": str(report.skipped_partitions), "days_touched": ",".join(report.days)})


@dg.asset(group_name="events", partitions_def=days, deps=[user_events_raw], kinds={"deltalake"},
          metadata={"partition_expr": "day"})
def daily_engagement(context: dg.AssetExecutionContext, delta: DeltaTables,
                     listeners: ListenerEventsResource) -> pd.DataFrame:
    """Per user, episode and day: ``sum(weight)``, ``count(*)``, ``max(ts)``, recomputed from the raw table."""
    day = dt.date.fromisoformat(context.partition_key)
    raw = delta.pandas("user_events_raw", ["ts", "day", "user_id", "new_episode_id", "event", "rating", "position_sec"],
                       filters=[("day", "=", day)])
    out = aggregate(raw, listeners.weights())
    out["day"] = day
    context.add_output_metadata({"dagster/row_count": len(out), "raw_events": len(raw),
                                 "users": int(out["user_id"].nunique()) if len(out) else 0,
                                 "preview": dg.MetadataValue.md(
                                     markdown_preview(out.sort_values("engagement", ascending=False)))})
    return out
