"""Episode vectors pooled from passage vectors (``similarities/embedding.from_passages``)."""

import numpy as np


def test_episode_vectors_pool_the_passages_of_the_current_transcript_only():
    import pandas as pd

    from podcast_assets.similarities.embedding import from_passages

    t0, t1 = pd.Timestamp("2026-01-01", tz="UTC"), pd.Timestamp("2026-01-02", tz="UTC")
    passages = pd.DataFrame({
        "episode_id": ["a", "a", "b"], "start": [0.0, 30.0, 0.0], "end": [30.0, 40.0, 30.0],
        "embedding": [np.array([1.0, 0.0], np.float32), np.array([0.0, 1.0], np.float32),
                      np.array([1.0, 0.0], np.float32)],
        "transcript_created_at": [t1, t1, t0]})
    transcripts = pd.DataFrame({"episode_id": ["a", "b"], "created_at": [t1, t1]})  # b was transcribed again
    vectors = from_passages(passages, transcripts)
    assert set(vectors) == {"a"}  # b's passages are of its earlier transcript: it waits, or is embedded whole
    expected = np.array([30.0, 10.0]) / np.linalg.norm([30.0, 10.0])  # weighted by their seconds, unit length
    assert np.allclose(vectors["a"], expected, atol=1e-6)


def test_passages_without_timings_pool_with_equal_weights():
    from podcast_assets.similarities.embedding import pool

    v = pool(np.array([[1.0, 0.0], [0.0, 1.0]], np.float32), [0.0, 0.0])
    assert np.allclose(v, [2 ** -0.5, 2 ** -0.5])
