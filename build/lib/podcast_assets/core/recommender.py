"""Training, evaluation and top-N on one engine or the other, shared by the asset, the CLI and the bench."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from podcast_assets.core.als import AlsParams, Interactions, fit_local, fit_spark, popularity, recommend
from podcast_assets.core.evaluation import ranking_metrics, split_holdout


@dataclass
class Trained:
    data: Interactions
    user_factors: np.ndarray
    item_factors: np.ndarray
    params: AlsParams
    engine: str
    metrics: dict = field(default_factory=dict)
    fit_seconds: float = 0.0

    def top_n(self, n: int) -> pd.DataFrame:
        """``user_id, episode_id, score, rank``; engaged items are excluded."""
        idx, scores = recommend(self.user_factors, self.item_factors, self.data.matrix, n)
        return _frame(self.data, idx, scores)


def _frame(data: Interactions, idx: np.ndarray, scores: np.ndarray) -> pd.DataFrame:
    users = np.repeat(np.arange(idx.shape[0]), idx.shape[1])
    ranks = np.tile(np.arange(1, idx.shape[1] + 1), idx.shape[0])
    flat_i, flat_s = idx.ravel(), scores.ravel()
    keep = flat_i >= 0
    items = np.asarray(data.items, dtype=object)
    return pd.DataFrame({"user_id": np.asarray(data.users, dtype=object)[users[keep]],
                         "episode_id": items[flat_i[keep]], "score": flat_s[keep].astype(float),
                         "rank": ranks[keep]})


def fit(data: Interactions, params: AlsParams, engine: str, spark=None) -> tuple[np.ndarray, np.ndarray]:
    if engine == "spark":
        if spark is None:
            raise ValueError("the spark engine needs a Spark session")
        return fit_spark(spark, data, params)
    if engine != "local":
        raise ValueError(f"unknown ALS engine {engine!r}: local or spark")
    return fit_local(data, params)


def evaluate(df: pd.DataFrame, params: AlsParams, engine: str, spark=None, k: int = 10,
             time_col: str | None = None) -> dict:
    """Metrics on a held-out split of ``df``, for the model and for popularity."""
    train, test = split_holdout(df, time_col=time_col)
    if test.empty:
        return {}
    data = Interactions.from_frame(train, params)
    u, v = fit(data, params, engine, spark)
    relevant = {}
    for user, group in test.groupby("user_id"):
        relevant[str(user)] = set(group["episode_id"].astype(str))
    model_recs = _frame(data, *recommend(u, v, data.matrix, k))
    pop_recs = _frame(data, *popularity(data.matrix, k))
    as_lists = lambda f: f.sort_values(["user_id", "rank"]).groupby("user_id")["episode_id"].apply(list).to_dict()  # noqa: E731
    model = ranking_metrics(as_lists(model_recs), relevant, k)
    pop = ranking_metrics(as_lists(pop_recs), relevant, k)
    return {**{f"als_{m}": x for m, x in model.items()}, **{f"popularity_{m}": x for m, x in pop.items()},
            "test_interactions": int(len(test))}


def train(df: pd.DataFrame, params: AlsParams, engine: str = "local", spark=None, evaluate_first: bool = True,
          time_col: str | None = None) -> Trained:
    metrics = evaluate(df, params, engine, spark, time_col=time_col) if evaluate_first else {}
    data = Interactions.from_frame(df, params)
    t0 = time.perf_counter()
    u, v = fit(data, params, engine, spark)
    return Trained(data, u, v, params, engine, metrics, time.perf_counter() - t0)
