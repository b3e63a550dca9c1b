"""Asset checks of the similarity stage: the vectors just written, the stored neighbour lists."""

import datetime as dt

import dagster as dg
import pandas as pd

from podcast_assets.common.contracts import Verdict, verdict
from podcast_assets.resources.delta import DeltaTables
from podcast_assets.resources.embedder import EmbedderResource
from podcast_assets.resources.engines import KnnEngine
from podcast_assets.resources.mongo import UNAVAILABLE, MongoResource
from podcast_assets.runs.check_results import check_result, latest_materialization, not_checked
from podcast_assets.similarities.assets import episode_embeddings, episode_similarities
from podcast_assets.similarities.contracts import every_episode_linked, neighbour_pairs, vector_rows


@dg.asset_check(asset=episode_embeddings, blocking=True,
                description="The vectors the latest run wrote have the model's dimension and unit length (1e-3)")
def new_vectors_are_unit_length(context: dg.AssetCheckExecutionContext, delta: DeltaTables,
                                embedder: EmbedderResource) -> dg.AssetCheckResult:
    batch = str(latest_materialization(context, episode_embeddings.key).metadata.get("batch_id") or "")
    if not batch:  # the latest run found nothing to embed
        return check_result(Verdict(0), "new vectors", batch_id="")
    vectors = delta.pandas("vectors", ["episode_id", "embedding", "batch_id"], filters=[("batch_id", "=", batch)])
    return check_result(vector_rows(vectors, embedder.dimension()), "new vectors", batch_id=batch)


@dg.asset_check(asset=episode_similarities,
                description="The pairs the latest run stored: no self pair, at most its top K per episode, cosine "
                            "in [-1, 1]; and every embedded episode has neighbours once two exist")
def neighbour_lists_are_well_formed(context: dg.AssetCheckExecutionContext, mongo: MongoResource,
                                    delta: DeltaTables, knn: KnnEngine,
                                    embedder: EmbedderResource) -> dg.AssetCheckResult:
    model = embedder.model_name
    latest = latest_materialization(context, episode_similarities.key)
    metadata = latest.metadata
    fields = ["new_episode_id", "historical_episode_id", "cosine_similarity"]
    try:
        with mongo.client() as client:
            pairs = client[mongo.database].similarities
            since = dt.datetime.fromtimestamp(latest.started or 0, dt.UTC)
            new = pd.DataFrame(list(pairs.find({"model": model, "created_at": {"$gte": since}},
                                               dict.fromkeys(fields, 1) | {"_id": 0})), columns=fields)
            # every stored pair's two ends (the collection holds each episode's current top K only)
            ends = pairs.find({"model": model}, {"_id": 0, "new_episode_id": 1, "historical_episode_id": 1})
            linked = {eid for doc in ends for eid in (doc["new_episode_id"], doc["historical_episode_id"])}
    except UNAVAILABLE:  # the pairs went to the Delta fallback; they are checked when replayed
        return not_checked(f"MongoDB at {mongo.safe_address} is unreachable")
    vectors = delta.pandas("vectors", ["episode_id", "model", "created_at"], filters=[("model", "=", model)])
    until = metadata.get("vectors_until")  # vectors written after the latest comparison wait for the next one
    if until:
        vectors = vectors[vectors["created_at"] <= pd.Timestamp(until)]
    embedded = set(vectors["episode_id"])
    rows = neighbour_pairs(new, int(metadata.get("top_k") or knn.top_k))
    coverage = every_episode_linked(embedded, linked)
    return check_result(verdict(rows.checked, rows.failures, coverage.failures), "new pairs",
                        embedded=len(embedded), episodes_with_neighbours=len(linked & embedded))
