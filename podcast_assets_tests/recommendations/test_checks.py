"""The published lists' contract on the real MongoDB sets: clean sets pass; a recommendation of an episode the
user heard and a leftover document of another version fail, named."""

import dagster as dg
from deltalake import DeltaTable
from pymongo import MongoClient

from podcast_assets.recommendations.assets import als_model, hybrid_recommendations, user_recommendations
from podcast_assets.recommendations.checks import (
    als_beats_popularity,
    als_lists_respect_the_rules,
    hybrid_lists_respect_the_rules,
)


def test_published_sets_pass_and_a_heard_episode_or_a_second_version_fails(env):
    settings, resources = env
    clean = dg.materialize([als_model, als_beats_popularity, user_recommendations, als_lists_respect_the_rules,
                            hybrid_recommendations, hybrid_lists_respect_the_rules], resources=resources)
    checks = {e.check_name: e for e in clean.get_asset_check_evaluations()}
    assert set(checks) == {"als_beats_popularity", "als_lists_respect_the_rules", "hybrid_lists_respect_the_rules"}
    assert all(e.passed for e in checks.values()), {n: e.description for n, e in checks.items()}
    assert checks["als_lists_respect_the_rules"].metadata["users"].value == 30
    published = clean.asset_materializations_for_node("user_recommendations")[0].metadata
    assert published["dagster/row_count"].value == published["documents"].value > 0
    assert {c.name for c in published["dagster/column_schema"].value.columns} >= {
        "user_id", "new_episode_id", "rank", "strategy", "model_version"}

    heard = DeltaTable(settings.delta_path("daily_engagement")).to_pandas().iloc[0]
    user, episode = heard["user_id"], heard["new_episode_id"]
    with MongoClient(settings.MONGO_URI) as client:
        published = client[settings.MONGO_RECS_DB].als_top_n
        version = published.find_one({})["model_version"]
        published.insert_one({"_id": "planted|0", "user_id": user, "new_episode_id": episode,
                               "model_version": version, "rank": 99})
        published.insert_many([{"_id": f"planted|{r}", "user_id": "someone", "new_episode_id": f"x{r}",
                                "model_version": "an-old-set", "rank": r} for r in range(1, 12)])
    try:
        broken = dg.materialize([user_recommendations, als_lists_respect_the_rules], resources=resources,
                                selection=dg.AssetSelection.checks(als_lists_respect_the_rules))
        [ev] = broken.get_asset_check_evaluations()
        examples = ev.metadata["examples"].value
        assert not ev.passed and ev.metadata["model_versions"].value == 2
        assert f"user {user}: {episode} was already engaged with" in examples
        assert "user someone: 11 recommendations, more than 10" in examples
        assert f"2 model versions in one set: {version}, an-old-set" in examples
    finally:
        with MongoClient(settings.MONGO_URI) as client:
            client[settings.MONGO_RECS_DB].als_top_n.delete_many({"_id": {"$regex": "^planted[|]"}})


def test_popularity_lists_are_held_to_the_same_rules(env):
    """Before any model is published, every user's list is popularity's: it passes the rules, and a planted
    episode the user heard fails them. Here in a database of its own, where no model was ever published."""
    from podcast_assets.recommendations.assets import popular_recommendations
    from podcast_assets.recommendations.checks import popularity_lists_respect_the_rules

    settings, resources = env
    db = "recs_popularity_only"
    from podcast_assets.resources.mongo import MongoResource

    m = resources["mongo"]
    own = {**resources, "mongo": MongoResource(uri=m.uri, timeout_ms=m.timeout_ms, database=m.database,
                                               recommendations_database=db, fallback_dir=m.fallback_dir)}
    clean = dg.materialize([popular_recommendations, popularity_lists_respect_the_rules], resources=own)
    [ev] = clean.get_asset_check_evaluations()
    published = clean.asset_materializations_for_node("popular_recommendations")[0].metadata
    assert published["published"].value and ev.passed, ev.description
    assert ev.metadata["checked"].value == published["documents"].value > 0
    heard = DeltaTable(settings.delta_path("daily_engagement")).to_pandas().iloc[0]
    with MongoClient(settings.MONGO_URI) as client:
        version = client[db].als_top_n.find_one({})["model_version"]
        client[db].als_top_n.insert_one({"_id": "planted|0", "user_id": heard["user_id"], "rank": 99,
                                         "new_episode_id": heard["new_episode_id"], "model_version": version})
    try:
        broken = dg.materialize([popular_recommendations, popularity_lists_respect_the_rules], resources=own,
                                selection=dg.AssetSelection.checks(popularity_lists_respect_the_rules))
        [ev] = broken.get_asset_check_evaluations()
        assert not ev.passed
        assert f"user {heard['user_id']}: {heard['new_episode_id']} was already engaged with" in ev.metadata["examples"].value
    finally:
        with MongoClient(settings.MONGO_URI) as client:
            client.drop_database(db)
