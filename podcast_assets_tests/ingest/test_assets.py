import json
from pathlib import Path

import dagster as dg
from deltalake import DeltaTable
from pymongo import MongoClient

from podcast_assets.ingest.assets import episode_catalog, episodes, trending_podcasts
from podcast_assets_tests.helpers import control, kafka_for, resources_for


def _messages(settings, topic):
    k = kafka_for(settings)
    ends = k.end_offsets(topic)
    return k.read_range(topic, {p: (0, e) for p, e in ends.items()})


def test_ingest_fills_delta_kafka_and_mongo_once(settings):
    control(settings, reset=True)
    resources = resources_for(settings)
    result = dg.materialize([trending_podcasts, episodes, episode_catalog], resources=resources)
    assert result.success
    feeds = DeltaTable(settings.delta_path("trending_podcasts")).to_pandas()
    eps = DeltaTable(settings.delta_path("episodes")).to_pandas()
    # 24 shows in the catalog: the one not English by metadata is dropped
    assert len(feeds) == 23 and not feeds["language"].str.startswith("es").any()
    # trailer-only and video-only shows have no episode; the dead URL and garbled upload still do
    assert len(eps) == 21
    assert "41000012" not in set(eps["episode_id"])  # the newer trailer is not chosen
    meta = result.asset_materializations_for_node("episodes")[0].metadata
    assert meta["skipped"].value == 2 and "trailer only" in meta["skipped_shows"].value
    exported = json.loads((Path(settings.PODCAST_DATA_DIR) / "episodes.json").read_text())
    assert {e["episode_id"] for e in exported} == set(eps["episode_id"])
    metadata_msgs = _messages(settings, settings.TOPIC_EPISODE_METADATA)
    id_msgs = _messages(settings, settings.TOPIC_EPISODE_IDS)
    ours = set(eps["episode_id"])
    assert sorted(json.loads(m.value)["episode_id"] for m in metadata_msgs) == sorted(ours)
    assert all(m.key.decode() == json.loads(m.value)["episode_id"] for m in metadata_msgs)
    assert sorted(m.value.decode() for m in id_msgs) == sorted(ours)
    with MongoClient(settings.MONGO_URI) as client:
        assert client.podcasts.episodes.count_documents({}) == 21

    again = dg.materialize([trending_podcasts, episodes, episode_catalog], resources=resources)
    assert again.success
    assert again.asset_materializations_for_node("episodes")[0].metadata["published_new"].value == 0
    assert len(_messages(settings, settings.TOPIC_EPISODE_METADATA)) == len(metadata_msgs)
    assert len(_messages(settings, settings.TOPIC_EPISODE_IDS)) == len(id_msgs)
    assert len(DeltaTable(settings.delta_path("episodes")).to_pandas()) == 21
    with MongoClient(settings.MONGO_URI) as client:
        assert client.podcasts.episodes.count_documents({}) == 21
