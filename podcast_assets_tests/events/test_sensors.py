import dagster as dg

from podcast_assets.events.sensors import daily_engagement_sensor

START, END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


def _raw_commit(instance, days):
    instance.report_runless_asset_event(dg.AssetMaterialization("user_events_raw", metadata={"days_touched": days}))


def test_every_raw_commit_since_the_last_tick_has_its_days_recomputed_in_one_run():
    instance = dg.DagsterInstance.ephemeral()
    _raw_commit(instance, "2026-11-20,2026-11-21")
    _raw_commit(instance, "2026-11-22")  # an @asset_sensor would see only this one
    ctx = dg.build_sensor_context(instance=instance)
    request = daily_engagement_sensor(ctx)
    assert (request.tags[START], request.tags[END]) == ("2026-11-20", "2026-11-22")
    again = daily_engagement_sensor(dg.build_sensor_context(instance=instance, cursor=ctx.cursor))
    assert isinstance(again, dg.SkipReason)
    _raw_commit(instance, "2026-11-21")
    third = daily_engagement_sensor(dg.build_sensor_context(instance=instance, cursor=ctx.cursor))
    assert (third.tags[START], third.tags[END]) == ("2026-11-21", "2026-11-21") and third.run_key != request.run_key
