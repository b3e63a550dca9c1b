"""Recommender quality and speed on MovieLens ``ml-latest-small`` (shipped in ``bench/data/``, see its README).

Temporal split: per user, the latest 20% of ratings are held out. Engagement = the rating.
Prints NDCG@10 (and precision/recall) and fit time for the local engine, Spark ML ALS and
popularity. Run: ``.venv/bin/python bench/recs.py [--ratings PATH] [--no-spark]``.
"""

import argparse
import time
from pathlib import Path

import pandas as pd

from podcast_assets.recommendations.als import (
    AlsParams,
    Interactions,
    fit_local,
    fit_spark,
    popularity,
    recommend,
)
from podcast_assets.recommendations.evaluation import ranking_metrics, split_holdout
from podcast_assets.recommendations.training import _frame
from podcast_assets.settings import settings_from_env

DEFAULT = Path(__file__).resolve().parent / "data" / "movielens-latest-small" / "ratings.csv"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ratings", default=str(DEFAULT))
    parser.add_argument("--no-spark", action="store_true")
    parser.add_argument("--rank", type=int)
    parser.add_argument("--reg", type=float)
    parser.add_argument("--alpha", type=float)
    parser.add_argument("--iterations", type=int)
    parser.add_argument("--confidence")
    args = parser.parse_args()
    s = settings_from_env()
    params = AlsParams(rank=args.rank or s.ALS_RANK, iterations=args.iterations or s.ALS_ITERATIONS,
                       reg=args.reg if args.reg is not None else s.ALS_REG,
                       alpha=args.alpha if args.alpha is not None else s.ALS_ALPHA,
                       confidence=args.confidence or s.ALS_CONFIDENCE)
    raw = pd.read_csv(args.ratings)
    df = pd.DataFrame({"user_id": raw["userId"].astype(str), "episode_id": raw["movieId"].astype(str),
                       "engagement": raw["rating"].astype(float), "ts": raw["timestamp"]})
    train, test = split_holdout(df, fraction=0.2, time_col="ts", min_items=5)
    relevant = test.groupby("user_id")["episode_id"].apply(set).to_dict()
    data = Interactions.from_frame(train, params)
    print(f"{len(df)} ratings, {data.matrix.shape[0]} users x {data.matrix.shape[1]} items; test {len(test)}; {params}")
    lists = lambda f: f.sort_values(["user_id", "rank"]).groupby("user_id")["episode_id"].apply(list).to_dict()  # noqa: E731
    pop = ranking_metrics(lists(_frame(data, *popularity(data.matrix, 10))), relevant)
    print(f"{'popularity':<12} ndcg@10 {pop['ndcg@10']:.4f}  p@10 {pop['precision@10']:.4f}  r@10 {pop['recall@10']:.4f}")
    engines = ["local"] + ([] if args.no_spark else ["spark"])
    spark = None
    times = {}
    for engine in engines:
        if engine == "spark":
            from podcast_assets.resources.spark import local_spark_session

            spark = local_spark_session(s.SPARK_MASTER, s.spark_conf)
        t0 = time.perf_counter()
        u, v = fit_spark(spark, data, params) if engine == "spark" else fit_local(data, params)
        times[engine] = time.perf_counter() - t0
        m = ranking_metrics(lists(_frame(data, *recommend(u, v, data.matrix, 10))), relevant)
        print(f"{engine:<12} ndcg@10 {m['ndcg@10']:.4f}  p@10 {m['precision@10']:.4f}  r@10 {m['recall@10']:.4f}"
              f"  fit {times[engine]:.2f}s  ({m['ndcg@10'] / pop['ndcg@10']:.2f}x popularity)")
    if len(times) == 2:
        print(f"local engine is {times['spark'] / times['local']:.1f}x faster than Spark ML ALS")
    if spark is not None:
        spark.stop()


if __name__ == "__main__":
    main()
