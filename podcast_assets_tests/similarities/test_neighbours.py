import numpy as np
import pandas as pd

from podcast_assets.similarities.neighbours import (
    merge_directions,
    neighbours_from_vectors,
    split_new_and_history,
)


def vectors(rows):
    return pd.DataFrame([{"episode_id": e, "batch_id": b, "created_at": pd.Timestamp(t, unit="s"),
                          "embedding": np.asarray(v, np.float32) / np.linalg.norm(v)} for e, b, t, v in rows])


def test_every_vector_since_the_watermark_is_new_however_many_batches_wrote_it():
    v = vectors([("a", "b1", 1, [1, 0]), ("b", "b2", 2, [0, 1]), ("c", "b3", 3, [1, 1]), ("d", "b4", 4, [1, 2])])
    # the first comparison: everything is new, and new episodes are each other's history
    new, hist = split_new_and_history(v, False, True, since=None)
    assert list(new["episode_id"]) == list(hist["episode_id"]) == ["a", "b", "c", "d"]
    # two batches landed since the last comparison (at t=2): both are new, not only the latest
    new, hist = split_new_and_history(v, False, True, since=pd.Timestamp(2, unit="s"))
    assert list(new["episode_id"]) == ["c", "d"] and list(hist["episode_id"]) == ["a", "b", "c", "d"]
    new, hist = split_new_and_history(v, False, False, since=pd.Timestamp(2, unit="s"))
    assert list(hist["episode_id"]) == ["a", "b"]  # older vectors only
    new, hist = split_new_and_history(v, False, True, since=pd.Timestamp(4, unit="s"))
    assert new.empty
    new, hist = split_new_and_history(v, recompute_all=True, within_batch_if_empty=False)
    assert len(new) == len(hist) == 4


def test_the_earliest_episodes_are_compared_again_until_they_have_a_full_top_k():
    v = vectors([(e, e, t, [1, t]) for t, e in enumerate("abcdefg", start=1)])
    # the first comparison held a and b only (at t=2): with k=3 they get their top-3 filled now
    new, _ = split_new_and_history(v, False, True, since=pd.Timestamp(2, unit="s"), k=3)
    assert list(new["episode_id"]) == ["a", "b", "c", "d", "e", "f", "g"]
    # the last comparison held 4 vectors (more than k): the early ones already have a full top-3
    new, _ = split_new_and_history(v, False, True, since=pd.Timestamp(4, unit="s"), k=3)
    assert list(new["episode_id"]) == ["e", "f", "g"]
    # one episode alone had no neighbour at all; the next comparison gives it its own
    new, hist = split_new_and_history(v.head(2), False, True, since=pd.Timestamp(1, unit="s"), k=5)
    assert list(new["episode_id"]) == ["a", "b"]
    # older-only history stays older than the fresh vectors
    _, hist = split_new_and_history(v, False, False, since=pd.Timestamp(2, unit="s"), k=3)
    assert list(hist["episode_id"]) == ["a", "b"]


def test_merge_directions_keeps_the_best_score_per_neighbour():
    as_new = [{"historical_episode_id": "x", "cosine_similarity": 0.5}, {"historical_episode_id": "y", "cosine_similarity": 0.9}]
    as_hist = [{"new_episode_id": "x", "cosine_similarity": 0.7}, {"new_episode_id": "z", "cosine_similarity": 0.1}]
    assert merge_directions(as_new, as_hist, 2) == [{"episode_id": "y", "similarity": 0.9},
                                                    {"episode_id": "x", "similarity": 0.7}]


def test_neighbours_from_vectors_excludes_the_episode_itself():
    v = vectors([("a", "b", 1, [1, 0]), ("b", "b", 1, [0.9, 0.1]), ("c", "b", 1, [0, 1])])
    found = neighbours_from_vectors(v, "a", 5)
    assert [n["episode_id"] for n in found] == ["b", "c"] and found[0]["similarity"] > 0.9
    assert neighbours_from_vectors(v, "missing", 5) == []
