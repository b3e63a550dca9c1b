"""Recommendations: ALS on daily engagement (versioned artefacts), top-N and hybrid lists in MongoDB."""

import dagster as dg
import numpy as np
import pandas as pd
from dagster_pyspark import LazyPySparkResource

from podcast_assets.assets.metadata import preview
from podcast_assets.core.als import AlsParams, recommend
from podcast_assets.core.hybrid import blend
from podcast_assets.core.model_store import load_version, save_version
from podcast_assets.core.recommender import train
from podcast_assets.io_managers.mongo_sink import MongoSink, publish_version
from podcast_assets.resources.delta import DeltaTables
from podcast_assets.resources.mongo import MongoResource
from podcast_assets.settings import get_settings


def model_root():
    return get_settings().data_dir / "models" / "als"


class AlsConfig(dg.Config):
    engine: str = get_settings().ALS_ENGINE  # local | spark


def engagement_totals(delta: DeltaTables) -> pd.DataFrame:
    """Engagement summed over days per (user, episode), read from the table itself (all days)."""
    daily = delta.pandas("daily_engagement", ["user_id", "new_episode_id", "engagement", "last_ts"])
    return (daily.groupby(["user_id", "new_episode_id"], as_index=False)
            .agg(engagement=("engagement", "sum"), last_ts=("last_ts", "max"))
            .rename(columns={"new_episode_id": "episode_id"}))


@dg.asset(group_name="recommendations", deps=["daily_engagement"], kinds={"python", "spark"})
def als_model(context: dg.AssetExecutionContext, config: AlsConfig, delta: DeltaTables,
              spark: LazyPySparkResource) -> dg.MaterializeResult:
    """Implicit ALS on summed engagement; a new complete version directory per training."""
    s = get_settings()
    df = engagement_totals(delta)
    if df.empty:
        raise dg.Failure("daily_engagement is empty: ingest listener events first")
    params = AlsParams(s.ALS_RANK, s.ALS_ITERATIONS, s.ALS_REG, s.ALS_ALPHA, s.ALS_CONFIDENCE)
    session = spark.spark_session if config.engine == "spark" else None
    model = train(df, params, config.engine, session, time_col="last_ts")
    counts = {"users": len(model.data.users), "episodes": len(model.data.items), "interactions": int(len(df)),
              "positive_interactions": int(model.data.matrix.nnz)}
    version = save_version(model_root(), {"user_factors": model.user_factors, "item_factors": model.item_factors},
                           {"users": model.data.users, "items": model.data.items, "params": params.as_dict(),
                            "metrics": model.metrics, "counts": counts, "engine": config.engine})
    context.log.info(f"ALS version {version}: {counts}, fit {model.fit_seconds:.2f}s on {config.engine}")
    m = model.metrics
    return dg.MaterializeResult(metadata={
        "model_version": version, "engine": config.engine, "fit_seconds": model.fit_seconds, **counts,
        **{k: float(v) for k, v in m.items() if isinstance(v, float)},
        "evaluation": dg.MetadataValue.md(pd.DataFrame([
            {"model": "als", **{k: m.get(f"als_{k}") for k in ("ndcg@10", "precision@10", "recall@10")}},
            {"model": "popularity", **{k: m.get(f"popularity_{k}") for k in ("ndcg@10", "precision@10", "recall@10")}},
        ]).to_markdown(index=False)) if m else "no held-out users yet"})


@dg.asset_check(asset=als_model, description="The model ranks held-out episodes at least as well as popularity")
def als_beats_popularity() -> dg.AssetCheckResult:
    _, _, docs = load_version(model_root())
    m = docs.get("metrics") or {}
    als, pop = m.get("als_ndcg@10"), m.get("popularity_ndcg@10")
    if als is None:
        return dg.AssetCheckResult(passed=True, severity=dg.AssetCheckSeverity.WARN,
                                   metadata={"note": "too little data for a held-out split"})
    return dg.AssetCheckResult(passed=bool(als >= pop), severity=dg.AssetCheckSeverity.WARN,
                               metadata={"als_ndcg@10": als, "popularity_ndcg@10": pop})


def _publish(mongo: MongoResource, collection: str, docs: list[dict], version: str, context) -> dict:
    s = get_settings()
    with mongo.client() as client:
        report = publish_version(MongoSink(client, s.MONGO_RECS_DB, collection, str(s.delta_dir)), docs, version)
    if report.status == "fallback":
        context.log.warning(f"MongoDB unreachable: {len(docs)} recommendations kept in {report.fallback_table}")
    return {"mongo_status": report.status, "documents": len(docs), "replayed_from_fallback": report.replayed,
            **({"fallback_table": report.fallback_table} if report.fallback_table else {})}


@dg.asset(group_name="recommendations", deps=[als_model], kinds={"mongodb"})
def user_recommendations(context: dg.AssetExecutionContext, mongo: MongoResource,
                         delta: DeltaTables) -> dg.MaterializeResult:
    """Top-N per user from the latest model, never an engaged episode, to ``recommendations.als_top_n``."""
    s = get_settings()
    version, arrays, docs = load_version(model_root())
    seen = _seen_matrix(delta, docs)
    idx, scores = recommend(arrays["user_factors"], arrays["item_factors"], seen, s.TOP_N)
    rows = [{"user_id": docs["users"][u], "new_episode_id": docs["items"][i], "als_score": float(sc),
             "rank": r + 1, "model_version": version}
            for u in range(idx.shape[0]) for r, (i, sc) in enumerate(zip(idx[u], scores[u])) if i >= 0]
    for row in rows:
        row["_id"] = f"{version}|{row['user_id']}|{row['rank']}"
    meta = _publish(mongo, "als_top_n", rows, version, context)
    return dg.MaterializeResult(metadata={**meta, "model_version": version, "users": idx.shape[0],
                                          "preview": preview(rows, ["user_id", "new_episode_id", "als_score", "rank"])})


def _seen_matrix(delta: DeltaTables, docs):
    """The engaged (user, episode) pairs of the model's training data, rebuilt from the Delta table."""
    import scipy.sparse as sp

    df = engagement_totals(delta)
    u_ix = {u: i for i, u in enumerate(docs["users"])}
    i_ix = {e: j for j, e in enumerate(docs["items"])}
    df = df[df["user_id"].isin(u_ix) & df["episode_id"].isin(i_ix)]
    return sp.csr_matrix((np.ones(len(df), np.float32), (df["user_id"].map(u_ix), df["episode_id"].map(i_ix))),
                         shape=(len(u_ix), len(i_ix)))


@dg.asset(group_name="recommendations", deps=[als_model, "episode_similarities"], kinds={"mongodb"})
def hybrid_recommendations(context: dg.AssetExecutionContext, mongo: MongoResource,
                           delta: DeltaTables) -> dg.MaterializeResult:
    """ALS blended with content similarity to each user's history; content or popularity for users
    with little history, so nobody gets nothing."""
    s = get_settings()
    version, arrays, docs = load_version(model_root())
    history = engagement_totals(delta)
    vectors = delta.latest_vectors(s.MODEL_NAME)
    rows, kinds = blend(arrays["user_factors"], arrays["item_factors"], docs["users"], docs["items"], history,
                        vectors, s.TOP_N, s.HYBRID_CONTENT_WEIGHT, s.MIN_HISTORY)
    for row in rows:
        row.update(model_version=version, _id=f"{version}|{row['user_id']}|{row['rank']}")
    meta = _publish(mongo, "hybrid_top_n", rows, version, context)
    return dg.MaterializeResult(metadata={**meta, "model_version": version, "users_by_strategy": dg.MetadataValue.json(kinds),
                                          "preview": preview(rows, ["user_id", "new_episode_id", "score", "strategy"])})
