"""The published lists computed by Spark tasks, under the rules of ``rules.py`` and ``lists.py``: nothing about a
user or an item passes through the driver.

Each task reads the *item table* (one row per episode: its factors, if the model has them, whether it may be
recommended, how many users engaged with it) from storage, once per Python worker, and ranks its own users'
rows: the model's top-N (``als.recommend``, engaged and unplayable episodes excluded) for a user with factors,
the popular episodes they have not engaged with for anyone else, marked ``strategy: popularity``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from podcast_assets.recommendations.als import recommend

LIST_SCHEMA = ("user_id string, new_episode_id string, als_score double, popularity double, rank int, "
               "strategy string")
LIST_COLUMNS = ["user_id", "new_episode_id", "als_score", "popularity", "rank", "strategy"]
ITEM_COLUMNS = ["i", "episode_id", "features", "recommendable", "reached", "popularity"]

_ITEMS: dict[str, tuple] = {}  # per Python worker: the item table of a location, read once


def read_items(location: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(episode ids by index, item factors (zeros where the model has none), the indices the model may
    recommend, the popular indices in order, popularity by index) of an item table written by ``item_table``."""
    if location not in _ITEMS:
        import pyarrow.parquet as pq

        t = pq.read_table(location, columns=ITEM_COLUMNS).to_pandas().sort_values("i")
        has = t["features"].notna().to_numpy()
        rank = len(t["features"][has].iloc[0]) if has.any() else 1
        factors = np.zeros((int(t["i"].max()) + 1 if len(t) else 0, rank), np.float32)
        if has.any():
            factors[t["i"].to_numpy()[has]] = np.stack(t["features"][has].to_numpy()).astype(np.float32)
        ids = np.empty(len(factors), dtype=object)
        ids[t["i"].to_numpy()] = t["episode_id"].to_numpy()
        popularity = np.zeros(len(factors))
        popularity[t["i"].to_numpy()] = t["popularity"].to_numpy(float)
        ok = t["recommendable"].to_numpy(bool)
        model_items = np.sort(t["i"].to_numpy()[has & ok]).astype(np.int64)
        # most popular first, ties by id: the order of ``rules.popular``
        ranked = t[ok & t["reached"].to_numpy(bool)].sort_values(["popularity", "episode_id"],
                                                                   ascending=[False, True], kind="stable")
        _ITEMS.clear()  # one table at a time: a worker serves one publish after another
        _ITEMS[location] = (ids, factors, model_items, ranked["i"].to_numpy(np.int64), popularity)
    return _ITEMS[location]


def _model_lists(batch: pd.DataFrame, ids, factors, allowed, n: int) -> pd.DataFrame:
    users = np.stack(batch["features"].to_numpy()).astype(np.float32)
    rows = np.repeat(np.arange(len(batch)), [len(s) for s in batch["seen"]])
    cols = np.concatenate([np.asarray(s, np.int64) for s in batch["seen"]]) if len(rows) else np.zeros(0, np.int64)
    seen = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(len(batch), len(factors)))
    idx, scores = recommend(users, factors, seen, n, allowed)
    u, r = np.nonzero(idx >= 0)
    return pd.DataFrame({"user_id": batch["user_id"].to_numpy()[u], "new_episode_id": ids[idx[u, r]],
                         "als_score": scores[u, r].astype(float), "popularity": np.nan, "rank": r + 1,
                         "strategy": "als"})


def _popular_lists(batch: pd.DataFrame, ids, ranked, popularity, n: int) -> pd.DataFrame:
    out = []
    for user, seen in zip(batch["user_id"], batch["seen"]):
        mine = set(seen)
        picks = [i for i in ranked[: n + len(mine)] if i not in mine][:n]
        out += [(user, ids[i], popularity[i], r + 1) for r, i in enumerate(picks)]
    frame = pd.DataFrame(out, columns=["user_id", "new_episode_id", "popularity", "rank"])
    return frame.assign(als_score=np.nan, strategy="popularity")[LIST_COLUMNS]


def ranker(location: str, n: int, popularity_only: bool = False):
    """The ``mapInPandas`` function over ``user_id, features, seen`` rows (``features`` null for a user the
    model does not know; ``seen``: the item indices they engaged with) to ``LIST_SCHEMA`` rows."""

    def rank(batches):
        ids, factors, allowed, ranked, popularity = read_items(location)
        for batch in batches:
            batch = batch.assign(seen=[s if s is not None else [] for s in batch["seen"]])
            known = batch["features"].notna().to_numpy() & (not popularity_only) & (len(allowed) > 0)
            parts = [_popular_lists(batch[~known], ids, ranked, popularity, n)]
            if known.any():
                parts.append(_model_lists(batch[known], ids, factors, allowed, n))
            yield pd.concat(parts, ignore_index=True)[LIST_COLUMNS].astype({"rank": "int32"})

    return rank
