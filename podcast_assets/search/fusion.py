"""Hybrid ranking: keyword and vector rankings fused by reciprocal rank (Cormack et al., SIGIR 2009). Pure.

RRF needs no score calibration between BM25 (unbounded) and cosine (-1..1): a passage's fused score is
the sum over rankings of ``1 / (RRF_K + rank)``. A passage near the top of either list comes near the
top, and one both lists agree on comes first. ``RRF_K`` = 60 is the paper's constant, not tuned here.
"""

from __future__ import annotations

import numpy as np

RRF_K = 60
MODES = ("hybrid", "vector", "keyword")


def rrf(rankings: list[np.ndarray], k: int, rrf_k: int = RRF_K) -> tuple[np.ndarray, np.ndarray]:
    """Rows (from any of ``rankings``, each best first) and fused scores of the best ``k``, best first; ties go
    to the row ranked better in the first ranking, then the lower row number."""
    score: dict[int, float] = {}
    first: dict[int, int] = {}
    for r, ranking in enumerate(rankings):
        for rank, row in enumerate(np.asarray(ranking).tolist()):
            score[row] = score.get(row, 0.0) + 1.0 / (rrf_k + rank + 1)
            first.setdefault(row, r * 1_000_000 + rank)
    order = sorted(score, key=lambda row: (-score[row], first[row], row))[:k]
    return np.asarray(order, np.int64), np.asarray([score[row] for row in order], np.float64)
