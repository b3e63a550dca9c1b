import numpy as np
import pandas as pd
import pytest

from podcast_assets.recommendations.als import (
    AlsParams,
    Interactions,
    fit_local,
    popularity_factors,
    recommend,
)
from podcast_assets.recommendations.evaluation import ranking_metrics, split_holdout
from podcast_assets.recommendations.hybrid import blend
from podcast_assets.recommendations.model_store import latest_version, load_version, save_version, versions
from podcast_assets.recommendations.training import train


def clustered(users=40, items=30, seed=0):
    """Two groups of users, each liking one half of the items."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(users):
        half = u % 2
        for i in rng.choice(items // 2, size=8, replace=False):
            rows.append((f"u{u}", f"e{i + half * items // 2}", float(rng.integers(1, 6))))
    return pd.DataFrame(rows, columns=["user_id", "episode_id", "engagement"])


def test_recommendations_exclude_engaged_and_follow_the_clusters():
    df = clustered()
    model = train(df, AlsParams(rank=8, iterations=10, reg=0.1, alpha=1.0), fit_local)
    recs = model.top_n(5)
    engaged = set(zip(df["user_id"], df["episode_id"]))
    assert not any((u, e) in engaged for u, e in zip(recs["user_id"], recs["episode_id"]))
    own_half = [(int(u[1:]) % 2) == (int(e[1:]) >= 15) for u, e in zip(recs["user_id"], recs["episode_id"])]
    assert np.mean(own_half) > 0.8  # random would be 0.5
    assert model.metrics["als_ndcg@10"] > model.metrics["popularity_ndcg@10"]


def test_negative_engagement_carries_no_confidence():
    df = pd.DataFrame({"user_id": ["a", "a", "b"], "episode_id": ["x", "y", "x"], "engagement": [2.0, -1.0, 1.0]})
    data = Interactions.from_frame(df, AlsParams())
    assert data.matrix.nnz == 2 and data.users == ["a", "b"] and data.items == ["x", "y"]


def test_popularity_and_exclusion():
    seen = Interactions.from_frame(pd.DataFrame({"user_id": ["a", "b", "b"], "episode_id": ["x", "x", "y"],
                                                 "engagement": [1.0, 1.0, 1.0]}), AlsParams()).matrix
    idx, _ = recommend(*popularity_factors(seen), seen, 2)
    assert idx[0].tolist() == [1, -1] and idx[1].tolist() == [-1, -1]
    idx, _ = recommend(np.ones((2, 1), np.float32), np.array([[1.0], [2.0]], np.float32), seen, 2)
    assert idx[0].tolist() == [1, -1]


def test_ranking_metrics_by_hand():
    m = ranking_metrics({"u": ["a", "b", "c"]}, {"u": {"b", "z"}}, k=3)
    assert m["precision@3"] == pytest.approx(1 / 3) and m["recall@3"] == pytest.approx(0.5)
    assert m["ndcg@3"] == pytest.approx((1 / np.log2(3)) / (1 + 1 / np.log2(3)))


def test_temporal_holdout_takes_the_latest():
    df = pd.DataFrame({"user_id": ["u"] * 5, "episode_id": list("abcde"), "engagement": [1.0] * 5, "ts": range(5)})
    train_df, test = split_holdout(df, fraction=0.2, time_col="ts")
    assert list(test["episode_id"]) == ["e"] and len(train_df) == 4


def test_versions_are_kept_and_latest_moves_only_when_complete(tmp_path):
    v1 = save_version(tmp_path, {"f": np.zeros(2)}, {"params": {"a": 1}})
    v2 = save_version(tmp_path, {"f": np.ones(2)}, {"params": {"a": 2}})
    assert versions(tmp_path) == sorted([v1, v2]) and latest_version(tmp_path) == v2
    (tmp_path / ".half.partial").mkdir()  # a crashed write is invisible
    version, arrays, docs = load_version(tmp_path)
    assert version == v2 and arrays["f"].tolist() == [1.0, 1.0] and docs["params"] == {"a": 2}
    assert load_version(tmp_path, v1)[1]["f"].tolist() == [0.0, 0.0]


def test_hybrid_falls_back_for_thin_histories():
    vecs = pd.DataFrame({"episode_id": ["a", "b", "c"], "embedding": [[1, 0], [0.9, 0.1], [0, 1]]})
    history = pd.DataFrame({"user_id": ["rich"] * 3 + ["thin", "cold", "x"],
                            "episode_id": ["a", "c", "b", "a", "c", "lost"], "engagement": [1.0, 1.0, 1.0, 1.0, -1.0, 5.0]})
    rows, kinds = blend(np.ones((1, 2), np.float32), np.ones((3, 2), np.float32), ["rich"], ["a", "b", "c"],
                        history, vecs, 2, 0.3, 3, {"lost"})
    by_user = {}
    for r in rows:
        by_user.setdefault(r["user_id"], []).append(r)
    assert kinds == {"hybrid": 1, "content": 1, "popularity": 2}
    assert "rich" not in by_user  # every episode is engaged already: nothing left to recommend
    assert by_user["thin"][0]["new_episode_id"] == "b"  # closest to what thin liked
    assert all(r["new_episode_id"] != "c" for r in by_user["cold"])  # a skip is not offered again
    assert "lost" not in {r["new_episode_id"] for r in rows}  # the most popular, but not playable


def test_held_out_ndcg_agrees_with_implicits_own_evaluation():
    """Our metrics score any engine's lists (popularity, EASE, Spark); on an implicit model they must give
    what ``implicit.evaluation`` gives."""
    import scipy.sparse as sp
    from implicit.cpu.als import AlternatingLeastSquares
    from implicit.evaluation import ndcg_at_k

    from podcast_assets.recommendations.training import held_out_metrics, relevant_items

    rng = np.random.default_rng(1)
    df = pd.DataFrame([(f"u{u}", f"e{int(i)}", float(rng.integers(1, 5)), t) for u in range(60)
                       for t, i in enumerate(rng.choice(40, 12, replace=False))],
                      columns=["user_id", "episode_id", "engagement", "ts"])
    train_df, test = split_holdout(df, 0.25, time_col="ts")
    data = Interactions.from_frame(train_df, AlsParams())
    u, v = fit_local(data, AlsParams(rank=8, iterations=5))
    ours = held_out_metrics(data, u, v, relevant_items(test))
    model = AlternatingLeastSquares(factors=8)
    model.user_factors, model.item_factors = u, v
    u_ix, i_ix = {x: j for j, x in enumerate(data.users)}, {x: j for j, x in enumerate(data.items)}
    assert test["episode_id"].isin(i_ix).all()
    truth = sp.csr_matrix((np.ones(len(test)), (test["user_id"].map(u_ix), test["episode_id"].map(i_ix))),
                          shape=data.matrix.shape)
    theirs = ndcg_at_k(model, data.matrix, truth, K=10, show_progress=False)
    assert ours["ndcg@10"] > 0.05 and abs(ours["ndcg@10"] - theirs) < 1e-9


def test_ease_closed_form_holds_either_way_round():
    """The Woodbury form (fewer users than items) and the direct inverse give the paper's B."""
    import scipy.sparse as sp

    from podcast_assets.recommendations.baselines import fit_ease

    rng = np.random.default_rng(0)
    for shape in [(40, 100), (100, 40)]:
        x = (rng.random(shape) < 0.2).astype(np.float64)
        data = Interactions([str(i) for i in range(shape[0])], [str(j) for j in range(shape[1])], sp.csr_matrix(x))
        histories, b_t = fit_ease(data, 5.0)
        p = np.linalg.inv(x.T @ x + 5.0 * np.eye(shape[1]))
        b = -p / np.diag(p)
        np.fill_diagonal(b, 0.0)
        assert np.abs(b_t.T - b).max() < 1e-5 and np.array_equal(histories, x)


def test_item_knn_keeps_each_items_k_most_similar_shrunk_cosines():
    import scipy.sparse as sp

    from podcast_assets.recommendations.baselines import fit_item_knn

    x = np.array([[1, 1, 0, 0], [1, 1, 1, 0], [0, 1, 1, 1], [0, 0, 1, 1]], np.float32)
    data = Interactions(["a", "b", "c", "d"], ["0", "1", "2", "3"], sp.csr_matrix(x))
    histories, w_t = fit_item_knn(data, k=2, shrink=1.0)
    w = w_t.T  # w[i, j]: how much having item i speaks for item j
    norms = np.sqrt(x.sum(axis=0))
    assert w[0, 1] == np.float32(2 / (norms[0] * norms[1] + 1.0))  # co-occurrence 2, shrunk
    assert (np.count_nonzero(w, axis=0) <= 2).all() and np.diag(w).sum() == 0
    assert w[3, 0] == 0 and w[0, 3] == 0  # never together
    assert np.array_equal(histories, x)
