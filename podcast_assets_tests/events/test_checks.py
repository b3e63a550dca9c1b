"""The ``daily_engagement`` contract on real tables: the days a run recomputed pass; a day whose raw rows are
deleted afterwards fails, naming the rows."""

import dagster as dg
from deltalake import DeltaTable

from podcast_assets.events.assets import daily_engagement, user_events, user_events_raw
from podcast_assets.events.checks import engagement_matches_raw_events
from podcast_assets_tests.conftest import own_topics
from podcast_assets_tests.helpers import resources_for

RANGE = ("dagster/asset_partition_range_start", "dagster/asset_partition_range_end")


def test_recomputed_days_pass_and_a_day_without_its_raw_rows_fails(ingested, tmp_path):
    s = own_topics(ingested.replace(PODCAST_DATA_DIR=str(tmp_path / "data")))
    resources = resources_for(s)
    assert dg.materialize([user_events], resources=resources, run_config={"ops": {"user_events": {"config": {
        "num_users": 12, "events_per_user": 10, "batch_seed": 3, "malformed_share": 0.0}}}}).success
    assert dg.materialize([user_events_raw], resources=resources).success
    days = sorted(DeltaTable(s.delta_path("user_events_raw")).to_pandas(columns=["day"])["day"].astype(str).unique())
    assert len(days) >= 2
    instance = dg.DagsterInstance.ephemeral()
    clean = dg.materialize([daily_engagement, engagement_matches_raw_events], resources=resources, instance=instance,
                           tags=dict(zip(RANGE, (days[0], days[-1]))))
    [ev] = clean.get_asset_check_evaluations()
    assert ev.passed and ev.metadata["raw_events"].value == 120 and ev.metadata["checked"].value > 0

    day = days[0]
    rows = DeltaTable(s.delta_path("daily_engagement")).to_pandas()
    rows = rows[rows["day"].astype(str) == day]
    DeltaTable(s.delta_path("user_events_raw")).delete(f"day = '{day}'")
    # the check alone (materialising the days again would recompute them): it checks the latest run's days
    broken = dg.materialize([daily_engagement, engagement_matches_raw_events], resources=resources, instance=instance,
                            selection=dg.AssetSelection.checks(engagement_matches_raw_events))
    [ev] = broken.get_asset_check_evaluations()
    assert not ev.passed and ev.metadata["failed"].value == len(rows) and ev.metadata["days"].value == \
        f"{days[0]}..{days[-1]}"
    first = rows.sort_values(["user_id", "new_episode_id"]).iloc[0]
    assert (f"{day} user {first['user_id']} episode {first['new_episode_id']}: an engagement row of "
            f"{first['events']} events, no raw event") in ev.metadata["examples"].value
