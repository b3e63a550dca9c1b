"""Daily engagement: per (user, episode, day) ``sum(weight)``, ``count(*)`` and ``max(ts)``."""

from __future__ import annotations

import pandas as pd

from podcast_assets.core.events import Weights, weight

COLUMNS = ["user_id", "new_episode_id", "day", "engagement", "events", "last_ts"]


def daily_engagement(raw: pd.DataFrame, w: Weights) -> pd.DataFrame:
    if raw.empty:
        return pd.DataFrame(columns=COLUMNS)
    df = raw.copy()
    df["weight"] = [weight(e, r if pd.notna(r) else None, p, w)
                    for e, r, p in zip(df["event"], df["rating"], df["position_sec"])]
    out = (df.groupby(["user_id", "new_episode_id", "day"], as_index=False)
           .agg(engagement=("weight", "sum"), events=("weight", "size"), last_ts=("ts", "max")))
    out["events"] = out["events"].astype("int64")
    return out[COLUMNS].sort_values(["user_id", "new_episode_id"]).reset_index(drop=True)
