import functools

import numpy as np
import pytest

from podcast_assets.resources.embedder import EmbedderResource
from podcast_assets.similarities.embedding import LongTextEmbedder, pool
from podcast_assets.similarities.knn import topk
from podcast_assets.similarities.neighbours import neighbour_rows


@functools.cache
def embedder() -> LongTextEmbedder:
    return EmbedderResource().embedder()  # the bundled model, the defaults: 256 tokens, overlap 32, margin 8


def test_the_tokenizer_windows_cover_every_token_with_overlap():
    e = embedder()
    text = " ".join(f"word{i}" for i in range(400))
    ids = e.tokenizer(text, add_special_tokens=False)["input_ids"]
    windows = e.windows(text)
    assert len(ids) > 1000 and len(windows[0]) == 248 and all(len(w) <= 248 for w in windows)
    # the spans of the hand-written windows this replaced: a step of 248 - 32, the last one ending at the end
    assert windows == [ids[a:a + 248] for a in range(0, len(ids) - 32, 248 - 32)]
    assert e.chunks(text)[1] == [len(w) for w in windows]
    assert e.chunks("a short one") == (["a short one"], [3]) and e.chunks("") == ([], [])
    assert np.isclose(np.linalg.norm(e.embed([text])[0]), 1.0) and not e.embed([""]).any()
    with pytest.raises(ValueError):
        LongTextEmbedder(e.model, max_tokens=40, overlap=32, safety_margin=8)


def test_pool_is_a_token_weighted_unit_mean():
    v = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)
    out = pool(v, [3, 1])
    assert np.isclose(np.linalg.norm(out), 1.0)
    assert out[0] == pytest.approx(3 / np.sqrt(10), rel=1e-5)


def test_topk_matches_brute_force_and_skips_self():
    rng = np.random.default_rng(1)
    hist = rng.normal(size=(300, 16)).astype(np.float32)
    hist /= np.linalg.norm(hist, axis=1, keepdims=True)
    new = hist[:50]
    ids = [f"e{i}" for i in range(300)]
    rows, cols, sims = topk(new, hist, 5, ids[:50], ids, block=7)
    full = new @ hist.T
    np.fill_diagonal(full[:, :50], -np.inf)
    expected = np.argsort(-full, axis=1)[:, :5]
    assert (cols.reshape(50, 5) == expected).all()
    assert not any(r == c for r, c in zip(rows, cols))
    pairs = neighbour_rows(ids[:50], ids, rows, cols, sims, 5, "m", None)
    assert [p["rank"] for p in pairs[:5]] == [1, 2, 3, 4, 5]
    assert pairs[0]["distance_embed"] == pytest.approx(1 - pairs[0]["cosine_similarity"])


def test_within_batch_of_one_has_no_neighbours():
    v = np.ones((1, 4), np.float32) / 2
    rows, cols, sims = topk(v, v, 3, ["a"], ["a"])
    assert len(rows) == 0
