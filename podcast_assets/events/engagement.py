"""Engagement: the notes' weight of each event, and per (user, episode, day) ``sum(weight)``,
``count(*)`` and ``max(ts)``."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Weights:
    like: float = 3.0
    complete: float = 2.0
    skip: float = -1.0
    pause_cap_sec: float = 600.0


def weight(event: str, rating: float | None, position_sec: float, w: Weights) -> float:
    """The notes' scoring: like, complete, rating - 3, capped pause fraction, skip."""
    if event == "like":
        return w.like
    if event == "complete":
        return w.complete
    if event == "rate":
        return float(rating) - 3.0 if rating is not None else 0.0
    if event == "pause":
        return min(max(position_sec, 0.0) / w.pause_cap_sec, 1.0)
    if event == "skip":
        return w.skip
    raise ValueError(f"unknown event type {event!r}")


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
