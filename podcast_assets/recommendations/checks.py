"""Asset checks of the recommendation stage."""

import dagster as dg
import pandas as pd

from podcast_assets.common.contracts import verdict
from podcast_assets.recommendations.assets import (
    als_model,
    checked_model,
    engagement_read,
    hybrid_recommendations,
    model_root,
    popular_recommendations,
    user_recommendations,
)
from podcast_assets.recommendations.contracts import published_lists
from podcast_assets.recommendations.evaluation import beats_popularity
from podcast_assets.recommendations.model_store import document
from podcast_assets.resources.delta import DataDir, DeltaTables
from podcast_assets.resources.engines import AlsEngine
from podcast_assets.resources.mongo import UNAVAILABLE, MongoResource
from podcast_assets.runs.check_results import check_result, latest_materialization, not_checked


@dg.asset_check(asset=als_model, blocking=True,
                description="The model trained in this run ranks held-out episodes at least as well as popularity; "
                            "if not, it is kept as a version and nothing downstream publishes it")
def als_beats_popularity(context: dg.AssetCheckExecutionContext, files: DataDir) -> dg.AssetCheckResult:
    version = checked_model(context, files)
    if version is None:
        return dg.AssetCheckResult(passed=False, metadata={"reason": "no model version"})
    metrics = document(model_root(files), version, "metrics")
    passed, why = beats_popularity(metrics)
    return dg.AssetCheckResult(passed=passed, severity=dg.AssetCheckSeverity.ERROR, metadata={
        "model_version": version, "reason": why,
        **{k: float(metrics[k]) for k in ("als_ndcg@10", "popularity_ndcg@10") if metrics.get(k) is not None}})


def _published_set_check(context, asset, mongo: MongoResource, delta: DeltaTables, als: AlsEngine, collection: str):
    """Every document of the collection (older sets are deleted once the pointer moves, so this is the
    published set, and a leftover of another version shows up here), against the engagement the set was
    made from (the ``daily_engagement`` version its materialisation recorded: listening since then is not
    a fault of the set)."""
    latest = latest_materialization(context, asset.key).metadata
    if latest.get("published") is False:  # a model's set was published: the popularity lists are not in use
        return check_result(verdict(0), f"recommendations (none published: {latest.get('model_version')} is)")
    version = latest.get("engagement_version")
    try:
        docs = pd.DataFrame(mongo.find(mongo.recommendations_database, collection, {}),
                            columns=["user_id", "new_episode_id", "model_version"])
    except UNAVAILABLE:
        return not_checked(f"MongoDB at {mongo.safe_address} is unreachable")
    totals, read_at = engagement_read(delta, int(version) if version is not None else None)
    lists = published_lists(docs, totals, als.top_n)
    return check_result(lists, "recommendations", users=int(docs["user_id"].nunique()),
                        model_versions=int(docs["model_version"].nunique()), engagement_version=read_at)


def _published_set_rules(asset, collection: str, name: str, which: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=asset, name=name,
                    description=f"The published {which} set: no episode the user engaged with (skips included), "
                                "at most TOP_N per user, one model version")
    def _check(context: dg.AssetCheckExecutionContext, mongo: MongoResource, delta: DeltaTables,
               als: AlsEngine) -> dg.AssetCheckResult:
        return _published_set_check(context, asset, mongo, delta, als, collection)

    return _check


als_lists_respect_the_rules = _published_set_rules(user_recommendations, "als_top_n", "als_lists_respect_the_rules",
                                                   "ALS")
hybrid_lists_respect_the_rules = _published_set_rules(hybrid_recommendations, "hybrid_top_n",
                                                      "hybrid_lists_respect_the_rules", "hybrid")
popularity_lists_respect_the_rules = _published_set_rules(popular_recommendations, "als_top_n",
                                                          "popularity_lists_respect_the_rules", "popularity")
