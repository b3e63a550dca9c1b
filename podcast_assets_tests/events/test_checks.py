"""The events stage's contracts on real tables. ``user_events_raw``: a clean ingestion is exactly once by its
own commit log and rows; an event committed again fails, naming the overlap, the offset and the event.
``daily_engagement``: the days a run recomputed pass; a day whose raw rows are deleted afterwards fails,
naming the rows."""

import json

import dagster as dg
from deltalake import CommitProperties, DeltaTable, write_deltalake

from podcast_assets.events.assets import daily_engagement, user_events, user_events_raw
from podcast_assets.events.checks import engagement_matches_raw_events, events_land_exactly_once
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


def test_ingested_events_are_exactly_once_by_the_commit_log_and_an_event_committed_again_fails(ingested, tmp_path):
    s = own_topics(ingested.replace(PODCAST_DATA_DIR=str(tmp_path / "data")))
    resources = resources_for(s)
    instance = dg.DagsterInstance.ephemeral()
    produced = dg.materialize([user_events], resources=resources, instance=instance, run_config={"ops": {
        "user_events": {"config": {"num_users": 9, "events_per_user": 10, "batch_seed": 4, "malformed_share": 0.1}}}})
    messages = produced.asset_materializations_for_node("user_events")[0].metadata["messages"].value
    clean = dg.materialize([user_events_raw, events_land_exactly_once], resources=resources, instance=instance)
    [ev] = clean.get_asset_check_evaluations()
    assert ev.passed and ev.metadata["commits"].value == 1 and ev.metadata["offsets"].value == messages
    dead = DeltaTable(s.delta_path("user_events_dead_letters")).to_pandas()
    assert len(dead) > 0 and ev.metadata["event_ids"].value >= messages - len(dead)

    uri = s.delta_path("user_events_raw")
    raw = DeltaTable(uri)
    row = raw.to_pyarrow_table().slice(0, 1)
    p, offset = row["kafka_partition"][0].as_py(), row["kafka_offset"][0].as_py()
    end = raw.transaction_version(f"user_events_raw:{s.TOPIC_USER_EVENTS}:{p}")
    # the same record committed once more, the way a writer that lost its offsets would
    write_deltalake(uri, row, mode="append", commit_properties=CommitProperties(custom_metadata={
        "source": s.TOPIC_USER_EVENTS, "epoch": "0", "ranges": json.dumps({str(p): [offset, offset + 1]})}))
    again = dg.materialize([user_events_raw, events_land_exactly_once], resources=resources, instance=instance,
                           raise_on_error=False)
    [ev] = again.get_asset_check_evaluations()
    examples = ev.metadata["examples"].value
    assert not ev.passed and ev.metadata["commits"].value == 1 and ev.metadata["failed"].value == 3
    assert f"epoch 0 partition {p} [{offset}, {offset + 1}): overlaps earlier commits by {end - offset} offsets" \
        in examples
    assert f"epoch 0 partition {p} offset {offset}: held 2 times (user_events_raw, user_events_raw)" in examples
    assert f"event {row['event_id'][0].as_py()} on {row['day'][0].as_py()}: 2 rows" in examples
    assert not again.success  # a blocking check: the run says so
