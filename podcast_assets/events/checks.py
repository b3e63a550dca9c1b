"""Asset checks of the events stage."""

import datetime as dt

import dagster as dg

from podcast_assets.events.assets import daily_engagement
from podcast_assets.events.contracts import KEY, engagement_matches_raw
from podcast_assets.resources.delta import DeltaTables
from podcast_assets.resources.listeners import ListenerEventsResource
from podcast_assets.runs.check_results import check_result, latest_materialization


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
