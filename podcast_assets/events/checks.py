"""Asset checks of the events stage."""

import datetime as dt

import dagster as dg
import pandas as pd

from podcast_assets.common.contracts import verdict
from podcast_assets.events import commit_history
from podcast_assets.events.assets import daily_engagement, user_events_raw
from podcast_assets.events.contracts import (
    KEY,
    engagement_matches_raw,
    event_ids_unique,
    offsets_held_once,
    ranges_follow_on,
)
from podcast_assets.resources.delta import DeltaTables
from podcast_assets.resources.kafka import KafkaResource
from podcast_assets.resources.listeners import ListenerEventsResource
from podcast_assets.runs.check_results import (
    check_result,
    last_evaluation,
    latest_materialization,
    recent_materializations,
)


def _days_of_latest_run(context) -> tuple[dt.date, dt.date] | None:
    """The days the latest ``daily_engagement`` run recomputed (one day or a range): this run's, when the check
    runs with the asset. (A check on the asset's own partitions is still "preview" in dagster 1.13 and cannot
    be run on its own for a day; this one can, from the UI or a job.)"""
    latest = latest_materialization(context, daily_engagement.key)
    tags = latest.tags
    first = tags.get("dagster/asset_partition_range_start") or tags.get("dagster/partition") or latest.partition
    last = tags.get("dagster/asset_partition_range_end") or first
    return (dt.date.fromisoformat(first), dt.date.fromisoformat(last)) if first else None


@dg.asset_check(asset=daily_engagement,
                description="The days the latest run recomputed hold exactly those days' raw events, counted and "
                            "weighed, pair by pair")
def engagement_matches_raw_events(context: dg.AssetCheckExecutionContext, delta: DeltaTables,
                                  listeners: ListenerEventsResource) -> dg.AssetCheckResult:
    days = _days_of_latest_run(context)
    if days is None:
        return dg.AssetCheckResult(passed=True, description="no day of engagement computed yet")
    first, last = days
    between = [("day", ">=", first), ("day", "<=", last)]
    raw = delta.pandas("user_events_raw", [*KEY, "event", "rating", "position_sec"], filters=between)
    daily = delta.pandas("daily_engagement", [*KEY, "events", "engagement"], filters=between)
    return check_result(engagement_matches_raw(daily, raw, listeners.weights()), "(day, user, episode) rows",
                        days=f"{first}..{last}" if first != last else str(first), raw_events=len(raw))


@dg.asset_check(asset=user_events_raw, blocking=True,
                description="Exactly once, from the table's own commit log: the offset ranges of the commits since "
                            "the previous run follow on (no gap, no overlap), each of their offsets is held by one "
                            "raw row or dead letter, and each event id appears once a day")
def events_land_exactly_once(context: dg.AssetCheckExecutionContext, delta: DeltaTables,
                             kafka: KafkaResource) -> dg.AssetCheckResult:
    raw = delta.table("user_events_raw")
    if raw is None:
        return dg.AssetCheckResult(passed=True, description="no event ingested yet")
    runs = recent_materializations(context, user_events_raw.key, 2)
    upto = int(runs[0].metadata.get("delta_version", raw.version())) if runs else raw.version()
    after = _judged_through(context, runs, upto)
    topic, uri = kafka.user_events_topic, delta.uri("user_events_raw")
    commits = [c for c in commit_history.commits_since(raw, after, topic) if c.version <= upto]
    window = commit_history.spans(commits)
    chain = ranges_follow_on(commits, commit_history.held_before(uri, after, topic, window),
                             commit_history.held_before(uri, upto, topic, window))
    held = pd.concat([_offsets(delta, table, window) for table in ("user_events_raw", "user_events_dead_letters")])
    days = sorted(set(held["day"].dropna()))
    ids = delta.pandas("user_events_raw", ["event_id", "day"], filters=[("day", "in", days)]) if days else \
        pd.DataFrame(columns=["event_id", "day"])
    failures = verdict(chain.checked, chain.failures, offsets_held_once(window, held).failures,
                       event_ids_unique(ids).failures)
    return check_result(failures, "commit ranges", commits=len(commits), through_version=upto,
                        versions=f"{after + 1}..{upto}" if upto > after else "no new commit",
                        offsets=int(sum(b - a for a, b in window.values())), days=len(days), event_ids=len(ids))


def _judged_through(context, runs, upto: int) -> int:
    """The version the commits were judged through last time: this check's latest evaluation, so a run whose
    check never ran (killed after its materialisation) has its commits judged now; before any evaluation, the
    previous materialisation's version; on a table older than both, only the newest commit (-1 when the
    table is new: all of it is this run's)."""
    last = last_evaluation(context, dg.AssetCheckKey(user_events_raw.key, "events_land_exactly_once"))
    if last and "through_version" in last:
        return min(int(last["through_version"]), upto)
    if len(runs) > 1:
        return int(runs[1].metadata.get("delta_version", upto - 1))
    return -1


def _offsets(delta: DeltaTables, table: str, window) -> pd.DataFrame:
    columns = ["kafka_epoch", "kafka_partition", "kafka_offset"] + (["day"] if table == "user_events_raw" else [])
    parts = [delta.pandas(table, columns, filters=commit_history.offset_filters(key, span))
             for key, span in window.items()]
    frame = pd.concat(parts) if parts else pd.DataFrame(columns=columns)
    return frame.assign(table=table)
