"""ALS on real engagement from the broker, versioned artefacts, recommendations in MongoDB."""

import json
import os
import subprocess
import sys

import dagster as dg
import pandas as pd
import pytest
from deltalake import DeltaTable
from pymongo import MongoClient

from podcast_assets.recommendations.assets import als_model, hybrid_recommendations, user_recommendations
from podcast_assets.recommendations.model_store import versions
from podcast_assets_tests.helpers import env_for, resources_for


def test_two_trainings_leave_two_versions_and_recs_carry_the_latest(env):
    settings, resources = env
    root = settings.data_dir / "models" / "als"
    before = set(versions(root))
    first = dg.materialize([als_model], resources=resources)
    second = dg.materialize([als_model, user_recommendations], resources=resources)
    assert first.success and second.success
    new = set(versions(root)) - before
    assert len(new) == 2
    for v in new:
        assert {p.name for p in (root / v).iterdir()} >= {"user_factors.npy", "item_factors.npy", "users.json",
                                                           "items.json", "params.json", "metrics.json", "COMPLETE"}
    latest = second.asset_materializations_for_node("als_model")[0].metadata["model_version"].value
    meta = first.asset_materializations_for_node("als_model")[0].metadata
    # evaluated on held-out users, and at least as good as popularity there (else nothing is published)
    assert "popularity" in meta["evaluation"].value
    assert meta["als_ndcg@10"].value >= meta["popularity_ndcg@10"].value > 0
    with MongoClient(settings.MONGO_URI) as client:
        docs = list(client.recommendations.als_top_n.find({}))
    assert docs and {d["model_version"] for d in docs} == {latest}
    assert len({d["user_id"] for d in docs}) == 30


def test_no_recommendation_is_an_engaged_episode(env):
    settings, resources = env
    assert dg.materialize([als_model, user_recommendations, hybrid_recommendations], resources=resources).success
    daily = DeltaTable(settings.delta_path("daily_engagement")).to_pandas()
    engaged = set(zip(daily["user_id"], daily["new_episode_id"]))
    with MongoClient(settings.MONGO_URI) as client:
        als = list(client.recommendations.als_top_n.find({}))
        hybrid = list(client.recommendations.hybrid_top_n.find({}))
    assert als and hybrid
    assert not [d for d in als + hybrid if (d["user_id"], d["new_episode_id"]) in engaged]
    assert {d["strategy"] for d in hybrid} <= {"hybrid", "content", "popularity"}
    # only episodes a listener can play: the failed and the non-English ones get events but no recommendation
    statuses = DeltaTable(settings.delta_path("transcripts")).to_pandas(columns=["episode_id", "status"])
    bad = set(statuses[statuses["status"].str.startswith(("failed", "skipped_not_english"))]["episode_id"])
    assert bad & set(daily["new_episode_id"]), "the events should reach unplayable episodes too, or this proves nothing"
    assert not {d["new_episode_id"] for d in als + hybrid} & bad


def test_recommend_cli(env, tmp_path):
    settings, resources = env
    assert dg.materialize([als_model, user_recommendations], resources=resources).success
    with MongoClient(settings.MONGO_URI) as client:
        user = client.recommendations.als_top_n.find_one({})["user_id"]
    out = subprocess.run([sys.executable, "-m", "podcast_assets.cli", "recommend", user, "-n", "3", "--json"],
                         capture_output=True, text=True, timeout=120, cwd=tmp_path,
                         env={**env_for(settings), "DAGSTER_HOME": str(tmp_path)})
    doc = json.loads(out.stdout)
    assert len(doc["recommendations"]) == 3 and doc["model_version"]
    assert [r["rank"] for r in doc["recommendations"]] == [1, 2, 3] and all(r["title"] for r in doc["recommendations"])
    assert {r["strategy"] for r in doc["recommendations"]} == {"als"}
    # a listener the model has never seen gets the popular episodes, marked as such
    for flag in ([], ["--hybrid"]):
        out = subprocess.run([sys.executable, "-m", "podcast_assets.cli", "recommend", "someone-new", "-n", "3",
                              "--json", *flag], capture_output=True, text=True, timeout=120, cwd=tmp_path,
                             env={**env_for(settings), "DAGSTER_HOME": str(tmp_path)})
        recs = json.loads(out.stdout)["recommendations"]
        assert len(recs) == 3 and {r["strategy"] for r in recs} == {"popularity"}, out.stdout + out.stderr


@pytest.mark.parametrize("engine", ["local", pytest.param("spark", marks=pytest.mark.slow)])
def test_recommend_offline_on_a_csv(engine, tmp_path):
    rows = [(f"u{u}", f"e{(u * 3 + i) % 20}", float(1 + (u + i) % 4)) for u in range(30) for i in range(6)]
    skips = [("u0", "e18", -2.0), ("u1", "e19", -1.0), ("skipper", "e0", -1.0)]  # skipped: never offered again
    pd.DataFrame(rows + skips, columns=["user_id", "episode_id", "engagement"]).to_csv(tmp_path / "in.csv", index=False)
    out = subprocess.run([sys.executable, "-m", "podcast_assets.cli", "recommend-offline", "--interactions",
                          str(tmp_path / "in.csv"), "--top-n", "5", "--out", str(tmp_path / "out.csv"),
                          "--engine", engine], capture_output=True, text=True, timeout=300, cwd=tmp_path,
                         env={**os.environ, "DAGSTER_HOME": str(tmp_path)})
    assert out.returncode == 0, out.stderr[-2000:]
    recs = pd.read_csv(tmp_path / "out.csv", dtype={"user_id": str, "episode_id": str})
    assert list(recs.columns) == ["user_id", "episode_id", "score", "rank", "strategy"]
    assert len(recs) == 31 * 5 and recs.groupby("user_id")["rank"].apply(list).map(lambda r: r == [1, 2, 3, 4, 5]).all()
    assert not set(zip(recs["user_id"], recs["episode_id"])) & {(u, e) for u, e, _ in rows + skips}
    # the user who only skipped is unknown to the model: the popular episodes, marked as such
    assert set(recs.loc[recs["user_id"] == "skipper", "strategy"]) == {"popularity"}
    assert set(recs.loc[recs["user_id"] != "skipper", "strategy"]) == {"als"}


def _published(settings, db: str) -> tuple[str | None, list[dict]]:
    """What a reader sees: the current version (the pointer) and its documents."""
    from podcast_assets.resources.mongo_sink import current_version

    with MongoClient(settings.MONGO_URI) as client:
        version = current_version(client, db, "als_top_n")
        return version, list(client[db].als_top_n.find({"model_version": version}))


def test_popularity_until_a_model_passes_and_a_worse_model_is_kept_but_not_published(env):
    from podcast_assets.recommendations.assets import popular_recommendations
    from podcast_assets.recommendations.checks import als_beats_popularity
    from podcast_assets.recommendations.evaluation import beats_popularity
    from podcast_assets.recommendations.model_store import document
    from podcast_assets.resources.engines import AlsEngine

    settings, _ = env
    fresh = settings.replace(MONGO_RECS_DB="recs_gate_test")  # a deployment where no model was ever published
    resources = resources_for(fresh)
    root = settings.data_dir / "models" / "als"

    # no model has passed yet: every user gets the popularity list, marked as such
    assert dg.materialize([popular_recommendations], resources=resources).success
    version, docs = _published(fresh, "recs_gate_test")
    assert version.startswith("popularity-") and {d["strategy"] for d in docs} == {"popularity"}
    assert len({d["user_id"] for d in docs}) == 30

    # a model that passes replaces the popularity lists
    good = dg.materialize([als_model, als_beats_popularity, user_recommendations], resources=resources)
    trained = good.asset_materializations_for_node("als_model")[0].metadata["model_version"].value
    version, docs = _published(fresh, "recs_gate_test")
    assert version == trained and {d["strategy"] for d in docs} == {"als"}

    # a model worse than popularity is trained: kept as a version, blocked by the check, not published
    # (no iteration: the factors are their seeded random start, a random order; a rank-1 model with a huge
    # regularisation still learnt the topic axis and beat popularity once the catalog grew)
    worse = resources_for(fresh, als=AlsEngine(rank=8, iterations=0))
    before = set(versions(root))
    result = dg.materialize([als_model, als_beats_popularity, user_recommendations], resources=worse,
                            raise_on_error=False)
    [kept] = set(versions(root)) - before
    [check] = result.get_asset_check_evaluations()
    assert not check.passed and check.metadata["model_version"].value == kept, {k: v.value for k, v in check.metadata.items()}
    assert check.metadata["als_ndcg@10"].value < check.metadata["popularity_ndcg@10"].value
    assert not result.asset_materializations_for_node("user_recommendations")  # skipped: the check blocks
    assert _published(fresh, "recs_gate_test")[0] == trained  # users keep the model that passed
    # materialised on its own (no training, no check in the run) it serves the newest model that passed
    assert dg.materialize([user_recommendations], resources=worse).success
    served = _published(fresh, "recs_gate_test")[0]
    assert served == trained and beats_popularity(document(root, served, "metrics"))[0]

    # with a model published, the popularity asset stands down
    again = dg.materialize([popular_recommendations], resources=resources)
    assert again.asset_materializations_for_node("popular_recommendations")[0].metadata["published"].value is False
    assert _published(fresh, "recs_gate_test")[0] == trained
