"""The contracts of the similarity stage: unit vectors of the model's dimension, well-formed neighbour lists."""

from __future__ import annotations

import numpy as np
import pandas as pd

from podcast_assets.common.contracts import Verdict, verdict

NORM_TOLERANCE = 1e-3
COSINE_SLACK = 1e-4  # float32 dot products of unit vectors land a few ulps past 1


def vector_rows(vectors: pd.DataFrame, dimension: int) -> Verdict:
    """``vectors``: ``episode_id, embedding`` of the rows just written."""
    failures = []
    for eid, emb in zip(vectors["episode_id"], vectors["embedding"]):
        v = np.asarray(emb, dtype=np.float64)
        if v.shape != (dimension,):
            failures.append(f"episode {eid}: {v.size} dimensions, the model has {dimension}")
        elif not np.isfinite(v).all() or abs(np.linalg.norm(v) - 1.0) > NORM_TOLERANCE:
            failures.append(f"episode {eid}: norm {np.linalg.norm(v):.4f}, not 1")
    return verdict(len(vectors), failures)


def neighbour_pairs(pairs: pd.DataFrame, top_k: int) -> Verdict:
    """``pairs``: stored ``new_episode_id, historical_episode_id, cosine_similarity`` rows of one model and
    one run: no self pair, at most ``top_k`` per anchor, cosine in [-1, 1]."""
    anchors, others = pairs["new_episode_id"].astype(str), pairs["historical_episode_id"].astype(str)
    self_pairs = [f"episode {a}: paired with itself" for a, b in zip(anchors, others) if a == b]
    per_anchor = anchors.value_counts()
    too_many = [f"episode {a}: {n} neighbours, more than {top_k}" for a, n in per_anchor[per_anchor > top_k].items()]
    out_of_range = [f"pair {a} -> {b}: cosine {c:.4f}" for a, b, c in
                    zip(anchors, others, pairs["cosine_similarity"].astype(float)) if not -1 - COSINE_SLACK <= c <= 1 + COSINE_SLACK]
    return verdict(len(pairs), self_pairs, too_many, out_of_range)


def every_episode_linked(embedded: set[str], linked: set[str]) -> Verdict:
    """Once two episodes are embedded, each has a neighbour (as an anchor or as another's neighbour)."""
    alone = [f"episode {e}: embedded but without neighbours" for e in sorted(embedded - linked)]
    return verdict(len(embedded), alone if len(embedded) >= 2 else [])
