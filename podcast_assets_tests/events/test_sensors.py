import dagster as dg

from podcast_assets.events.sensors import daily_engagement_sensor


def test_daily_engagement_sensor_requests_the_touched_days():
    instance = dg.DagsterInstance.ephemeral()
    instance.report_runless_asset_event(dg.AssetMaterialization(
        "user_events_raw", metadata={"days_touched": "2026-11-20,2026-11-21"}))
    requests = list(daily_engagement_sensor(dg.build_sensor_context(instance=instance)) or [])
    assert sorted(r.partition_key for r in requests) == ["2026-11-20", "2026-11-21"]
