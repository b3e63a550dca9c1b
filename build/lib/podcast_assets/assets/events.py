"""Listener events: generated to Kafka, ingested exactly once into Delta, aggregated per day."""

import datetime as dt
from collections import Counter

import dagster as dg
import pandas as pd

from podcast_assets.assets.metadata import preview
from podcast_assets.core.engagement import daily_engagement as aggregate
from podcast_assets.core.event_ingest import ingest_range
from podcast_assets.core.events import Weights, generate
from podcast_assets.core.offsets import parse_range_key, range_key
from podcast_assets.resources.delta import DeltaTables
from podcast_assets.resources.kafka import KafkaResource
from podcast_assets.resources.mongo import UNAVAILABLE, MongoResource
from podcast_assets.settings import get_settings

RANGE_TAG = "podcast_assets/offset_range"
days = dg.DailyPartitionsDefinition(start_date="2025-01-01", end_offset=1)  # end_offset: today is a partition


class UserEventsConfig(dg.Config):
    num_users: int = get_settings().NUM_USERS
    events_per_user: int = get_settings().EVENTS_PER_USER
    batch_seed: int = -1  # -1: a new batch each run; set it to repeat one exactly
    malformed_share: float = get_settings().MALFORMED_SHARE


def _episode_topics(mongo: MongoResource, delta: DeltaTables, log) -> dict[str, str]:
    """Episode ids (and the first category of their show as topic) from MongoDB, else from Delta."""
    docs = []
    try:
        with mongo.client() as client:
            docs = list(client[get_settings().MONGO_DB]["episodes"].find({}, {"episode_id": 1, "categories": 1}))
    except UNAVAILABLE:
        log.warning("MongoDB unreachable: reading episode ids from the Delta episodes table")
    if not docs:
        docs = delta.pandas("episodes", ["episode_id", "categories"]).to_dict("records")
    return {str(d["episode_id"]): (str(d.get("categories") or "general").split(",")[0].strip() or "general")
            for d in docs}


@dg.asset(group_name="events", deps=["episode_catalog"], kinds={"kafka"})
def user_events(context: dg.AssetExecutionContext, config: UserEventsConfig, kafka: KafkaResource,
                mongo: MongoResource, delta: DeltaTables) -> dg.MaterializeResult:
    """Synthetic listener events, one per message on ``user-events`` keyed by ``user_id``."""
    s = get_settings()
    episodes = _episode_topics(mongo, delta, context.log)
    if not episodes:
        raise dg.Failure("no episodes in MongoDB or Delta: materialise episodes and episode_catalog first")
    now = dt.datetime.now(dt.timezone.utc)
    seed = config.batch_seed if config.batch_seed >= 0 else int(now.timestamp() * 1000)
    messages = generate(episodes, config.num_users, config.events_per_user, s.EVENTS_SEED, seed, now,
                        malformed_share=config.malformed_share)
    kafka.ensure_topics([s.TOPIC_USER_EVENTS, s.TOPIC_USER_EVENTS_DLQ], s.TOPIC_PARTITIONS)
    before = kafka.end_offsets(s.TOPIC_USER_EVENTS)
    kafka.publish(s.TOPIC_USER_EVENTS, messages)
    after = kafka.end_offsets(s.TOPIC_USER_EVENTS)
    kinds = Counter(m.split('"event": "')[1].split('"')[0] if '"event": "' in m else "malformed" for _, m in messages)
    context.log.info(f"published {len(messages)} events for {config.num_users} users over {len(episodes)} episodes")
    return dg.MaterializeResult(metadata={
        "messages": len(messages), "users": config.num_users, "episodes": len(episodes), "batch_seed": seed,
        "by_event": dg.MetadataValue.json(dict(kinds)),
        "offsets": dg.MetadataValue.json({str(p): [before.get(p, 0), e] for p, e in after.items()})})


class RawIngestConfig(dg.Config):
    offset_range: str = ""  # "<topic>:<p>@<start>-<end>,..."; empty: the run tag, else all not yet held
    fail_before_commit: bool = False  # for tests of the exactly-once guarantee


@dg.asset(group_name="events", deps=[user_events], kinds={"deltalake", "kafka"})
def user_events_raw(context: dg.AssetExecutionContext, config: RawIngestConfig, kafka: KafkaResource,
                    delta: DeltaTables) -> dg.MaterializeResult:
    """Valid events of one Kafka offset range appended to Delta exactly once; malformed ones to the DLQ."""
    s = get_settings()
    key = config.offset_range or context.run.tags.get(RANGE_TAG, "")
    if key:
        topic, ranges = parse_range_key(key)
    else:  # a manual materialisation: everything up to the current end (held offsets are skipped)
        topic = s.TOPIC_USER_EVENTS
        ranges = {p: (0, e) for p, e in kafka.end_offsets(topic).items()}
    kafka.ensure_topics([s.TOPIC_USER_EVENTS_DLQ], s.TOPIC_PARTITIONS)
    report = ingest_range(kafka, delta.uri("user_events_raw"), topic, s.TOPIC_USER_EVENTS_DLQ, ranges,
                          fail_before_commit=config.fail_before_commit, log=context.log.info)
    return dg.MaterializeResult(metadata={
        "range": range_key(topic, ranges), "read": report.read, "rows_committed": report.valid,
        "dead_letters": report.dead_letters, "dead_letters_sent": report.dead_letters_sent,
        "already_held_partitions": str(report.skipped_partitions), "days_touched": ",".join(report.days)})


@dg.asset(group_name="events", partitions_def=days, deps=[user_events_raw], kinds={"deltalake"},
          metadata={"partition_expr": "day"})
def daily_engagement(context: dg.AssetExecutionContext, delta: DeltaTables) -> pd.DataFrame:
    """Per user, episode and day: ``sum(weight)``, ``count(*)``, ``max(ts)``, recomputed from the raw table."""
    s = get_settings()
    day = dt.date.fromisoformat(context.partition_key)
    raw = delta.pandas("user_events_raw", ["ts", "day", "user_id", "new_episode_id", "event", "rating", "position_sec"],
                       filters=[("day", "=", day)])
    out = aggregate(raw, Weights(s.LIKE_W, s.COMPLETE_W, s.SKIP_W, s.PAUSE_SEC_CAP))
    out["day"] = day
    context.add_output_metadata({"dagster/row_count": len(out), "raw_events": len(raw),
                                 "users": int(out["user_id"].nunique()) if len(out) else 0,
                                 "preview": preview(out.sort_values("engagement", ascending=False))})
    return out
