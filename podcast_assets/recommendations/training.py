"""Training, evaluation and top-N with any engine's fit, shared by the asset, the CLI and the bench."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from podcast_assets.recommendations.als import AlsParams, Interactions, popularity, recommend
from podcast_assets.recommendations.evaluation import ranking_metrics, split_holdout

# an engine's fit: interactions and parameters to (user factors, item factors); ``als.fit_local``,
# or ``als.fit_spark`` bound to a session (``resources/engines.py`` holds both behind one interface)
Fit = Callable[[Interactions, AlsParams], tuple[np.ndarray, np.ndarray]]


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


def evaluate(df: pd.DataFrame, params: AlsParams, fit: Fit, k: int = 10, time_col: str | None = None) -> dict:
    """Metrics on a held-out split of ``df``, for the model and for popularity."""
    train, test = split_holdout(df, time_col=time_col)
    if test.empty:
        return {}
    data = Interactions.from_frame(train, params)
    u, v = fit(data, params)
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


def train(df: pd.DataFrame, params: AlsParams, fit: Fit, engine: str = "local", evaluate_first: bool = True,
          time_col: str | None = None) -> Trained:
    metrics = evaluate(df, params, fit, time_col=time_col) if evaluate_first else {}
    data = Interactions.from_frame(df, params)
    t0 = time.perf_counter()
    u, v = fit(data, params)
    return Trained(data, u, v, params, engine, metrics, time.perf_counter() - t0)
