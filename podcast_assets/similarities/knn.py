"""Top-K cosine neighbours of new vectors among historical ones: one kernel for every engine.

Vectors are unit length, so cosine is a dot product. New vectors are taken a block at a time
(a matrix product against all history), self-matches are masked, and a partial selection picks
the top K: O(n·m·d) multiply-adds and O(n·m) selection, never a full sort. The selection is
``torch.topk`` (about ten times faster than ``np.argpartition`` here), numpy when torch is absent.
"""

from __future__ import annotations

import functools

import numpy as np


@functools.cache
def _torch():
    """torch, imported on first use: every Dagster run process imports the definitions, and torch
    would add about 3 s to each of them."""
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency; numpy keeps the kernel usable without it
        return None
    return torch


def select_top(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Column indices and values of the k largest scores per row, in descending order."""
    torch = _torch()
    if torch is not None:
        values, index = torch.topk(torch.from_numpy(scores), k, dim=1, largest=True, sorted=True)
        return index.numpy(), values.numpy()
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    part_scores = np.take_along_axis(scores, part, axis=1)
    order = np.argsort(-part_scores, axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1), np.take_along_axis(part_scores, order, axis=1)


def topk(new: np.ndarray, hist: np.ndarray, k: int, new_ids=None, hist_ids=None,
         block: int = 2048) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row in new, row in hist, cosine), ordered by new row then descending cosine; rank is the
    position within a row. Pairs with the same id on both sides are excluded."""
    new = np.ascontiguousarray(new, dtype=np.float32)
    hist = np.ascontiguousarray(hist, dtype=np.float32)
    n, m = len(new), len(hist)
    k = min(k, m)
    if n == 0 or k == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float32)
    hist_t = hist.T.copy()
    id_pos = None
    if new_ids is not None and hist_ids is not None:
        pos = {h: j for j, h in enumerate(hist_ids)}
        id_pos = np.array([pos.get(i, -1) for i in new_ids], dtype=np.int64)
    rows, cols, sims = [], [], []
    for a in range(0, n, block):
        b = min(a + block, n)
        scores = new[a:b] @ hist_t
        if id_pos is not None:
            own = id_pos[a:b]
            hit = np.flatnonzero(own >= 0)
            scores[hit, own[hit]] = -np.inf
        kk = min(k, m - (1 if id_pos is not None and (id_pos[a:b] >= 0).any() else 0)) or k
        top, top_scores = select_top(scores, kk)
        keep = np.isfinite(top_scores)
        r = np.repeat(np.arange(a, b), kk).reshape(b - a, kk)
        rows.append(r[keep])
        cols.append(top[keep])
        sims.append(top_scores[keep])
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(sims).astype(np.float32)
