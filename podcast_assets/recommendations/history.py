"""Listening history as the recommender sees it: engagement summed over days."""

from __future__ import annotations

import pandas as pd

# the ``daily_engagement`` columns the recommender reads (in-process and in Spark)
ENGAGEMENT_COLUMNS = ["user_id", "new_episode_id", "engagement", "last_ts"]


def engagement_totals(daily: pd.DataFrame) -> pd.DataFrame:
    """``daily_engagement`` rows (all days) to one row per (user, episode): summed engagement, last time."""
    return (daily.groupby(["user_id", "new_episode_id"], as_index=False)
            .agg(engagement=("engagement", "sum"), last_ts=("last_ts", "max"))
            .rename(columns={"new_episode_id": "episode_id"}))
