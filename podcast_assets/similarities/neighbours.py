"""Which vectors are new and which are history, the neighbour rows the contract names, and lookups."""

from __future__ import annotations

import numpy as np
import pandas as pd

from podcast_assets.similarities.knn import topk


def split_new_and_history(v: pd.DataFrame, recompute_all: bool, within_batch_if_empty: bool,
                          since: pd.Timestamp | None = None, k: int = 0):
    """Every vector written after ``since`` (the last comparison's watermark; all of them the first time),
    however many batches that spans, against every other vector: new episodes are also each other's
    history. With ``within_batch_if_empty`` off, new vectors are compared with older ones only.

    The earliest ``k`` episodes were compared when fewer than ``k`` others existed (one alone had no
    neighbour at all): while the last comparison held at most ``k`` vectors, they are compared again,
    so every episode ends up with a full top-k of its own."""
    if v.empty or recompute_all:
        return v, v
    fresh = v if since is None else v[v["created_at"] > since]
    new = fresh
    if k and since is not None and int((v["created_at"] <= since).sum()) <= k:
        early = v.sort_values("created_at", kind="stable").head(k)
        new = v[v.index.isin(fresh.index) | v.index.isin(early.index)]
    if within_batch_if_empty:
        return new, v
    return new, v[~v.index.isin(fresh.index)]


def neighbour_rows(new_ids, hist_ids, rows, cols, sims, k: int, model: str, created_at) -> list[dict]:
    out, last, rank = [], None, 0
    for r, c, s in zip(rows, cols, sims):
        rank = rank + 1 if r == last else 1
        last = r
        out.append({"new_episode_id": str(new_ids[r]), "historical_episode_id": str(hist_ids[c]), "model": model,
                    "cosine_similarity": float(s), "distance_embed": float(1.0 - s), "rank": rank, "k": k,
                    "created_at": created_at})
    return out


def merge_directions(as_new: list[dict], as_history: list[dict], k: int) -> list[dict]:
    """An episode's best ``k`` neighbours from the pairs where it is ``new`` and where it is ``historical``
    (it is new in its own batch and history for later ones)."""
    best: dict[str, float] = {}
    for docs, other in ((as_new, "historical_episode_id"), (as_history, "new_episode_id")):
        for d in docs:
            best[d[other]] = max(best.get(d[other], -1.0), float(d["cosine_similarity"]))
    return [{"episode_id": e, "similarity": s} for e, s in sorted(best.items(), key=lambda x: -x[1])[:k]]


def neighbours_from_vectors(vectors: pd.DataFrame, episode_id: str, k: int) -> list[dict]:
    """The same answer computed from the vectors themselves (when MongoDB is unreachable)."""
    me = vectors[vectors["episode_id"] == episode_id]
    if me.empty:
        return []
    ids = vectors["episode_id"].tolist()
    _, cols, sims = topk(np.stack(me["embedding"].to_numpy()), np.stack(vectors["embedding"].to_numpy()), k,
                         [episode_id], ids)
    return [{"episode_id": ids[c], "similarity": float(s)} for c, s in zip(cols, sims)]
