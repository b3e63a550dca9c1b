"""Long-document embeddings: token-aware sliding windows, each embedded, averaged on the sphere.

A transcript is tokenised once with the model's own tokenizer; windows of ``max_tokens -
safety_margin`` tokens (the margin leaves room for the special tokens the model adds) overlap by
``overlap`` tokens. Each window is embedded (unit length), the window vectors are averaged
weighted by their token counts, and the mean is renormalised to unit length.
"""

from __future__ import annotations

import numpy as np


def windows(n_tokens: int, max_tokens: int, overlap: int, safety_margin: int) -> list[tuple[int, int]]:
    size = max_tokens - safety_margin
    if size <= 0 or overlap >= size:
        raise ValueError(f"need max_tokens - safety_margin ({size}) > overlap ({overlap}) > = 0")
    if n_tokens <= size:
        return [(0, n_tokens)] if n_tokens else []
    step = size - overlap
    out = []
    start = 0
    while True:
        end = min(start + size, n_tokens)
        out.append((start, end))
        if end == n_tokens:
            return out
        start += step


def pool(chunk_vectors: np.ndarray, token_counts: list[int]) -> np.ndarray:
    weights = np.asarray(token_counts, dtype=np.float64)[:, None]
    mean = (chunk_vectors.astype(np.float64) * weights).sum(axis=0) / weights.sum()
    norm = np.linalg.norm(mean)
    return (mean / norm if norm > 0 else mean).astype(np.float32)


class LongTextEmbedder:
    def __init__(self, model, max_tokens: int = 256, overlap: int = 32, safety_margin: int = 8, batch_size: int = 32):
        self.model, self.tokenizer = model, model.tokenizer
        self.max_tokens = min(max_tokens, int(getattr(model, "max_seq_length", max_tokens) or max_tokens))
        self.overlap, self.margin, self.batch_size = overlap, safety_margin, batch_size

    def chunks(self, text: str) -> tuple[list[str], list[int]]:
        ids = self.tokenizer(text, add_special_tokens=False, truncation=False)["input_ids"]
        spans = windows(len(ids), self.max_tokens, self.overlap, self.margin)
        return [self.tokenizer.decode(ids[a:b]) for a, b in spans], [b - a for a, b in spans]

    def embed(self, texts: list[str]) -> np.ndarray:
        """One unit vector per text (zeros for an empty text)."""
        all_chunks, owners, counts = [], [], []
        for i, text in enumerate(texts):
            chunks, n = self.chunks(text or "")
            all_chunks += chunks
            owners += [i] * len(chunks)
            counts += n
        dim = self.model.get_embedding_dimension()
        out = np.zeros((len(texts), dim), dtype=np.float32)
        if not all_chunks:
            return out
        vecs = self.model.encode(all_chunks, batch_size=self.batch_size, normalize_embeddings=True,
                                 convert_to_numpy=True, show_progress_bar=False)
        owners_arr = np.asarray(owners)
        for i in range(len(texts)):
            sel = np.flatnonzero(owners_arr == i)
            if len(sel):
                out[i] = pool(vecs[sel], [counts[j] for j in sel])
        return out
