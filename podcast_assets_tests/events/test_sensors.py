import dagster as dg

from podcast_assets.events.sensors import daily_engagement_sensor


def _raw_commit(instance, days):
    instance.report_runless_asset_event(dg.AssetMaterialization("user_events_raw", metadata={"days_touched": days}))


def test_every_raw_commit_since_the_last_tick_has_its_days_recomputed():
    instance = dg.DagsterInstance.ephemeral()
    _raw_commit(instance, "2026-11-20,2026-11-21")
    _raw_commit(instance, "2026-11-22")  # an @asset_sensor would see only this one
    ctx = dg.build_sensor_context(instance=instance)
    requests = daily_engagement_sensor(ctx)
    assert sorted(r.partition_key for r in requests) == ["2026-11-20", "2026-11-21", "2026-11-22"]
    again = daily_engagement_sensor(dg.build_sensor_context(instance=instance, cursor=ctx.cursor))
    assert isinstance(again, dg.SkipReason)
    _raw_commit(instance, "2026-11-21")
    third = daily_engagement_sensor(dg.build_sensor_context(instance=instance, cursor=ctx.cursor))
    assert [r.partition_key for r in third] == ["2026-11-21"] and third[0].run_key != requests[1].run_key
