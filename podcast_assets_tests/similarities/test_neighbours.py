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


def test_the_newest_batch_against_the_history_before_it():
    v = vectors([("a", "b1", 1, [1, 0]), ("b", "b1", 1, [0, 1]), ("c", "b2", 2, [1, 1])])
    new, hist = split_new_and_history(v, recompute_all=False, within_batch_if_empty=True)
    assert list(new["episode_id"]) == ["c"] and list(hist["episode_id"]) == ["a", "b"]
    new, hist = split_new_and_history(v[v["batch_id"] == "b1"], False, True)
    assert list(new["episode_id"]) == list(hist["episode_id"]) == ["a", "b"]  # no history: within the batch
    new, hist = split_new_and_history(v[v["batch_id"] == "b1"], False, False)
    assert hist.empty
    new, hist = split_new_and_history(v, recompute_all=True, within_batch_if_empty=False)
    assert len(new) == len(hist) == 3


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
