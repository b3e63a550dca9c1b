"""Embeddings and KNN on the real transcripts; MongoDB writes, the Spark engine and the fallback."""

import dagster as dg
import pytest
from deltalake import DeltaTable
from pymongo import MongoClient

from podcast_assets.local.stack import Stack
from podcast_assets.similarities.assets import episode_embeddings, episode_similarities
from podcast_assets_tests.conftest import stack_settings
from podcast_assets_tests.helpers import env_for, resources_for, topic_of


def _sims(settings):
    with MongoClient(settings.MONGO_URI) as client:
        return list(client.podcasts.similarities.find({}))


def test_vectors_are_unit_length_and_transcripts_marked(analysed):
    settings, _ = analysed
    vectors = DeltaTable(settings.delta_path("vectors")).to_pandas()
    assert len(vectors) == 18 and all(abs(sum(x * x for x in v) - 1) < 1e-4 for v in vectors["embedding"])
    t = DeltaTable(settings.delta_path("transcripts")).to_pandas()
    done = t[t["status"] == "transcribed"]
    assert done["analyzed"].all() and done["analyzed_at"].notna().all()


def test_top3_neighbours_share_the_topic(analysed):
    settings, _ = analysed
    topics = topic_of()
    sims = [d for d in _sims(settings) if d["rank"] <= 3]
    hits = [topics[d["new_episode_id"]] == topics[d["historical_episode_id"]] for d in sims]
    assert len(hits) == 18 * 3
    assert sum(hits) / len(hits) >= 0.8, sum(hits) / len(hits)


def test_rerun_adds_no_documents(analysed):
    settings, resources = analysed
    before = len(_sims(settings))
    assert dg.materialize([episode_embeddings, episode_similarities], resources=resources).success
    assert len(_sims(settings)) == before == 18 * 5


@pytest.mark.slow
def test_spark_engine_gives_the_same_pairs(analysed):
    settings, resources = analysed
    local = dg.materialize([episode_similarities], resources=resources)
    spark = dg.materialize([episode_similarities], resources=resources_for(settings.replace(KNN_ENGINE="spark")))
    assert local.success and spark.success
    meta = spark.asset_materializations_for_node("episode_similarities")[0].metadata
    assert meta["engine"].value == "spark" and meta["pairs"].value == 90
    pairs = {(d["new_episode_id"], d["historical_episode_id"], d["rank"]) for d in _sims(settings)}
    assert len(pairs) == 90  # the spark run upserted exactly the local run's documents


def test_mongo_down_falls_back_to_delta_then_replays(analysed, tmp_path):
    settings, _ = analysed
    own = stack_settings(tmp_path, MONGO_TIMEOUT_MS=800)
    mongo = Stack(own, with_podcast_index=False)
    mongo.up(log=lambda *_: None)
    try:
        mongo.stop_service("mongodb")
        target = settings.replace(MONGO_URI=own.MONGO_URI, MONGO_TIMEOUT_MS=800)
        down = dg.materialize([episode_similarities], resources=resources_for(target))
        meta = down.asset_materializations_for_node("episode_similarities")[0].metadata
        assert meta["mongo_status"].value == "fallback" and meta["fallback_rows"].value == 90
        assert len(DeltaTable(meta["fallback_table"].value).to_pandas()) == 90
        mongo.up(log=lambda *_: None)
        with MongoClient(own.MONGO_URI) as client:
            assert client.podcasts.similarities.count_documents({}) == 0
        back = dg.materialize([episode_similarities], resources=resources_for(target))
        assert back.asset_materializations_for_node("episode_similarities")[0].metadata["replayed_from_fallback"].value == 90
        with MongoClient(own.MONGO_URI) as client:
            assert client.podcasts.similarities.count_documents({}) == 90
            assert len(client.podcasts.similarities.index_information()) >= 4
        assert DeltaTable(meta["fallback_table"].value).to_pandas().empty
    finally:
        mongo.down(log=lambda *_: None)


def test_similar_cli_prints_titled_neighbours(analysed, tmp_path):
    import json
    import subprocess
    import sys

    settings, _ = analysed
    eid = next(d["new_episode_id"] for d in _sims(settings))
    env = {**env_for(settings), "DAGSTER_HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-m", "podcast_assets.cli", "similar", eid, "-k", "3", "--json"],
                         capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    doc = json.loads(out.stdout)
    assert doc["source"] == "mongodb" and len(doc["neighbours"]) == 3
    assert all(n["title"] and -1 <= n["similarity"] <= 1 for n in doc["neighbours"])
    text = subprocess.run([sys.executable, "-m", "podcast_assets.cli", "similar", eid], capture_output=True,
                          text=True, env=env, cwd=tmp_path, timeout=120).stdout
    assert doc["neighbours"][0]["title"] in text
    down = subprocess.run([sys.executable, "-m", "podcast_assets.cli", "similar", eid, "-k", "3", "--json"],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path,
                          env={**env, "MONGO_URI": "mongodb://127.0.0.1:9", "MONGO_TIMEOUT_MS": "500"})
    fallback = json.loads(down.stdout)
    assert fallback["source"].startswith("delta vectors")
    assert [n["episode_id"] for n in fallback["neighbours"]][:1] == [doc["neighbours"][0]["episode_id"]]
