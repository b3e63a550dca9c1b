"""The Spark ALS engine end to end: trained, ranked and published by the executors, never through the driver.

The driver's limit on what an action may bring back (``spark.driver.maxResultSize``) is set below the size of
the user factors, the item factors and the published lists alike, so a collect of any of them fails the run;
the test shows the limit does catch one. The published set is then held to the rules, computed in this process
with the in-process engine's code (``lists.model_rows``) from the version's own factors.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from deltalake import write_deltalake
from pymongo import MongoClient

from podcast_assets.common import storage
from podcast_assets.events.assets import DAILY_SCHEMA
from podcast_assets.recommendations.assets import als_model, engagement_read, model_root, user_recommendations
from podcast_assets.recommendations.lists import model_rows
from podcast_assets.recommendations.model_store import load_version
from podcast_assets.resources.engines import SparkAlsEngine
from podcast_assets.resources.spark import spark_resource
from podcast_assets_tests.helpers import resources_for

USERS, ITEMS, TASTES, PER_USER, RANK = 5000, 5000, 25, 20, 64
LIMIT = "1m"  # user factors 5000 x 64 floats = 1.28 MB, item factors the same, lists ~5 MB as documents


def listening(seed: int = 3) -> pd.DataFrame:
    """Listeners with tastes: each user draws most episodes from one or two of ``TASTES`` groups (popular ones
    more often), the rest from the whole catalogue; a few pairs are skips; 50 users only ever skip."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, TASTES, ITEMS)
    members = [np.flatnonzero(group == g) for g in range(TASTES)]
    weight = 1.0 / np.arange(1, ITEMS + 1) ** 0.6
    rows = []
    start = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    for u in range(USERS):
        tastes = rng.choice(TASTES, size=rng.integers(1, 3), replace=False)
        pool = np.concatenate([members[t] for t in tastes])
        p = weight[pool] / weight[pool].sum()
        picks = set(rng.choice(pool, size=int(PER_USER * 0.8), replace=False, p=p))
        picks |= set(rng.choice(ITEMS, size=PER_USER - len(picks), replace=False, p=weight / weight.sum()))
        for j, item in enumerate(rng.permutation(sorted(picks))):  # listened to in no particular order
            skip = u < 50 or rng.random() < 0.05
            when = start + dt.timedelta(days=int(j * 10 / len(picks)), minutes=int(rng.integers(0, 1440)))
            rows.append((f"u{u}", f"e{item}", when.date(), -1.0 if skip else float(rng.integers(1, 4)), 1, when))
    return pd.DataFrame(rows, columns=DAILY_SCHEMA.names)


@pytest.mark.slow
def test_spark_engine_publishes_the_rules_set_without_collecting_to_the_driver(own_stack):
    settings = own_stack.settings
    daily = listening()
    delta = settings.delta_dir
    write_deltalake(f"{delta}/daily_engagement", pa.Table.from_pandas(daily, DAILY_SCHEMA, preserve_index=False),
                    partition_by=["day"])
    engaged = daily.groupby("new_episode_id")["user_id"].nunique().sort_values(ascending=False)
    broken = list(engaged.index[:3]) + list(engaged.index[200:203])  # popular ones too: the rule must bite
    statuses = pd.DataFrame({"episode_id": broken + ["e1", "e2"],
                             "status": ["failed: dead audio URL"] * 3 + ["skipped_not_english"] * 3 + ["ok"] * 2})
    write_deltalake(f"{delta}/transcripts", statuses)

    spark = spark_resource("local[2]", {"spark.driver.maxResultSize": LIMIT})
    engine = SparkAlsEngine(spark=spark, rank=RANK, iterations=8, reg=5.0, alpha=1.0, confidence="log", top_n=10)
    resources = resources_for(settings, als=engine)
    try:
        result = dg.materialize([als_model, user_recommendations], resources=resources)
        session = spark.spark_session
        version = result.asset_materializations_for_node("als_model")[0].metadata["model_version"].value
        folder = storage.join(model_root(resources["files"]), version)
        # the limit is real: bringing the factors back to this process fails
        with pytest.raises(Exception, match="maxResultSize"):
            session.read.parquet(storage.join(folder, "user_factors")).collect()
        # MongoDB down under the publish: the tasks keep the whole set in the Delta fallback, the next publish
        # replays it and switches the pointer; nothing is lost or doubled
        own_stack.stop_service("mongodb")
        down = dg.materialize([user_recommendations], resources=resources).asset_materializations_for_node(
            "user_recommendations")[0].metadata
        own_stack.up(log=lambda *_: None)
        again = dg.materialize([user_recommendations], resources=resources).asset_materializations_for_node(
            "user_recommendations")[0].metadata
    finally:
        spark.spark_session.stop()

    meta = result.asset_materializations_for_node("als_model")[0].metadata
    assert meta["engine"].value == "spark" and meta["users"].value == USERS
    assert meta["als_ndcg@10"].value >= meta["popularity_ndcg@10"].value > 0, "the quality gate had nothing to pass"
    published = result.asset_materializations_for_node("user_recommendations")[0].metadata
    assert published["mongo_status"].value == "mongo"
    assert down["mongo_status"].value == "fallback" and down["documents"].value == published["documents"].value
    assert again["mongo_status"].value == "mongo" and again["replayed_from_fallback"].value == down["documents"].value
    assert resources["mongo"].pending_fallback(settings.MONGO_RECS_DB, "als_top_n") == 0

    # the rules, in this process, from the version's factors and the same engagement
    _, arrays, docs = load_version(model_root(resources["files"]), version)
    totals, _ = engagement_read(resources["delta"])
    expected = pd.DataFrame(model_rows(arrays["user_factors"], arrays["item_factors"], docs["users"], docs["items"],
                                       totals, set(broken), 10, version))
    with MongoClient(settings.MONGO_URI) as client:
        got = pd.DataFrame(list(client[settings.MONGO_RECS_DB].als_top_n.find({})))
    assert len(got) == len(expected) == published["documents"].value
    assert set(got["model_version"]) == {version}
    assert got["user_id"].nunique() == USERS
    assert not set(got["new_episode_id"]) & set(broken)
    key = ["user_id", "rank"]
    both = expected.merge(got, on=key, suffixes=("_rule", "_spark"))
    assert len(both) == len(expected)
    assert (both["strategy_rule"] == both["strategy_spark"]).all()
    assert (both["strategy_rule"] == "popularity").sum() == 50 * 10  # the users who only ever skipped
    same = both["new_episode_id_rule"] == both["new_episode_id_spark"]
    als = both["strategy_rule"] == "als"
    # the same episodes in the same order; where two scores tie to float precision either order is right
    assert np.allclose(both.loc[als, "als_score_rule"], both.loc[als, "als_score_spark"], atol=1e-5)
    assert same[~als].all() and same[als].mean() > 0.999
