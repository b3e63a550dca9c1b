"""Hybrid recommendations: ALS blended with content similarity, with fallbacks for thin histories.

For a user with at least ``min_history`` positively engaged episodes: ``(1 - w) * als + w * content``,
both scaled to [0, 1] per user, where content is the best cosine between a candidate and the
user's liked episodes. With less history: content alone if any liked episode has a vector, else
popularity. What may be recommended follows ``rules.py``: never an engaged episode (a skip included),
never an unplayable (``blocked``) one.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from podcast_assets.recommendations.rules import popular


def _scale(x: np.ndarray) -> np.ndarray:
    finite = np.isfinite(x)
    if not finite.any():
        return np.zeros_like(x)
    lo, hi = x[finite].min(), x[finite].max()
    out = np.zeros_like(x) if hi == lo else (x - lo) / (hi - lo)
    out[~finite] = -np.inf
    return out


def blend(user_factors: np.ndarray, item_factors: np.ndarray, users: list[str], items: list[str],
          history: pd.DataFrame, vectors: pd.DataFrame, n: int, weight: float, min_history: int,
          blocked: set[str]):
    candidates = sorted(set(items) | set(vectors["episode_id"]) | set(history["episode_id"]))
    c_ix = {c: j for j, c in enumerate(candidates)}
    dim = len(vectors["embedding"].iloc[0]) if len(vectors) else 0
    vec = np.zeros((len(candidates), max(dim, 1)), np.float32)
    has_vec = np.zeros(len(candidates), bool)
    for eid, emb in zip(vectors["episode_id"], vectors["embedding"]):
        vec[c_ix[eid]] = emb
        has_vec[c_ix[eid]] = True
    item_map = np.array([c_ix[i] for i in items], dtype=np.int64)
    u_ix = {u: i for i, u in enumerate(users)}
    pop = np.zeros(len(candidates), np.float32)
    for eid, cnt in popular(history, blocked).items():
        pop[c_ix[eid]] = cnt
    unplayable = np.array([c in blocked for c in candidates], dtype=bool)
    rows, kinds = [], Counter()
    for user, group in history.groupby("user_id"):
        engaged = np.array([c_ix[e] for e in group["episode_id"]], dtype=np.int64)
        liked = np.array([c_ix[e] for e in group.loc[group["engagement"] > 0, "episode_id"]], dtype=np.int64)
        liked_vec = liked[has_vec[liked]] if len(liked) else liked
        content = (vec @ vec[liked_vec].T).max(axis=1) if len(liked_vec) else None
        if content is not None:
            content = np.where(has_vec, content, -np.inf)
        if len(liked) >= min_history and user in u_ix:
            als = np.full(len(candidates), -np.inf, np.float32)
            als[item_map] = item_factors @ user_factors[u_ix[user]]
            score = (1 - weight) * _scale(als) + (weight * _scale(content) if content is not None else 0)
            strategy = "hybrid"
        elif content is not None:
            score, strategy = _scale(content), "content"
        else:
            score, strategy = _scale(pop.copy()), "popularity"
        score = score.astype(np.float64)
        score[engaged] = -np.inf
        score[unplayable] = -np.inf
        order = [j for j in np.argsort(-score, kind="stable")[:n] if np.isfinite(score[j])]
        kinds[strategy] += 1
        rows += [{"user_id": str(user), "new_episode_id": candidates[j], "score": float(score[j]), "rank": r + 1,
                  "strategy": strategy} for r, j in enumerate(order)]
    return rows, dict(kinds)
