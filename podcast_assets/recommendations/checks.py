"""Asset checks of the recommendation stage."""

import dagster as dg

from podcast_assets.recommendations.assets import als_model, checked_model, model_root
from podcast_assets.recommendations.evaluation import beats_popularity
from podcast_assets.recommendations.model_store import document
from podcast_assets.resources.delta import DataDir


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
