"""Search quality as recall@k per search mode and per kind of query (exact words or paraphrase). Pure.

A query names the show and a phrase the transcript says where the answer is; the relevant moment is the
start of the segment that says it. A hit counts when it is that episode and its passage spans the moment
(``hybrid.recall_at``). ``bench/search_quality.py`` prints the table; the tests hold hybrid to it.
"""

from __future__ import annotations

import numpy as np

from podcast_assets.search.fusion import MODES
from podcast_assets.search.hybrid import moments, recall_at
from podcast_assets.search.keywords import KeywordIndex


def relevant_moments(queries: list[dict], episodes: dict[str, tuple[str, list[dict]]]) -> list[dict]:
    """Each query with its ``episode_id`` and ``at`` (seconds), from ``episodes``: show title to (episode id,
    transcript segments). A phrase the transcript does not say is an error: the query set is wrong."""
    out = []
    for q in queries:
        if q["show"] not in episodes:
            raise ValueError(f"query {q['query']!r}: no transcript of {q['show']!r}")
        episode_id, segments = episodes[q["show"]]
        at = next((s["start"] for s in segments if q["phrase"] in s["text"].lower()), None)
        if at is None:
            raise ValueError(f"query {q['query']!r}: the transcript of {q['show']!r} never says {q['phrase']!r}")
        out.append({**q, "episode_id": episode_id, "at": float(at)})
    return out


def recall_table(queries: list[dict], vectors: np.ndarray, matrix: np.ndarray, keywords: KeywordIndex,
                 passages: list[dict], k: int = 3) -> dict[str, dict[str, tuple[int, int]]]:
    """Per mode, per kind: (queries whose relevant moment is in the top ``k`` distinct moments, queries)."""
    table: dict[str, dict[str, tuple[int, int]]] = {}
    for mode in MODES:
        counts: dict[str, list[int]] = {}
        for q, v in zip(queries, vectors):
            hits = moments(mode, q["query"], v, matrix, keywords, passages, k)
            count = counts.setdefault(q["kind"], [0, 0])
            count[0] += int(recall_at(hits, q["episode_id"], q["at"]))
            count[1] += 1
        table[mode] = {kind: (c[0], c[1]) for kind, c in counts.items()}
    return table


def misses(queries: list[dict], vectors: np.ndarray, matrix: np.ndarray, keywords: KeywordIndex,
           passages: list[dict], mode: str, k: int = 3) -> list[str]:
    """The queries ``mode`` misses at ``k``, one line each (what a failed comparison should say)."""
    return [f"{q['kind']}: {q['query']!r} ({q['show']} at {q['at']:.0f} s)" for q, v in zip(queries, vectors)
            if not recall_at(moments(mode, q["query"], v, matrix, keywords, passages, k), q["episode_id"], q["at"])]
