import numpy as np
import pandas as pd

from podcast_assets.recommendations.history import engagement_totals, seen_matrix, top_n_rows


def test_totals_sum_engagement_over_days_and_keep_the_last_time():
    daily = pd.DataFrame({"user_id": ["u", "u", "v"], "new_episode_id": ["1", "1", "2"], "engagement": [1.0, 2.5, -1.0],
                          "last_ts": pd.to_datetime(["2026-11-01", "2026-11-03", "2026-11-02"])})
    totals = engagement_totals(daily).set_index(["user_id", "episode_id"])
    assert totals.loc[("u", "1"), "engagement"] == 3.5 and str(totals.loc[("u", "1"), "last_ts"].date()) == "2026-11-03"
    assert len(totals) == 2


def test_seen_matrix_marks_engaged_pairs_of_the_models_users_and_items():
    totals = pd.DataFrame({"user_id": ["u", "v", "w"], "episode_id": ["2", "1", "1"], "engagement": [1, 1, 1]})
    m = seen_matrix(totals, ["u", "v"], ["1", "2"]).toarray()
    assert m.tolist() == [[0, 1], [1, 0]]  # w is not a user of the model


def test_top_n_rows_drop_padding_and_number_ranks_from_one():
    idx, scores = np.array([[1, 0], [1, -1]]), np.array([[0.9, 0.5], [0.7, -np.inf]])
    rows = top_n_rows(idx, scores, ["u", "v"], ["a", "b"], "v1")
    assert [(r["user_id"], r["new_episode_id"], r["rank"]) for r in rows] == [("u", "b", 1), ("u", "a", 2), ("v", "b", 1)]
    assert rows[0]["_id"] == "v1|u|1" and rows[0]["model_version"] == "v1"
