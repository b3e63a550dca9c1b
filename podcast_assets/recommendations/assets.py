"""Recommendations: ALS on daily engagement (versioned artefacts), top-N and hybrid lists in MongoDB."""

import dagster as dg
import pandas as pd

from podcast_assets.common.previews import markdown_preview
from podcast_assets.recommendations.als import recommend
from podcast_assets.recommendations.history import engagement_totals, seen_matrix, top_n_rows
from podcast_assets.recommendations.hybrid import blend
from podcast_assets.recommendations.model_store import load_version, save_version
from podcast_assets.recommendations.training import train
from podcast_assets.resources.delta import DataDir, DeltaTables
from podcast_assets.resources.embedder import EmbedderResource
from podcast_assets.resources.engines import AlsEngine
from podcast_assets.resources.mongo import MongoResource

METRICS = ("ndcg@10", "precision@10", "recall@10")


def model_root(files: DataDir):
    return files.folder("models", "als")


def _totals(delta: DeltaTables) -> pd.DataFrame:
    return engagement_totals(delta.pandas("daily_engagement", ["user_id", "new_episode_id", "engagement", "last_ts"]))


@dg.asset(group_name="recommendations", deps=["daily_engagement"], kinds={"python", "spark"})
def als_model(context: dg.AssetExecutionContext, delta: DeltaTables, files: DataDir,
              als: AlsEngine) -> dg.MaterializeResult:
    """Implicit ALS on summed engagement; a new complete version directory per training."""
    df = _totals(delta)
    if df.empty:
        raise dg.Failure("daily_engagement is empty: ingest listener events first")
    params = als.params()
    model = train(df, params, als.fit, als.name, time_col="last_ts")
    counts = {"users": len(model.data.users), "episodes": len(model.data.items), "interactions": int(len(df)),
              "positive_interactions": int(model.data.matrix.nnz)}
    version = save_version(model_root(files), {"user_factors": model.user_factors, "item_factors": model.item_factors},
                           {"users": model.data.users, "items": model.data.items, "params": params.as_dict(),
                            "metrics": model.metrics, "counts": counts, "engine": als.name})
    context.log.info(f"ALS version {version}: {counts}, fit {model.fit_seconds:.2f}s on {als.name}")
    m = model.metrics
    table = pd.DataFrame([{"model": name, **{k: m.get(f"{name}_{k}") for k in METRICS}}
                          for name in ("als", "popularity")])
    return dg.MaterializeResult(metadata={
        "model_version": version, "engine": als.name, "fit_seconds": model.fit_seconds, **counts,
        **{k: float(v) for k, v in m.items() if isinstance(v, float)},
        "evaluation": dg.MetadataValue.md(table.to_markdown(index=False)) if m else "no held-out users yet"})


def _publish(mongo: MongoResource, collection: str, docs: list[dict], version: str, context) -> dict:
    report = mongo.publish(mongo.recommendations_database, collection, docs, version)
    if report.status == "fallback":
        context.log.warning(f"MongoDB unreachable: {len(docs)} recommendations kept in {report.fallback_table}")
    return {"mongo_status": report.status, "documents": len(docs), "replayed_from_fallback": report.replayed,
            **({"fallback_table": report.fallback_table} if report.fallback_table else {})}


@dg.asset(group_name="recommendations", deps=[als_model], kinds={"mongodb"})
def user_recommendations(context: dg.AssetExecutionContext, mongo: MongoResource, delta: DeltaTables,
                         files: DataDir, als: AlsEngine) -> dg.MaterializeResult:
    """Top-N per user from the latest model, never an engaged episode, to ``recommendations.als_top_n``."""
    version, arrays, docs = load_version(model_root(files))
    seen = seen_matrix(_totals(delta), docs["users"], docs["items"])
    idx, scores = recommend(arrays["user_factors"], arrays["item_factors"], seen, als.top_n)
    rows = top_n_rows(idx, scores, docs["users"], docs["items"], version)
    meta = _publish(mongo, "als_top_n", rows, version, context)
    return dg.MaterializeResult(metadata={**meta, "model_version": version, "users": idx.shape[0], "preview":
                                          dg.MetadataValue.md(markdown_preview(
                                              rows, ["user_id", "new_episode_id", "als_score", "rank"]))})


@dg.asset(group_name="recommendations", deps=[als_model, "episode_similarities"], kinds={"mongodb"})
def hybrid_recommendations(context: dg.AssetExecutionContext, mongo: MongoResource, delta: DeltaTables,
                           files: DataDir, als: AlsEngine, embedder: EmbedderResource) -> dg.MaterializeResult:
    """ALS blended with content similarity to each user's history; content or popularity for users
    with little history, so nobody gets nothing."""
    version, arrays, docs = load_version(model_root(files))
    rows, kinds = blend(arrays["user_factors"], arrays["item_factors"], docs["users"], docs["items"], _totals(delta),
                        delta.latest_vectors(embedder.model_name), als.top_n, als.hybrid_content_weight,
                        als.min_history)
    for row in rows:
        row.update(model_version=version, _id=f"{version}|{row['user_id']}|{row['rank']}")
    meta = _publish(mongo, "hybrid_top_n", rows, version, context)
    return dg.MaterializeResult(metadata={**meta, "model_version": version,
                                          "users_by_strategy": dg.MetadataValue.json(kinds), "preview":
                                          dg.MetadataValue.md(markdown_preview(
                                              rows, ["user_id", "new_episode_id", "score", "strategy"]))})
