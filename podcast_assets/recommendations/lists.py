"""The recommendation lists a model version publishes, under ``rules.py``: the model's top-N for the users
it knows, the popular episodes (marked ``strategy: popularity``) for everyone else with engagement."""

from __future__ import annotations

import numpy as np
import pandas as pd

from podcast_assets.recommendations.als import recommend
from podcast_assets.recommendations.rules import allowed_indices, known_users, popular, seen_matrix


def top_n_rows(idx: np.ndarray, scores: np.ndarray, users: list[str], items: list[str], version: str) -> list[dict]:
    """The ``als_top_n`` documents of a model version (rank from 1; padding of short lists dropped)."""
    return [{"user_id": users[u], "new_episode_id": items[i], "als_score": float(sc), "rank": r + 1,
             "model_version": version, "_id": f"{version}|{users[u]}|{r + 1}", "strategy": "als"}
            for u in range(idx.shape[0]) for r, (i, sc) in enumerate(zip(idx[u], scores[u])) if i >= 0]


def popularity_rows(users: list[str], totals: pd.DataFrame, blocked: set[str], n: int, version: str) -> list[dict]:
    """Each user's most popular recommendable episodes they have not engaged with."""
    ranked = popular(totals, blocked)
    seen = totals.groupby("user_id")["episode_id"].apply(set).to_dict()
    rows = []
    for user in users:
        mine = seen.get(user, set())
        picks = [(e, c) for e, c in ranked.items() if e not in mine][:n]
        rows += [{"user_id": user, "new_episode_id": str(e), "popularity": float(c), "rank": r + 1,
                  "model_version": version, "_id": f"{version}|{user}|{r + 1}", "strategy": "popularity"}
                 for r, (e, c) in enumerate(picks)]
    return rows


def model_rows(user_factors: np.ndarray, item_factors: np.ndarray, users: list[str], items: list[str],
               totals: pd.DataFrame, blocked: set[str], n: int, version: str) -> list[dict]:
    """A model's lists for every user with engagement: its top-N for the users it knows (engaged and
    ``blocked`` (unplayable) episodes excluded), popularity for users with no positive engagement or newer
    than the model."""
    allowed = allowed_indices(items, blocked) if blocked else None
    idx, scores = recommend(user_factors, item_factors, seen_matrix(totals, users, items), n, allowed)
    known = known_users(totals)
    mine = np.array([u in known for u in users], dtype=bool)
    served = [u for u, k in zip(users, mine) if k]
    rows = top_n_rows(idx[mine], scores[mine], served, items, version)
    rest = sorted(set(totals["user_id"].astype(str)) - set(served))
    return rows + popularity_rows(rest, totals, blocked, n, version)
