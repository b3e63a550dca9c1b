"""How fresh the live graph is expected to stay: Dagster freshness policies, evaluated by the daemon's freshness
daemon (enabled in the instance config, ``local/instance.py``). A stalled sensor, schedule or automation then
shows red on the asset in the UI instead of the graph going quietly stale."""

from __future__ import annotations

import datetime as dt

import dagster as dg

# what each window covers: the trending cron (every 6 h, ingest/assets.py) may be an hour late (its
# retries); the neighbour lists are compared at least daily (similarities/assets.py) and the daily retrain
# runs at 02:30 (recommendations/sensors.py), each allowed two hours more. Transcripts and engagement have no
# cron: a day and two hours without a new transcript (any episode: Dagster judges the asset, not each
# partition) or without new listening says that the trending shows published nothing new, or that the
# download lane, the transcription lane or the event sensor stopped; the UI shows which, in red.
WATCHED = {
    "ingest": ("trending_podcasts", "episodes", "episode_catalog"),
    "transcripts": ("transcripts",),
    "similarities": ("episode_similarities",),
    "engagement": ("daily_engagement",),
    "recommendations": ("user_recommendations", "hybrid_recommendations"),
}


def policies(minutes: dict[str, float]) -> dict[dg.AssetKey, dg.FreshnessPolicy]:
    """``minutes``: per entry of ``WATCHED``, the window. No warning window: one shorter than the trending cron's
    interval would warn every cycle, and a longer one is a failure an hour later anyway."""
    out = {}
    for stage, names in WATCHED.items():
        policy = dg.FreshnessPolicy.time_window(fail_window=dt.timedelta(minutes=minutes[stage]))
        out.update({dg.AssetKey(name): policy for name in names})
    return out


def with_freshness(assets: list, minutes: dict[str, float]) -> list:
    by_key = policies(minutes)
    return dg.map_asset_specs(
        lambda spec: spec.replace_attributes(freshness_policy=by_key[spec.key]) if spec.key in by_key else spec,
        assets)
