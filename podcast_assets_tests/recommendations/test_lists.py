import numpy as np
import pandas as pd

from podcast_assets.recommendations.lists import model_rows, top_n_rows


def test_top_n_rows_drop_padding_and_number_ranks_from_one():
    idx, scores = np.array([[1, 0], [1, -1]]), np.array([[0.9, 0.5], [0.7, -np.inf]])
    rows = top_n_rows(idx, scores, ["u", "v"], ["a", "b"], "v1")
    assert [(r["user_id"], r["new_episode_id"], r["rank"]) for r in rows] == [("u", "b", 1), ("u", "a", 2), ("v", "b", 1)]
    assert rows[0]["_id"] == "v1|u|1" and rows[0]["model_version"] == "v1" and rows[0]["strategy"] == "als"


def test_the_model_serves_users_it_knows_and_popularity_the_rest_never_an_engaged_or_unplayable_episode():
    items = ["a", "b", "c", "lost"]
    t = pd.DataFrame([("u", "a", 2.0), ("v", "a", 1.0), ("v", "b", 1.0), ("s", "c", -1.0), ("new", "b", 1.0)],
                     columns=["user_id", "episode_id", "engagement"])
    users = ["s", "u", "v"]  # the model was trained before "new" listened; "s" only skipped
    user_f = np.array([[1.0], [1.0], [1.0]], np.float32)
    item_f = np.array([[0.1], [0.5], [0.2], [9.0]], np.float32)  # "lost" would top every list if allowed
    rows = model_rows(user_f, item_f, users, items, t, {"lost"}, 10, "v9")
    by_user = {}
    for r in rows:
        by_user.setdefault(r["user_id"], []).append((r["new_episode_id"], r["strategy"]))
    assert by_user["u"] == [("b", "als"), ("c", "als")]
    assert by_user["v"] == [("c", "als")]
    assert by_user["s"] == [("a", "popularity"), ("b", "popularity")]  # c was skipped: not offered again
    assert by_user["new"] == [("a", "popularity"), ("c", "popularity")]
    assert all(r["model_version"] == "v9" for r in rows)
