"""A search's answer, from passages held in memory: the hits with their show, episode, moment and matched
words. Pure: ``podcast-assets search`` holds one read of the table for one query, ``podcast-assets serve``
holds the newest version for every query (``serve/holder.py``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import pyarrow as pa

from podcast_assets.search.hybrid import moments
from podcast_assets.search.index import matching_sentences, vectors
from podcast_assets.search.keywords import KeywordIndex
from podcast_assets.search.passages import mmss, moment

COLUMNS = ["episode_id", "passage", "start", "end", "text", "segment_starts", "segment_offsets", "embedding"]


@dataclass(frozen=True)
class Held:
    """One version of the passages table (``COLUMNS``), ready to search."""

    model: str
    version: int
    rows: list[dict]  # the passages without their embeddings, in the matrix's order
    matrix: np.ndarray
    keywords: KeywordIndex | None
    keyword_index: str  # where the keyword index came from, to show
    shows: dict[str, tuple[str, str]]  # episode id -> (show, episode title)
    rows_of: dict[str, np.ndarray]  # episode id -> its rows, found once: /health and episode searches read it

    @property
    def episodes(self):
        return self.rows_of.keys()


def hold(table: pa.Table, version: int, model: str, saved: KeywordIndex | None,
         shows: dict[str, tuple[str, str]], keywords: bool = True) -> Held:
    """``saved``: the keyword index saved for this version (``keyword_store.load_current``); without it BM25 is
    built over the passages read (unless ``keywords`` is False: a vector-only search needs none)."""
    rows = table.drop_columns(["embedding"]).to_pylist()
    if saved is not None:
        index, how = saved, f"saved (passages version {version})"
    elif keywords:
        index, how = KeywordIndex.build([r["text"] for r in rows]), "built from the passages read"
    else:
        index, how = None, "none"
    ids = table["episode_id"].to_numpy(zero_copy_only=False)
    rows_of = pd.Series(ids).groupby(ids, sort=False).indices if len(ids) else {}
    return Held(model, version, rows, vectors(table["embedding"]), index, how, shows, rows_of)


def within(held: Held, episode_id: str) -> Held:
    """Only ``episode_id``'s passages (its own small keyword index)."""
    at = held.rows_of.get(episode_id, np.empty(0, np.int64))
    rows = [held.rows[i] for i in at]
    index = KeywordIndex.build([r["text"] for r in rows]) if held.keywords is not None else None
    return replace(held, rows=rows, matrix=held.matrix[at], keywords=index, keyword_index="built for the episode",
                   rows_of={episode_id: np.arange(len(at))} if len(at) else {})


def search(held: Held, embed, query: str, mode: str, k: int, timing: dict | None = None) -> list[dict]:
    """The best ``k`` moments for ``query`` (``embed``: texts to unit vectors), best first. Each hit: the
    passage's fields, ``score``, ``matched`` words, the best-matching sentence (``match``), when it is said
    (``said_at``, ``at``) and the episode's ``show`` and ``episode_title``. ``timing`` (a dict) receives the
    milliseconds of each part: embedding the query, ranking, and embedding the hits' sentences."""
    if not held.rows:
        return []
    clock = [time.perf_counter()]
    vector = embed([query])[0]
    clock.append(time.perf_counter())
    hits = moments(mode, query, vector, held.matrix, held.keywords, held.rows, k)
    clock.append(time.perf_counter())
    matches = matching_sentences(embed, vector, [h["text"] for h in hits])
    clock.append(time.perf_counter())
    if timing is not None:
        timing.update({name: round((b - a) * 1000, 1) for name, a, b in zip(
            ("embed_query_ms", "rank_ms", "sentences_ms"), clock, clock[1:])})
    out = []
    for h, match in zip(hits, matches):
        h = dict(h)
        # the moment: where the best-matching sentence's segment starts (the passage's start if unknown)
        said = moment(h["text"], h.pop("segment_starts") or [], h.pop("segment_offsets") or [], match.sentence)
        said = h["start"] if said is None else said
        show, title = held.shows.get(h["episode_id"], ("", ""))
        out.append({**h, "said_at": said, "at": mmss(said), "match": match.sentence, "show": show,
                    "episode_title": title})
    return out
