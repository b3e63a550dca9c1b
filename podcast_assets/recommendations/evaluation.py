"""Ranking metrics on held-out interactions: NDCG@k, precision@k and recall@k."""

from __future__ import annotations

import numpy as np
import pandas as pd


def split_holdout(df: pd.DataFrame, fraction: float = 0.2, seed: int = 7, time_col: str | None = None,
                  min_items: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per user with at least ``min_items`` positive items, hold out the last (by ``time_col``) or a
    random ``fraction`` of them; the rest is training data."""
    rng = np.random.default_rng(seed)
    test_idx = []
    for _, g in df[df["engagement"] > 0].groupby("user_id"):
        if len(g) < min_items:
            continue
        k = max(1, int(round(len(g) * fraction)))
        chosen = g.sort_values(time_col).index[-k:] if time_col else rng.choice(g.index, size=k, replace=False)
        test_idx.extend(chosen)
    test = df.loc[test_idx]
    return df.drop(index=test_idx), test


def ranking_metrics(recommended: dict[str, list[str]], relevant: dict[str, set[str]], k: int = 10) -> dict[str, float]:
    ndcg, prec, rec = [], [], []
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    for user, truth in relevant.items():
        if not truth:
            continue
        recs = recommended.get(user, [])[:k]
        hits = np.array([1.0 if r in truth else 0.0 for r in recs] + [0.0] * (k - len(recs)))
        ideal = discounts[: min(len(truth), k)].sum()
        ndcg.append(float((hits * discounts).sum() / ideal))
        prec.append(hits.sum() / k)
        rec.append(hits.sum() / len(truth))
    mean = lambda xs: float(np.mean(xs)) if xs else 0.0  # noqa: E731
    return {f"ndcg@{k}": mean(ndcg), f"precision@{k}": mean(prec), f"recall@{k}": mean(rec), "users": len(ndcg)}


def beats_popularity(metrics: dict) -> tuple[bool, str]:
    """Whether a model may be published: its held-out NDCG@10 at least popularity's. A model that could not
    be evaluated (too few users with enough history to hold some out) is not published either."""
    als, pop = metrics.get("als_ndcg@10"), metrics.get("popularity_ndcg@10")
    if als is None or pop is None:
        return False, "not evaluated: too little history for a held-out split"
    if als < pop:
        return False, f"NDCG@10 {als:.3f} is below popularity's {pop:.3f}"
    return True, f"NDCG@10 {als:.3f} >= popularity's {pop:.3f}"
