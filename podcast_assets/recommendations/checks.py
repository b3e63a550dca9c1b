"""Asset checks of the recommendation stage."""

import dagster as dg

from podcast_assets.recommendations.assets import als_model, model_root
from podcast_assets.recommendations.model_store import load_version
from podcast_assets.resources.delta import DataDir


@dg.asset_check(asset=als_model, description="The model ranks held-out episodes at least as well as popularity")
def als_beats_popularity(files: DataDir) -> dg.AssetCheckResult:
    _, _, docs = load_version(model_root(files))
    m = docs.get("metrics") or {}
    als, pop = m.get("als_ndcg@10"), m.get("popularity_ndcg@10")
    if als is None:
        return dg.AssetCheckResult(passed=True, severity=dg.AssetCheckSeverity.WARN,
                                   metadata={"note": "too little data for a held-out split"})
    return dg.AssetCheckResult(passed=bool(als >= pop), severity=dg.AssetCheckSeverity.WARN,
                               metadata={"als_ndcg@10": als, "popularity_ndcg@10": pop})
