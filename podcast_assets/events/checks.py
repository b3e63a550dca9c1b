"""Asset checks of the events stage."""

import datetime as dt
import warnings

import dagster as dg

from podcast_assets.events.assets import daily_engagement, days
from podcast_assets.events.contracts import KEY, engagement_matches_raw
from podcast_assets.resources.delta import DeltaTables
from podcast_assets.resources.listeners import ListenerEventsResource
from podcast_assets.runs.check_results import check_result

# a partitioned check is "preview" in dagster 1.13: say so here, not on every code load
with warnings.catch_warnings():
    warnings.simplefilter("ignore", dg.PreviewWarning)

    @dg.asset_check(asset=daily_engagement, partitions_def=days,
                    description="Each day's engagement rows are exactly that day's raw events, counted and weighed")
    def engagement_matches_raw_events(context: dg.AssetCheckExecutionContext, delta: DeltaTables,
                                      listeners: ListenerEventsResource) -> dg.AssetCheckResult:
        window = context.partition_time_window
        first, last = window.start.date(), (window.end - dt.timedelta(days=1)).date()
        between = [("day", ">=", first), ("day", "<=", last)]
        raw = delta.pandas("user_events_raw", [*KEY, "event", "rating", "position_sec"], filters=between)
        daily = delta.pandas("daily_engagement", [*KEY, "events", "engagement"], filters=between)
        return check_result(engagement_matches_raw(daily, raw, listeners.weights()), "(day, user, episode) rows",
                            days=f"{first}..{last}" if first != last else str(first), raw_events=len(raw))
