"""The recommendation stage's shared data: real engagement from the broker over the transcribed catalogue."""

import dagster as dg
import pytest
from deltalake import DeltaTable

from podcast_assets.events.assets import daily_engagement, user_events, user_events_raw
from podcast_assets.similarities.assets import episode_embeddings, episode_similarities


@pytest.fixture(scope="session")  # one batch of listeners: a second would repeat its seeded event ids
def env(transcribed):
    settings, _, resources, _ = transcribed
    if not DeltaTable.is_deltatable(settings.delta_path("vectors")):  # hybrid needs both
        assert dg.materialize([episode_embeddings, episode_similarities], resources=resources).success
    assert dg.materialize([user_events], resources=resources, run_config={"ops": {"user_events": {"config": {
        "num_users": 30, "events_per_user": 25, "batch_seed": 5, "malformed_share": 0.0}}}}).success
    raw = dg.materialize([user_events_raw], resources=resources)
    days = raw.asset_materializations_for_node("user_events_raw")[0].metadata["days_touched"].value.split(",")
    for day in days:
        assert dg.materialize([daily_engagement], resources=resources, partition_key=day).success
    return settings, resources
