"""The two ALS engines behind ``AlsEngine`` learn the same model: compared on real ratings, not on shape."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from podcast_assets.recommendations.als import Interactions, recommend
from podcast_assets.recommendations.evaluation import split_holdout
from podcast_assets.recommendations.training import held_out_metrics, relevant_items
from podcast_assets.resources.engines import AlsEngine, SparkAlsEngine
from podcast_assets.resources.spark import spark_resource

RATINGS = Path(__file__).resolve().parents[2] / "bench" / "data" / "movielens-latest-small" / "ratings.csv"


@pytest.mark.slow
def test_spark_als_agrees_with_the_local_engine_on_movielens():
    """The first 200 MovieLens users (about 30k ratings), temporal split. The engines differ in initialisation,
    in Spark's per-count scaling of the regularisation (compensated in ``fit_spark``) and in float order, so
    the lists are not identical: NDCG@10 within 0.02 of each other, and on average at least half of each
    user's top 10 the same. Measured at this rank: NDCG 0.115 vs 0.109, overlap 0.63; against an untrained
    (0 iterations) or a random model the local engine's lists overlap 0.002, so this test fails on one."""
    raw = pd.read_csv(RATINGS).query("userId <= 200")
    df = pd.DataFrame({"user_id": raw["userId"].astype(str), "episode_id": raw["movieId"].astype(str),
                       "engagement": raw["rating"].astype(float), "ts": raw["timestamp"]})
    train, test = split_holdout(df, 0.2, time_col="ts", min_items=5)
    knobs = {"rank": 16, "iterations": 10, "reg": 20.0, "alpha": 0.5, "confidence": "linear"}
    local = AlsEngine(**knobs)
    spark = SparkAlsEngine(spark=spark_resource("local[2]"), **knobs)
    data = Interactions.from_frame(train, local.params())
    try:
        a, b = local.fit(data, local.params()), spark.fit(data, spark.params())
    finally:
        spark.spark.spark_session.stop()
    relevant = relevant_items(test)
    ndcg_a, ndcg_b = (held_out_metrics(data, *f, relevant)["ndcg@10"] for f in (a, b))
    top_a, top_b = recommend(*a, data.matrix, 10)[0], recommend(*b, data.matrix, 10)[0]
    overlap = np.mean([len(set(x) & set(y)) / 10 for x, y in zip(top_a, top_b)])
    assert ndcg_a > 0.09 and abs(ndcg_a - ndcg_b) <= 0.02, (ndcg_a, ndcg_b)
    assert overlap >= 0.5, overlap
