"""Recommender quality and speed on MovieLens ``ml-latest-small`` (shipped in ``bench/data/``, see its README).

Splits, all temporal per user (users with at least 5 ratings):
- test: the latest 20% of each user's ratings; reported once, for the settings chosen below;
- validation: the latest 20% of what is left (the training period only); every setting is chosen here.
Engagement = the rating (0.5-5, every rating a positive interaction).

Each method's own knobs are searched on validation (fit on the training period less validation), then
the chosen setting is refitted on the whole training period and scored on test: popularity, item-kNN
(neighbours, shrinkage), EASE (L2), local ALS (rank, regularisation, alpha, confidence) and Spark ML ALS
(the local ALS's chosen setting; the engines share parameters). All top-N lists go through the same
``als.recommend`` (implicit's top-N, training items excluded). Fit time is the final fit's wall time.

Run: ``.venv/bin/python bench/recs.py [--ratings PATH] [--no-spark] [--quick]``.
"""

import argparse
import itertools
import time
from pathlib import Path

import pandas as pd

from podcast_assets.recommendations.als import (
    AlsParams,
    Interactions,
    fit_local,
    fit_spark,
    popularity_factors,
)
from podcast_assets.recommendations.baselines import fit_ease, fit_item_knn
from podcast_assets.recommendations.evaluation import split_holdout
from podcast_assets.recommendations.training import held_out_metrics, relevant_items

DEFAULT = Path(__file__).resolve().parent / "data" / "movielens-latest-small" / "ratings.csv"
SHOWN = ("ndcg@10", "precision@10", "recall@10")


def grids(quick: bool) -> dict[str, list[dict]]:
    """Each method's settings to try. ALS's first grid (rank 32-128, reg 1-50, alpha 0.5-5) chose rank 128,
    reg 20, alpha 0.5, linear: two edges, so it was widened once, to this one. Its choice lies on edges
    again (rank 256, reg 5, alpha 0.1); the README says so."""
    als = {"rank": [64, 128, 256], "reg": [5.0, 20.0, 50.0], "alpha": [0.1, 0.25, 0.5, 1.0, 2.0],
           "confidence": ["log", "linear"]}
    if quick:
        als = {"rank": [64], "reg": [5.0, 20.0], "alpha": [1.0], "confidence": ["log"]}
    return {
        "popularity": [{}],
        "item-kNN": [{"k": k, "shrink": s} for k in ([50, 100] if quick else [50, 100, 200, 400])
                     for s in ([10.0] if quick else [0.0, 10.0, 50.0, 100.0, 200.0, 400.0])],
        "EASE": [{"l2": x} for x in ([200.0] if quick else [50.0, 100.0, 200.0, 400.0, 800.0, 1600.0])],
        "ALS (local)": [dict(zip(als, v)) for v in itertools.product(*als.values())],
    }


def fitter(method: str, spark=None):
    """(interactions, setting) -> (user factors, item factors), and the interactions' confidence params."""
    if method == "popularity":
        return lambda data, p: popularity_factors(data.matrix)
    if method == "item-kNN":
        return lambda data, p: fit_item_knn(data, p["k"], p["shrink"])
    if method == "EASE":
        return lambda data, p: fit_ease(data, p["l2"])
    fit = (lambda d, a: fit_spark(spark, d, a)) if method == "ALS (Spark)" else fit_local
    return lambda data, p: fit(data, AlsParams(**p))


def score(train: pd.DataFrame, relevant, method: str, setting: dict, spark=None) -> tuple[dict, float]:
    params = AlsParams(**setting) if method.startswith("ALS") else AlsParams()
    data = Interactions.from_frame(train, params)
    t0 = time.perf_counter()
    u, v = fitter(method, spark)(data, setting)
    seconds = time.perf_counter() - t0
    return held_out_metrics(data, u, v, relevant), seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ratings", default=str(DEFAULT))
    parser.add_argument("--no-spark", action="store_true")
    parser.add_argument("--quick", action="store_true", help="a few settings per method (a smoke run)")
    args = parser.parse_args()
    raw = pd.read_csv(args.ratings)
    df = pd.DataFrame({"user_id": raw["userId"].astype(str), "episode_id": raw["movieId"].astype(str),
                       "engagement": raw["rating"].astype(float), "ts": raw["timestamp"]})
    train, test = split_holdout(df, fraction=0.2, time_col="ts", min_items=5)
    fit_part, validation = split_holdout(train, fraction=0.2, time_col="ts", min_items=5)
    print(f"{len(df)} ratings, {df.user_id.nunique()} users, {df.episode_id.nunique()} items; "
          f"test {len(test)}, validation {len(validation)} (from the training period), training {len(fit_part)}")
    val_relevant, test_relevant = relevant_items(validation), relevant_items(test)
    chosen, rows = {}, []
    for method, grid in grids(args.quick).items():
        tried = [(score(fit_part, val_relevant, method, s)[0]["ndcg@10"], i, s) for i, s in enumerate(grid)]
        best_val, _, setting = max(tried, key=lambda t: (t[0], -t[1]))
        chosen[method] = setting
        metrics, seconds = score(train, test_relevant, method, setting)
        rows.append({"method": method, "setting": _show(setting), "tried": len(grid), "val ndcg@10": best_val,
                     **{f"test {k}": metrics[k] for k in SHOWN}, "fit s": seconds})
        print(f"{method:<12} {len(grid):>3} settings tried; chosen {_show(setting)} (validation NDCG@10 "
              f"{best_val:.4f}); test NDCG@10 {metrics['ndcg@10']:.4f}, fit {seconds:.2f}s", flush=True)
    if not args.no_spark:
        from podcast_assets.resources.spark import local_spark_session
        from podcast_assets.settings import settings_from_env

        s = settings_from_env()
        spark = local_spark_session(s.SPARK_MASTER, s.spark_conf)
        setting = chosen["ALS (local)"]
        metrics, seconds = score(train, test_relevant, "ALS (Spark)", setting, spark)
        rows.append({"method": "ALS (Spark)", "setting": _show(setting) + " (local's)", "tried": 0,
                     "val ndcg@10": float("nan"), **{f"test {k}": metrics[k] for k in SHOWN}, "fit s": seconds})
        spark.stop()
    table = pd.DataFrame(rows)
    print(f"\ntest users: {len(test_relevant)}; k = 10\n")
    print(table.to_markdown(index=False, floatfmt=".4f"))


def _show(setting: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in setting.items()) or "-"


if __name__ == "__main__":
    main()
