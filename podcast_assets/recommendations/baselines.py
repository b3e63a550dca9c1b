"""The strongest simple baselines for implicit feedback, as factor pairs the shared top-N scores.

- EASE (Steck 2019, "Embarrassingly Shallow Autoencoders"): an item-item weight matrix ``B`` with a zero
  diagonal, in closed form ``B = I - P / diag(P)``, ``P = (X^T X + lambda I)^-1``; one L2 strength.
- item-kNN: cosine similarity between item columns, shrunk by ``shrink`` (Sarwar et al. 2001; shrinkage
  as in Koren 2008) and cut to each item's ``k`` nearest.

Both score a user as ``x_u @ W`` over their binary history ``x_u``: as factors, the users' histories
and ``W^T``, so they go through ``als.recommend`` exactly like ALS (same exclusions, same top-N).
The item-item matrices are dense: fine for a podcast catalogue's thousands of episodes, not for millions.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from podcast_assets.recommendations.als import Interactions


def _binary(data: Interactions) -> sp.csr_matrix:
    x = (data.matrix > 0).astype(np.float32)
    return sp.csr_matrix(x)


def fit_ease(data: Interactions, l2: float) -> tuple[np.ndarray, np.ndarray]:
    x = _binary(data)
    users, items = x.shape
    if users < items:  # Woodbury: invert users x users instead; P = (I - X^T (l2 I + X X^T)^-1 X) / l2
        xd = x.toarray().astype(np.float64)
        inner = xd @ xd.T
        inner[np.diag_indices_from(inner)] += l2
        p = -(xd.T @ np.linalg.solve(inner, xd))
        p[np.diag_indices_from(p)] += 1.0  # the 1 / l2 factor cancels in P / diag(P) below
    else:
        p = (x.T @ x).toarray().astype(np.float64)
        p[np.diag_indices_from(p)] += l2
        p = np.linalg.inv(p)
    b = -p / np.diag(p)  # column j divided by P_jj
    b[np.diag_indices_from(b)] = 0.0
    return x.toarray(), np.ascontiguousarray(b.T, dtype=np.float32)


def fit_item_knn(data: Interactions, k: int, shrink: float) -> tuple[np.ndarray, np.ndarray]:
    x = _binary(data)
    co = (x.T @ x).toarray()
    norms = np.sqrt(np.diag(co)).astype(np.float32)
    sim = co / (np.outer(norms, norms) + shrink + 1e-9)
    np.fill_diagonal(sim, 0.0)
    if k < sim.shape[0]:  # keep, for each item scored, its k most similar items
        cut = np.argpartition(-sim, k, axis=0)[k:]
        np.put_along_axis(sim, cut, 0.0, axis=0)
    return x.toarray(), np.ascontiguousarray(sim.T, dtype=np.float32)
