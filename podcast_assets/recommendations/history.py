"""Listening history as the recommender sees it: engagement summed over days, and who engaged with what."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp


def engagement_totals(daily: pd.DataFrame) -> pd.DataFrame:
    """``daily_engagement`` rows (all days) to one row per (user, episode): summed engagement, last time."""
    return (daily.groupby(["user_id", "new_episode_id"], as_index=False)
            .agg(engagement=("engagement", "sum"), last_ts=("last_ts", "max"))
            .rename(columns={"new_episode_id": "episode_id"}))


def seen_matrix(totals: pd.DataFrame, users: list[str], items: list[str]) -> sp.csr_matrix:
    """The engaged (user, episode) pairs among a model's users and items, as a users x items matrix."""
    u_ix = {u: i for i, u in enumerate(users)}
    i_ix = {e: j for j, e in enumerate(items)}
    df = totals[totals["user_id"].isin(u_ix) & totals["episode_id"].isin(i_ix)]
    return sp.csr_matrix((np.ones(len(df), np.float32), (df["user_id"].map(u_ix), df["episode_id"].map(i_ix))),
                         shape=(len(u_ix), len(i_ix)))


def top_n_rows(idx: np.ndarray, scores: np.ndarray, users: list[str], items: list[str], version: str) -> list[dict]:
    """The ``als_top_n`` documents of a model version (rank from 1; padding of short lists dropped)."""
    return [{"user_id": users[u], "new_episode_id": items[i], "als_score": float(sc), "rank": r + 1,
             "model_version": version, "_id": f"{version}|{users[u]}|{r + 1}"}
            for u in range(idx.shape[0]) for r, (i, sc) in enumerate(zip(idx[u], scores[u])) if i >= 0]
