"""Read paths shared by the CLI and the demo: neighbours, titles, recommendations."""

from __future__ import annotations

import numpy as np
from deltalake import DeltaTable

from podcast_assets.core.knn import topk
from podcast_assets.resources.delta import DeltaTables
from podcast_assets.settings import Settings


def episode_titles(settings: Settings) -> dict[str, str]:
    uri = settings.delta_path("episodes")
    if not DeltaTable.is_deltatable(uri):
        return {}
    t = DeltaTable(uri).to_pandas(columns=["episode_id", "episode_title"])
    return dict(zip(t["episode_id"], t["episode_title"]))


def neighbours_from_mongo(client, settings: Settings, episode_id: str, k: int) -> list[dict]:
    """Both directions: an episode is ``new`` in its own batch and ``historical`` for later ones."""
    coll = client[settings.MONGO_DB]["similarities"]
    best: dict[str, float] = {}
    for field, other in (("new_episode_id", "historical_episode_id"), ("historical_episode_id", "new_episode_id")):
        for d in coll.find({field: episode_id, "model": settings.MODEL_NAME}).sort("cosine_similarity", -1).limit(k):
            best[d[other]] = max(best.get(d[other], -1.0), float(d["cosine_similarity"]))
    return [{"episode_id": e, "similarity": s} for e, s in sorted(best.items(), key=lambda x: -x[1])[:k]]


def neighbours_from_vectors(settings: Settings, episode_id: str, k: int) -> list[dict]:
    v = DeltaTables(root=str(settings.delta_dir)).latest_vectors(settings.MODEL_NAME)
    me = v[v["episode_id"] == episode_id]
    if me.empty:
        return []
    ids = v["episode_id"].tolist()
    rows, cols, sims = topk(np.stack(me["embedding"].to_numpy()), np.stack(v["embedding"].to_numpy()), k,
                            [episode_id], ids)
    return [{"episode_id": ids[c], "similarity": float(s)} for c, s in zip(cols, sims)]


def recommendations_from_mongo(client, settings: Settings, user_id: str, n: int,
                               collection: str = "als_top_n") -> tuple[str | None, list[dict]]:
    """The user's list from the version the pointer names (never a half-written set)."""
    from podcast_assets.io_managers.mongo_sink import current_version

    version = current_version(client, settings.MONGO_RECS_DB, collection)
    if version is None:
        return None, []
    docs = client[settings.MONGO_RECS_DB][collection].find(
        {"user_id": user_id, "model_version": version}).sort("rank", 1).limit(n)
    return version, [{k: v for k, v in d.items() if k != "_id"} for d in docs]
