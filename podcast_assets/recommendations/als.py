"""Implicit-feedback ALS behind one interface: a fast in-process engine (``implicit``) and Spark ML.

Both engines learn user and item factor matrices from (user, item, engagement) rows; scoring,
exclusion of already-engaged items and top-N are shared numpy code, so the engines differ only in
how the factors are fitted. Engagement becomes confidence by ``log`` (``alpha * log1p(e)``) or
``linear`` (``alpha * e``); negative engagement (skips) carries no confidence.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp


@dataclass(frozen=True)
class AlsParams:  # the defaults of settings.py (ALS_*), chosen on validation data by bench/recs.py
    rank: int = 256
    iterations: int = 15
    reg: float = 5.0
    alpha: float = 0.1
    confidence: str = "linear"
    seed: int = 42

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Interactions:
    users: list[str]
    items: list[str]
    matrix: sp.csr_matrix  # users x items, confidence

    @classmethod
    def from_frame(cls, df: pd.DataFrame, params: AlsParams, users=None, items=None) -> Interactions:
        """``df``: user_id, episode_id, engagement (summed here per pair); ids are indexed afresh."""
        agg = df.groupby(["user_id", "episode_id"], as_index=False)["engagement"].sum()
        users = users if users is not None else sorted(agg["user_id"].astype(str).unique())
        items = items if items is not None else sorted(agg["episode_id"].astype(str).unique())
        u_ix = {u: i for i, u in enumerate(users)}
        i_ix = {it: j for j, it in enumerate(items)}
        agg = agg[agg["user_id"].astype(str).isin(u_ix) & agg["episode_id"].astype(str).isin(i_ix)]
        conf = confidence(agg["engagement"].to_numpy(np.float64), params)
        keep = conf > 0
        rows = agg["user_id"].astype(str).map(u_ix).to_numpy()[keep]
        cols = agg["episode_id"].astype(str).map(i_ix).to_numpy()[keep]
        m = sp.csr_matrix((conf[keep].astype(np.float32), (rows, cols)), shape=(len(users), len(items)))
        return cls(list(users), list(items), m)


def confidence(engagement: np.ndarray, params: AlsParams) -> np.ndarray:
    pos = np.clip(engagement, 0, None)
    if params.confidence == "linear":
        return params.alpha * pos
    return params.alpha * np.log1p(pos)


def fit_local(data: Interactions, params: AlsParams) -> tuple[np.ndarray, np.ndarray]:
    import warnings

    from implicit.cpu.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    warnings.filterwarnings("ignore", message="OpenBLAS is configured")  # we limit BLAS threads below
    model = AlternatingLeastSquares(factors=params.rank, regularization=params.reg, alpha=1.0,
                                    iterations=params.iterations, random_state=params.seed)
    with threadpool_limits(1, "blas"):  # implicit's own threads; BLAS threads on top only contend
        model.fit(data.matrix, show_progress=False)
    return np.asarray(model.user_factors), np.asarray(model.item_factors)


def spark_estimator(spark, params: AlsParams, per_user: float):
    """Spark ML's ALS on ``u, i, c`` rows (c: confidence from ``confidence``), set to learn what ``fit_local`` does.

    Spark computes confidence as 1 + alpha * r: it gets the engagement-derived values and alpha=1. It also
    scales regParam by each user's and item's interaction count (ALS-WR), where implicit does not, so the same
    strength of regularisation is reg divided by the mean count per user (``per_user``)."""
    import tempfile

    from pyspark.ml.recommendation import ALS

    if spark.sparkContext.getCheckpointDir() is None:  # checkpoints cut ALS's lineage every few iterations
        spark.sparkContext.setCheckpointDir(tempfile.mkdtemp(prefix="als-checkpoints-"))
    return ALS(rank=params.rank, maxIter=params.iterations, regParam=params.reg / max(1.0, per_user), alpha=1.0,
               implicitPrefs=True, userCol="u", itemCol="i", ratingCol="c", seed=params.seed, nonnegative=False,
               coldStartStrategy="drop", checkpointInterval=5)


def fit_spark(spark, data: Interactions, params: AlsParams) -> tuple[np.ndarray, np.ndarray]:
    """Spark's fit of an in-memory matrix, factors brought back (the CLI and the bench; the graph's Spark engine
    keeps everything on the executors: ``spark_als.py``)."""
    coo = data.matrix.tocoo()
    frame = pd.DataFrame({"u": coo.row.astype(np.int32), "i": coo.col.astype(np.int32), "c": coo.data.astype(np.float32)})
    per_user = data.matrix.nnz / max(1, data.matrix.shape[0])
    model = spark_estimator(spark, params, per_user).fit(spark.createDataFrame(frame))
    users = np.zeros((len(data.users), params.rank), np.float32)
    items = np.zeros((len(data.items), params.rank), np.float32)
    for row in model.userFactors.collect():
        users[row["id"]] = row["features"]
    for row in model.itemFactors.collect():
        items[row["id"]] = row["features"]
    return users, items


def recommend(user_factors: np.ndarray, item_factors: np.ndarray, engaged: sp.csr_matrix, n: int,
              allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Top-``n`` item indices and scores per user by ``implicit``'s own top-N (C++, all cores), never an
    item the user engaged with (any stored entry of ``engaged``, skips included) and, if ``allowed`` (item
    indices) is given, only those. Rows with fewer candidates are padded with -1."""
    import warnings

    from implicit.cpu.als import AlternatingLeastSquares

    n = min(n, item_factors.shape[0])
    users = len(user_factors)
    if users == 0 or n == 0:
        return np.full((users, n), -1, np.int64), np.full((users, n), -np.inf, np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # implicit's BLAS advice is about fitting, not this
        scorer = AlternatingLeastSquares(factors=item_factors.shape[1])  # any engine's factors, scored alike
        scorer.user_factors = np.ascontiguousarray(user_factors, dtype=np.float32)
        scorer.item_factors = np.ascontiguousarray(item_factors, dtype=np.float32)
        idx, scores = scorer.recommend(np.arange(users), sp.csr_matrix(engaged, dtype=np.float32), N=n,
                                       filter_already_liked_items=True,
                                       items=None if allowed is None else np.asarray(allowed, np.int64))
    idx, scores = np.asarray(idx, np.int64).reshape(users, -1), np.asarray(scores, np.float32).reshape(users, -1)
    dropped = scores <= np.finfo(np.float32).min / 2  # implicit marks filtered slots with -FLT_MAX
    idx[dropped], scores[dropped] = -1, -np.inf
    if idx.shape[1] < n:  # fewer allowed items than n
        pad = n - idx.shape[1]
        idx = np.hstack([idx, np.full((users, pad), -1, np.int64)])
        scores = np.hstack([scores, np.full((users, pad), -np.inf, np.float32)])
    return idx, scores


def popularity_factors(seen: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    """Popularity as factors: every user the same, each item its count of users who engaged positively."""
    counts = np.asarray((seen > 0).sum(axis=0)).ravel().astype(np.float32)
    return np.ones((seen.shape[0], 1), np.float32), counts[:, None]

