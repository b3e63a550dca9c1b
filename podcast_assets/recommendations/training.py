"""Training, evaluation and top-N with any engine's fit, shared by the asset, the CLI and the bench."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from podcast_assets.recommendations.als import AlsParams, Interactions, popularity_factors, recommend
from podcast_assets.recommendations.evaluation import ranking_metrics, split_holdout
from podcast_assets.recommendations.lists import model_rows

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
    totals: pd.DataFrame  # user_id, episode_id, engagement: one row per engaged pair, skips included
    metrics: dict = field(default_factory=dict)
    fit_seconds: float = 0.0

    def top_n(self, n: int, blocked: frozenset[str] = frozenset()) -> pd.DataFrame:
        """``user_id, episode_id, score, rank, strategy`` under the same rules as the published lists
        (``lists.model_rows``): no engaged item (skips included), popularity for users the model does not
        know, never a ``blocked`` (unplayable) item."""
        rows = model_rows(self.user_factors, self.item_factors, self.data.users, self.data.items, self.totals,
                          set(blocked), n, "")
        frame = pd.DataFrame(rows, columns=["user_id", "new_episode_id", "als_score", "popularity", "rank",
                                            "strategy"])
        return pd.DataFrame({"user_id": frame["user_id"], "episode_id": frame["new_episode_id"],
                             "score": frame["als_score"].fillna(frame["popularity"]), "rank": frame["rank"],
                             "strategy": frame["strategy"]})


def _frame(data: Interactions, idx: np.ndarray, scores: np.ndarray) -> pd.DataFrame:
    users = np.repeat(np.arange(idx.shape[0]), idx.shape[1])
    ranks = np.tile(np.arange(1, idx.shape[1] + 1), idx.shape[0])
    flat_i, flat_s = idx.ravel(), scores.ravel()
    keep = flat_i >= 0
    items = np.asarray(data.items, dtype=object)
    return pd.DataFrame({"user_id": np.asarray(data.users, dtype=object)[users[keep]],
                         "episode_id": items[flat_i[keep]], "score": flat_s[keep].astype(float),
                         "rank": ranks[keep]})


def relevant_items(test: pd.DataFrame) -> dict[str, set[str]]:
    return {str(user): set(group["episode_id"].astype(str)) for user, group in test.groupby("user_id")}


def held_out_metrics(data: Interactions, user_factors: np.ndarray, item_factors: np.ndarray,
                     relevant: dict[str, set[str]], k: int = 10) -> dict:
    """Ranking metrics of a fitted model's top-``k`` (engaged items excluded) against held-out items."""
    recs = _frame(data, *recommend(user_factors, item_factors, data.matrix, k))
    lists = recs.sort_values(["user_id", "rank"]).groupby("user_id")["episode_id"].apply(list).to_dict()
    return ranking_metrics(lists, relevant, k)


def evaluate(df: pd.DataFrame, params: AlsParams, fit: Fit, k: int = 10, time_col: str | None = None) -> dict:
    """Metrics on a held-out split of ``df``, for the model and for popularity."""
    train, test = split_holdout(df, time_col=time_col)
    if test.empty:
        return {}
    data = Interactions.from_frame(train, params)
    relevant = relevant_items(test)
    model = held_out_metrics(data, *fit(data, params), relevant, k)
    pop = held_out_metrics(data, *popularity_factors(data.matrix), relevant, k)
    return {**{f"als_{m}": x for m, x in model.items()}, **{f"popularity_{m}": x for m, x in pop.items()},
            "test_interactions": int(len(test))}


def train(df: pd.DataFrame, params: AlsParams, fit: Fit, engine: str = "local", evaluate_first: bool = True,
          time_col: str | None = None) -> Trained:
    metrics = evaluate(df, params, fit, time_col=time_col) if evaluate_first else {}
    data = Interactions.from_frame(df, params)
    t0 = time.perf_counter()
    u, v = fit(data, params)
    totals = df.groupby(["user_id", "episode_id"], as_index=False)["engagement"].sum()
    totals[["user_id", "episode_id"]] = totals[["user_id", "episode_id"]].astype(str)
    return Trained(data, u, v, params, engine, totals, metrics, time.perf_counter() - t0)
