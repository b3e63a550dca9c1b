"""The ``daily_engagement`` contract: each day's rows are exactly the raw table's events of that day, counted
and weighed (``engagement.weight``) pair by pair: a lost or an extra raw row, or a stale day, shows."""

from __future__ import annotations

import pandas as pd

from podcast_assets.common.contracts import Verdict, verdict
from podcast_assets.events.engagement import Weights, weight

KEY = ["day", "user_id", "new_episode_id"]


def engagement_matches_raw(daily: pd.DataFrame, raw: pd.DataFrame, w: Weights) -> Verdict:
    """``daily``: the table's rows of some days; ``raw``: the raw events of the same days."""
    if len(raw):
        raw = raw.assign(weight=[weight(e, r if pd.notna(r) else None, p, w)
                                 for e, r, p in zip(raw["event"], raw["rating"], raw["position_sec"])])
    expected = (raw.groupby(KEY).agg(raw_events=("event", "size"), raw_engagement=("weight", "sum"))
                if len(raw) else pd.DataFrame(columns=["raw_events", "raw_engagement"]))
    have = daily.set_index(KEY)[["events", "engagement"]] if len(daily) else pd.DataFrame(columns=["events", "engagement"])
    both = have.join(expected, how="outer")
    failures = []
    for (day, user, episode), row in both.iterrows():
        where = f"{day} user {user} episode {episode}"
        if pd.isna(row["events"]):
            failures.append(f"{where}: {int(row['raw_events'])} raw events, no engagement row")
        elif pd.isna(row["raw_events"]):
            failures.append(f"{where}: an engagement row of {int(row['events'])} events, no raw event")
        elif int(row["events"]) != int(row["raw_events"]):
            failures.append(f"{where}: {int(row['events'])} events counted, {int(row['raw_events'])} raw")
        elif abs(float(row["engagement"]) - float(row["raw_engagement"])) > 1e-6:
            failures.append(f"{where}: engagement {row['engagement']:.3f}, the raw events weigh "
                            f"{row['raw_engagement']:.3f}")
    return verdict(len(both), failures)
