"""Search over passage vectors: the query embedded like a passage, the best passages by cosine with the
project's KNN kernel (``similarities/knn.py``), and in each the sentence that matches best, to show."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from podcast_assets.similarities.knn import select_top


def vectors(column: pa.ChunkedArray | pa.Array, dim: int | None = None) -> np.ndarray:
    """A Delta ``list<float>`` column as one float32 matrix, without a Python object per row."""
    flat = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    values = np.asarray(flat.flatten(), dtype=np.float32)
    rows = len(flat)
    return values.reshape(rows, dim or (len(values) // rows if rows else 0))


def best(queries: np.ndarray, passages: np.ndarray, k: int, block: int = 1 << 17) -> tuple[np.ndarray, np.ndarray]:
    """Row numbers and cosines of the ``k`` passages nearest each query (unit vectors), best first: one row
    per query. The passages are scored a block at a time (a matrix product against the queries, with no copy
    of the passage matrix), and the kernel's selection (``knn.select_top``) keeps a running top ``k``."""
    q = np.atleast_2d(np.asarray(queries, dtype=np.float32))
    k = min(k, len(passages))
    rows = np.empty((len(q), 0), np.int64)
    sims = np.empty((len(q), 0), np.float32)
    if k <= 0:
        return rows, sims
    for a in range(0, len(passages), block):
        scores = q @ passages[a:a + block].T
        idx, val = select_top(scores, min(k, scores.shape[1]))
        rows, sims = np.concatenate([rows, idx + a], axis=1), np.concatenate([sims, val], axis=1)
        if a > 0:  # the running top k of every block so far, best first
            keep, sims = select_top(np.ascontiguousarray(sims), min(k, sims.shape[1]))
            rows = np.take_along_axis(rows, keep, axis=1)
    return rows, sims


SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def sentences(text: str) -> list[str]:
    return [s for s in SENTENCE_END.split(text.strip()) if s]


@dataclass(frozen=True)
class Match:
    sentence: str
    cosine: float


def matching_sentences(embed, query: np.ndarray, texts: list[str]) -> list[Match]:
    """For each text, its sentence nearest the query (``embed``: texts to unit vectors), all embedded at once."""
    parts = [sentences(t) or [t] for t in texts]
    flat = [s for p in parts for s in p]
    scores = embed(flat) @ query if flat else np.empty(0)
    out, at = [], 0
    for p in parts:
        i = int(np.argmax(scores[at:at + len(p)]))
        out.append(Match(p[i], float(scores[at + i])))
        at += len(p)
    return out


def marked(text: str, sentence: str, left: str = "»", right: str = "«") -> str:
    """``text`` with ``sentence`` marked where it occurs."""
    at = text.find(sentence)
    return text if at < 0 else f"{text[:at]}{left}{sentence}{right}{text[at + len(sentence):]}"


def answers(queries: np.ndarray, passages: np.ndarray, episode_ids: np.ndarray, numbers: np.ndarray,
            k: int) -> pd.DataFrame:
    """The ``k`` best (``query``, ``episode_id``, ``passage``, ``score``) per query, best first, among
    ``passages`` (rows of ``episode_ids`` and passage ``numbers``)."""
    q = np.atleast_2d(np.asarray(queries, np.float32))
    rows, sims = best(q, passages, k)
    at = rows.ravel()
    return pd.DataFrame({"query": np.repeat(np.arange(len(q)), rows.shape[1]), "episode_id": episode_ids[at],
                         "passage": numbers[at], "score": sims.ravel()})


def search_table(table: pa.Table, queries: np.ndarray, k: int) -> pd.DataFrame:
    """``search_files``'s answer (``spark_search.py``) from a passages table held in this process."""
    return answers(queries, vectors(table["embedding"]),
                   np.asarray(table["episode_id"].to_numpy(zero_copy_only=False)), table["passage"].to_numpy(), k)


def distinct_moments(hits: list[dict], k: int) -> list[dict]:
    """The best ``k`` hits (best first, each with ``episode_id``, ``start``, ``end``), leaving out a hit whose
    time overlaps a better one of the same episode: overlapping passages would show one moment twice."""
    out: list[dict] = []
    for h in hits:
        if len(out) >= k:
            break
        if not any(o["episode_id"] == h["episode_id"] and h["start"] < o["end"] and o["start"] < h["end"] for o in out):
            out.append(h)
    return out
