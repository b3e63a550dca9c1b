"""Recommendations: ALS on daily engagement (versioned artefacts), top-N and hybrid lists in MongoDB."""

from collections import Counter

import dagster as dg
import pandas as pd
import pyarrow as pa

from podcast_assets.common.previews import markdown_preview
from podcast_assets.recommendations.evaluation import beats_popularity
from podcast_assets.recommendations.history import ENGAGEMENT_COLUMNS, engagement_totals
from podcast_assets.recommendations.hybrid import blend
from podcast_assets.recommendations.lists import model_rows, popularity_rows
from podcast_assets.recommendations.model_store import (
    document,
    has_factor_tables,
    latest_version,
    load_version,
    new_version,
    newest_version_where,
    prune,
    save_version,
)
from podcast_assets.recommendations.rules import unplayable
from podcast_assets.recommendations.training import train
from podcast_assets.resources.delta import DataDir, DeltaTables
from podcast_assets.resources.embedder import EmbedderResource
from podcast_assets.resources.engines import AlsEngine, SparkAlsEngine
from podcast_assets.resources.io_managers import table_schema
from podcast_assets.resources.mongo import MongoResource

METRICS = ("ndcg@10", "precision@10", "recall@10")
POOL = "recommendations"  # one run at a time trains or publishes: readers never see two sets interleave
POPULARITY = "popularity-"  # the version prefix of the lists published while no model has passed
# any day's engagement recomputed (other days' partitions are missing: there was nobody listening)
ENGAGEMENT_UPDATED = (dg.AutomationCondition.eager()
                      .without(~dg.AutomationCondition.any_deps_missing())
                      .with_label("eager on any day of engagement"))


def model_root(files: DataDir) -> str:
    return files.artefacts("models", "als")




def engagement_read(delta: DeltaTables, version: int | None = None) -> tuple[pd.DataFrame, int | None]:
    """Summed engagement per (user, episode), and the ``daily_engagement`` version it was read at (the
    published lists record it, so their check judges them against the engagement they were made from)."""
    table = delta.table("daily_engagement")
    if table is None:
        return engagement_totals(pd.DataFrame(columns=ENGAGEMENT_COLUMNS)), None
    if version is not None:
        table.load_as_version(version)
    return engagement_totals(table.to_pandas(columns=ENGAGEMENT_COLUMNS)), table.version()


def engagement_of(delta: DeltaTables) -> pd.DataFrame:
    return engagement_read(delta)[0]


def unplayable_episodes(delta: DeltaTables) -> set[str]:
    """The episodes never recommended (``rules.unplayable``): failed downloads, refused or non-English audio."""
    return unplayable(delta.pandas("transcripts", ["episode_id", "status"]))


def model_of_this_run(context) -> str | None:
    """The version ``als_model`` trained in this run, if it ran in it: what this run checks and publishes,
    whatever ``LATEST`` says by then (another run may have moved it)."""
    records = context.instance.get_records_for_run(
        context.run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION).records  # checks have no run_id
    for record in records:
        mat = record.event_log_entry.asset_materialization
        if mat is not None and mat.asset_key == als_model.key and "model_version" in mat.metadata:
            return str(mat.metadata["model_version"].value)
    return None


def approved_model(root) -> str | None:
    """The newest version that passed its quality check (its saved held-out metrics)."""
    return newest_version_where(root, lambda metrics: beats_popularity(metrics)[0])


def checked_model(context, files: DataDir) -> str | None:
    """The version a run evaluates: the one it trained, else the newest."""
    return model_of_this_run(context) or latest_version(model_root(files))


def publishable_model(context, files: DataDir) -> str:
    """The model this run may publish: the one it trained if it passed, else (a run that trained none) the
    newest that passed. The blocking check already stops a failing model in its run; this is the same rule
    for runs that select the publishing assets without the check."""
    root = model_root(files)
    version = model_of_this_run(context) or approved_model(root)
    if version is None:
        raise dg.Failure("no model has passed its quality check yet: users have the popularity lists "
                         "(popular_recommendations)")
    passed, why = beats_popularity(document(root, version, "metrics"))
    if not passed:
        raise dg.Failure(f"model {version} is kept but not published: {why}")
    return version


@dg.asset(group_name="recommendations", deps=["daily_engagement"], kinds={"python", "spark"}, pool=POOL)
def als_model(context: dg.AssetExecutionContext, delta: DeltaTables, files: DataDir,
              als: AlsEngine) -> dg.MaterializeResult:
    """Implicit ALS on summed engagement; a new complete version directory per training."""
    if isinstance(als, SparkAlsEngine):  # everything on the executors: nothing per user comes back here
        if not delta.files("daily_engagement")[0]:
            raise dg.Failure("daily_engagement is empty: ingest listener events first")
        version, counts, metrics, fit_seconds = als.train_version(delta, model_root(files))
    else:
        df = engagement_of(delta)
        if df.empty:
            raise dg.Failure("daily_engagement is empty: ingest listener events first")
        model = train(df, als.params(), als.fit, als.name, time_col="last_ts")
        metrics, fit_seconds = model.metrics, model.fit_seconds
        counts = {"users": len(model.data.users), "episodes": len(model.data.items), "interactions": int(len(df)),
                  "positive_interactions": int(model.data.matrix.nnz)}
        version = save_version(model_root(files), {"user_factors": model.user_factors,
                                                   "item_factors": model.item_factors},
                               {"users": model.data.users, "items": model.data.items, "params": als.params().as_dict(),
                                "metrics": metrics, "counts": counts, "engine": als.name})
    root = model_root(files)
    approved = approved_model(root)
    removed = prune(root, als.versions_kept, {approved} if approved else set())
    context.log.info(f"ALS version {version}: {counts}, fit {fit_seconds:.2f}s on {als.name}; "
                     f"{len(removed)} old versions removed")
    table = pd.DataFrame([{"model": name, **{k: metrics.get(f"{name}_{k}") for k in METRICS}}
                          for name in ("als", "popularity")])
    return dg.MaterializeResult(metadata={
        "model_version": version, "engine": als.name, "fit_seconds": fit_seconds, **counts,
        **{k: float(v) for k, v in metrics.items() if isinstance(v, float)},
        "evaluation": dg.MetadataValue.md(table.to_markdown(index=False)) if metrics else "no held-out users yet"})


def _publish(mongo: MongoResource, collection: str, docs: list[dict], version: str, context) -> dict:
    report = mongo.publish(mongo.recommendations_database, collection, docs, version)
    return _report_metadata(report, len(docs), pd.DataFrame(docs), context)


def _report_metadata(report, documents: int, frame: pd.DataFrame, context) -> dict:
    if report.status == "fallback":
        context.log.warning(f"MongoDB unreachable: {report.fallback_rows} recommendations kept in "
                            f"{report.fallback_table}")
    frame = frame.drop(columns=["_id"], errors="ignore")
    return {"mongo_status": report.status, "documents": documents, "replayed_from_fallback": report.replayed,
            # the published set is the whole collection once the older sets are deleted
            "dagster/row_count": documents, "dagster/column_schema": table_schema(pa.Schema.from_pandas(frame)),
            **({"fallback_table": report.fallback_table} if report.fallback_table else {})}


@dg.asset(group_name="recommendations", deps=[als_model], kinds={"mongodb"}, pool=POOL)
def user_recommendations(context: dg.AssetExecutionContext, mongo: MongoResource, delta: DeltaTables,
                         files: DataDir, als: AlsEngine) -> dg.MaterializeResult:
    """Top-N per user from the model trained in this run (if it passed its check) to
    ``recommendations.als_top_n``: ``strategy: als`` for the users the model knows, ``strategy: popularity``
    for users with no positive engagement. Never an engaged episode, never an unplayable one (``rules.py``).
    A document: one recommendation (user, episode, score, rank, strategy, model version)."""
    version = publishable_model(context, files)
    # ranked and written by the executors; a version the local engine trained (arrays) is ranked here
    if isinstance(als, SparkAlsEngine) and has_factor_tables(model_root(files), version):
        report, by_strategy, preview, engagement_version = als.publish_lists(mongo, delta, model_root(files), version)
        meta = _report_metadata(report, report.written + report.fallback_rows, preview, context)
    else:
        version, arrays, docs = load_version(model_root(files), version)
        totals, engagement_version = engagement_read(delta)
        rows = model_rows(arrays["user_factors"], arrays["item_factors"], docs["users"], docs["items"], totals,
                          unplayable_episodes(delta), als.top_n, version)
        meta = _publish(mongo, "als_top_n", rows, version, context)
        by_strategy, preview = Counter(r["strategy"] for r in rows if r["rank"] == 1), pd.DataFrame(rows[:10])
    return dg.MaterializeResult(metadata={**meta, "model_version": version, "users": sum(by_strategy.values()),
                                          "engagement_version": engagement_version, "engine": als.name,
                                          "users_by_strategy": dg.MetadataValue.json(dict(by_strategy)),
                                          "preview": dg.MetadataValue.md(markdown_preview(
                                              preview, ["user_id", "new_episode_id", "als_score", "rank", "strategy"]))})


@dg.asset(group_name="recommendations", deps=[als_model, "episode_similarities"], kinds={"mongodb"}, pool=POOL)
def hybrid_recommendations(context: dg.AssetExecutionContext, mongo: MongoResource, delta: DeltaTables,
                           files: DataDir, als: AlsEngine, embedder: EmbedderResource) -> dg.MaterializeResult:
    """ALS blended with content similarity to each user's history; content or popularity for users
    with little history, so nobody gets nothing. A document: one recommendation with its strategy."""
    version, arrays, docs = load_version(model_root(files), publishable_model(context, files))
    totals, engagement_version = engagement_read(delta)
    rows, kinds = blend(arrays["user_factors"], arrays["item_factors"], docs["users"], docs["items"], totals,
                        delta.latest_vectors(embedder.model_name), als.top_n, als.hybrid_content_weight,
                        als.min_history, unplayable_episodes(delta))
    for row in rows:
        row.update(model_version=version, _id=f"{version}|{row['user_id']}|{row['rank']}")
    meta = _publish(mongo, "hybrid_top_n", rows, version, context)
    return dg.MaterializeResult(metadata={**meta, "model_version": version, "engagement_version": engagement_version,
                                          "users_by_strategy": dg.MetadataValue.json(kinds), "preview":
                                          dg.MetadataValue.md(markdown_preview(
                                              rows, ["user_id", "new_episode_id", "score", "strategy"]))})


@dg.asset(group_name="recommendations", deps=["daily_engagement"], kinds={"mongodb"}, pool=POOL,
          automation_condition=ENGAGEMENT_UPDATED)
def popular_recommendations(context: dg.AssetExecutionContext, mongo: MongoResource, delta: DeltaTables,
                            als: AlsEngine) -> dg.MaterializeResult:
    """Until a model passes its quality check, every user's ``als_top_n`` list is the most engaged-with
    episodes they have not engaged with, marked ``strategy: popularity``: nobody is left without
    recommendations. Once a model is published this does nothing."""
    current = mongo.current_version(mongo.recommendations_database, "als_top_n")
    if current and not current.startswith(POPULARITY):
        context.log.info(f"model {current} is published: no popularity lists needed")
        return dg.MaterializeResult(metadata={"published": False, "model_version": current})
    totals, engagement_version = engagement_read(delta)
    if totals.empty:
        raise dg.Failure("daily_engagement is empty: ingest listener events first")
    version = POPULARITY + new_version()
    users = sorted(totals["user_id"].unique())
    rows = popularity_rows(users, totals, unplayable_episodes(delta), als.top_n, version)
    meta = _publish(mongo, "als_top_n", rows, version, context)
    return dg.MaterializeResult(metadata={**meta, "published": True, "model_version": version, "users": len(users),
                                          "engagement_version": engagement_version,
                                          "preview": dg.MetadataValue.md(markdown_preview(
                                              rows, ["user_id", "new_episode_id", "popularity", "rank"]))})
