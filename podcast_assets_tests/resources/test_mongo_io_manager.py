import dagster as dg
import pandas as pd
import pytest
from deltalake import DeltaTable
from pymongo import MongoClient

from podcast_assets.local.stack import Stack
from podcast_assets.resources.io_managers import MongoIOManager
from podcast_assets.resources.mongo import MongoResource
from podcast_assets_tests.conftest import stack_settings

ROWS = [{"new_episode_id": "a", "historical_episode_id": "b", "model": "m", "cosine_similarity": 0.9},
        {"new_episode_id": "a", "historical_episode_id": "c", "model": "m", "cosine_similarity": 0.5}]


def make_asset(rows, replace_by=()):
    @dg.asset(io_manager_key="mongo_io_manager", metadata={
        "mongo_collection": "sims",
        "mongo_keys": ["new_episode_id", "historical_episode_id", "model"],
        "mongo_indexes": [[["new_episode_id", 1], ["model", 1]]], "mongo_replace_by": list(replace_by)})
    def sims() -> pd.DataFrame:
        return pd.DataFrame(rows)

    return sims


@pytest.fixture
def own_mongo(tmp_path):
    """A Mongo wire server of this test's own, so it can be stopped and started again."""
    settings = stack_settings(tmp_path, MONGO_TIMEOUT_MS=800)
    stack = Stack(settings, with_podcast_index=False)
    stack.up(log=lambda *_: None)
    yield stack
    stack.down(log=lambda *_: None)


def _materialize(stack, rows, replace_by=()):
    s = stack.settings
    io = MongoIOManager(mongo=MongoResource(uri=s.MONGO_URI, timeout_ms=s.MONGO_TIMEOUT_MS, database="podcasts",
                                            fallback_dir=str(s.delta_dir)))
    result = dg.materialize([make_asset(rows, replace_by)], resources={"mongo_io_manager": io})
    assert result.success
    return result.asset_materializations_for_node("sims")[0].metadata


def _docs(stack):
    with MongoClient(stack.settings.MONGO_URI, serverSelectionTimeoutMS=3000) as client:
        return {d["_id"]: d for d in client.podcasts.sims.find({})}


def test_upserts_are_idempotent(own_mongo):
    _materialize(own_mongo, ROWS)
    changed = [dict(ROWS[0], cosine_similarity=0.95), ROWS[1]]
    meta = _materialize(own_mongo, changed)
    docs = _docs(own_mongo)
    assert len(docs) == 2
    assert docs["a|b|m"]["cosine_similarity"] == 0.95
    assert meta["mongo_status"].value == "mongo"


def test_falls_back_to_delta_when_mongo_is_down_then_replays(own_mongo):
    _materialize(own_mongo, ROWS[:1])
    own_mongo.stop_service("mongodb")
    late = [{"new_episode_id": "x", "historical_episode_id": "y", "model": "m", "cosine_similarity": 0.7}]
    meta = _materialize(own_mongo, late)
    assert meta["mongo_status"].value == "fallback"
    assert meta["fallback_rows"].value == 1
    fallback = DeltaTable(meta["fallback_table"].value).to_pandas()
    assert list(fallback["_id"]) == ["x|y|m"]
    own_mongo.up(log=lambda *_: None)  # MongoDB is back (same database file)
    meta = _materialize(own_mongo, ROWS)
    assert meta["replayed_from_fallback"].value == 1
    assert set(_docs(own_mongo)) == {"a|b|m", "a|c|m", "x|y|m"}
    assert DeltaTable(meta_path := str(own_mongo.settings.delta_dir / "fallback_podcasts_sims")).to_pandas().empty, meta_path


def pair(new, hist, model="m", cos=0.5):
    return {"new_episode_id": new, "historical_episode_id": hist, "model": model, "cosine_similarity": cos}


def test_a_recomputed_set_replaces_the_old_one_live_and_after_an_outage(own_mongo):
    by = ("new_episode_id", "model")
    _materialize(own_mongo, [pair("a", "b"), pair("a", "c"), pair("a", "b", "other"), pair("z", "b")], by)
    # a's neighbours under m are recomputed: c is superseded by d; a under another model and z are untouched
    _materialize(own_mongo, [pair("a", "b", cos=0.6), pair("a", "d")], by)
    assert set(_docs(own_mongo)) == {"a|b|m", "a|d|m", "a|b|other", "z|b|m"}
    # two recomputes while MongoDB is down are replayed in order: the newest set wins
    own_mongo.stop_service("mongodb")
    assert _materialize(own_mongo, [pair("a", "e")], by)["mongo_status"].value == "fallback"
    assert _materialize(own_mongo, [pair("a", "f"), pair("a", "g")], by)["mongo_status"].value == "fallback"
    own_mongo.up(log=lambda *_: None)
    meta = _materialize(own_mongo, [pair("z", "c")], by)
    assert meta["replayed_from_fallback"].value == 3
    assert set(_docs(own_mongo)) == {"a|f|m", "a|g|m", "a|b|other", "z|c|m"}
