"""One search over passages, three ways: by vector, by keyword, or both fused (the default). Pure.

``moments`` ranks the passages, keeps one hit per moment (passages overlap) and says which of the query's
words each hit holds. The vector ranking is ``index.best``; the keyword ranking is ``keywords.KeywordIndex``;
``hybrid`` fuses the two by reciprocal rank (``fusion.py``) over the top ``FUSION_DEPTH`` of each.
"""

from __future__ import annotations

import numpy as np

from podcast_assets.search.fusion import MODES, rrf
from podcast_assets.search.index import best, distinct_moments
from podcast_assets.search.keywords import KeywordIndex, matched_words

FUSION_DEPTH = 100  # candidates taken from each ranking before fusing


def ranked(mode: str, query: str, vector: np.ndarray, matrix: np.ndarray, keywords: KeywordIndex | None,
           depth: int) -> tuple[np.ndarray, np.ndarray]:
    """Passage rows and scores, best first, at most ``depth``."""
    if mode not in MODES:
        raise ValueError(f"search mode {mode!r}: expected one of {', '.join(MODES)}")
    if mode == "vector" or keywords is None:
        [rows], [scores] = best(vector, matrix, depth)
        return rows, scores
    kw_rows, kw_scores = keywords.top(query, max(depth, FUSION_DEPTH))
    if mode == "keyword":
        return kw_rows[:depth], kw_scores[:depth]
    [vec_rows], _ = best(vector, matrix, max(depth, FUSION_DEPTH))
    return rrf([vec_rows, kw_rows], depth)


def moments(mode: str, query: str, vector: np.ndarray, matrix: np.ndarray, keywords: KeywordIndex | None,
            passages: list[dict], k: int) -> list[dict]:
    """The best ``k`` distinct moments: ``passages`` rows (``episode_id``, ``start``, ``end``, ``text``...) with
    their ``score`` and ``matched`` words."""
    n = len(passages)
    hits: list[dict] = []
    for depth in (max(3 * k, 1), n):  # overlapping passages: one hit per moment, from 3k, or all if short
        rows, scores = ranked(mode, query, vector, matrix, keywords, depth)
        hits = distinct_moments([{**passages[r], "score": round(float(s), 4)} for r, s in zip(rows, scores)], k)
        if len(hits) >= k or len(rows) < depth:
            break
    return [{**h, "matched": matched_words(query, h["text"])} for h in hits]


def recall_at(hits: list[dict], episode_id: str, at: float | None, slack: float = 5.0) -> bool:
    """Whether ``hits`` hold the relevant moment: the episode, and (``at`` given) a passage around that time."""
    return any(h["episode_id"] == episode_id and (at is None or h["start"] - slack <= at <= h["end"] + slack)
               for h in hits)
