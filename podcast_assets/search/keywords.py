"""Keyword search over passages: BM25 (``bm25s``) on words as they are said, for what MiniLM blurs.

Names, numbers and rare words are where a sentence embedding is weakest: "Galileo" and "Kepler" sit close
together, and "90 minutes" close to "an hour". BM25 scores the exact words. Tokens are lower-case runs of
letters and digits (single digits kept), English stop words dropped, number words read as digits
("ninety" is "90", as the transcriber often writes it) and the other words stemmed (Snowball, PyStemmer:
"roasting" finds "roast"), in passages and queries alike. Pure functions
and a small index type; the index is saved as ``bm25s`` files in a folder.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import bm25s
import numpy as np
from bm25s.stopwords import STOPWORDS_EN_PLUS

WORD = re.compile(r"[^\W_]+", re.UNICODE)
# which tokenisation an index was built with: a saved index of another is not read (keyword_store.py)
TOKENS = "nltk-stop+numbers+snowball-1"
STOP = frozenset(STOPWORDS_EN_PLUS)  # NLTK's English list, as bm25s ships it (its STOPWORDS_EN is Lucene's 33)
_UNITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
          "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
NUMBER_WORDS = {w: str(i) for i, w in enumerate(_UNITS)} | {w: str(20 + 10 * i) for i, w in enumerate(_TENS)} | {
    "hundred": "100", "thousand": "1000", "million": "1000000"}


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer  # PyStemmer: the Snowball English stemmer, in C

    return Stemmer.Stemmer("english")


def _tokens(text: str) -> list[tuple[str, str]]:
    """(word as said, keyword token) pairs of ``text``, in order: stop words dropped, number words read as
    digits ("twenty-nine" and "twenty nine" are "29"), other words stemmed ("roasting" and "roast" are one)."""
    out: list[tuple[str, str]] = []
    stem = _stemmer().stemWord
    tens = False  # the last token was a tens word ("twenty"): a unit word after it joins it
    for w in WORD.findall((text or "").lower()):
        n = NUMBER_WORDS.get(w)
        if tens and w in _UNITS[1:10]:
            number = str(int(out[-1][1]) + int(n))
            out[-1] = (f"{out[-1][0]} {w}", number)
            tens = False
            continue
        tens = w in _TENS
        if w in STOP and not n:
            continue
        out.append((w, n or (w if w.isdigit() else stem(w))))
    return out


def words(text: str) -> list[str]:
    """The keyword tokens of ``text``, in order (repeats kept)."""
    return [token for _, token in _tokens(text)]


def matched_words(query: str, text: str) -> list[str]:
    """The query's words (as the query has them) whose token ``text`` contains, in the query's order: what a hit
    shows as matched."""
    present = set(words(text))
    seen: list[str] = []
    for said, token in _tokens(query):
        if token in present and said not in seen:
            seen.append(said)
    return seen


@dataclass
class KeywordIndex:
    """BM25 over a list of passages; row numbers are positions in that list, or, with ``row_of``, the rows
    those positions have in the caller's own table (-1: not there; such hits are left out)."""

    bm25: bm25s.BM25
    rows: int
    row_of: np.ndarray | None = None

    @classmethod
    def build(cls, texts: list[str]) -> KeywordIndex:
        bm25 = bm25s.BM25()
        # an empty passage still takes its row: the index's rows stay aligned with the passages table
        bm25.index([words(t) or [""] for t in texts], show_progress=False)
        return cls(bm25, len(texts))

    def top(self, query: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Row numbers and BM25 scores of the best ``k`` passages holding at least one query word, best first."""
        tokens = [w for w in words(query) if w in self.bm25.vocab_dict]
        if not tokens or not self.rows:
            return np.empty(0, np.int64), np.empty(0, np.float32)
        scores = self.bm25.get_scores(tokens)
        k = min(k, int(np.count_nonzero(scores > 0)))
        if k <= 0:
            return np.empty(0, np.int64), np.empty(0, np.float32)
        rows = np.argpartition(-scores, k - 1)[:k]
        rows = rows[np.lexsort((rows, -scores[rows]))]  # best first; ties by row, so answers are repeatable
        found = scores[rows].astype(np.float32)
        if self.row_of is not None:
            rows = self.row_of[rows]
            found, rows = found[rows >= 0], rows[rows >= 0]
        return rows.astype(np.int64), found

    def save(self, folder: Path, meta: dict) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.bm25.save(str(folder), show_progress=False)
        (folder / "meta.json").write_text(json.dumps({**meta, "rows": self.rows, "tokens": TOKENS}))

    @classmethod
    def load(cls, folder: Path) -> tuple[KeywordIndex, dict]:
        meta = json.loads((folder / "meta.json").read_text())
        return cls(bm25s.BM25.load(str(folder), mmap=True, show_progress=False), int(meta["rows"])), meta
