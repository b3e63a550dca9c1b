import numpy as np
import pytest

from podcast_assets.similarities.embedding import pool, windows
from podcast_assets.similarities.knn import topk
from podcast_assets.similarities.neighbours import neighbour_rows


def test_windows_cover_every_token_with_overlap():
    spans = windows(1000, max_tokens=256, overlap=32, safety_margin=8)
    assert spans[0] == (0, 248) and spans[-1][1] == 1000
    assert all(b - a <= 248 for a, b in spans)
    assert all(spans[i][1] - spans[i + 1][0] == 32 for i in range(len(spans) - 1))
    assert windows(10, 256, 32, 8) == [(0, 10)] and windows(0, 256, 32, 8) == []
    with pytest.raises(ValueError):
        windows(10, 16, 32, 8)


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
