import dagster as dg

from podcast_assets.recommendations.sensors import retrain_on_engagement_sensor


def test_retraining_follows_new_daily_engagement():
    instance = dg.DagsterInstance.ephemeral()
    ctx = dg.build_sensor_context(instance=instance)
    assert isinstance(retrain_on_engagement_sensor(ctx), dg.SkipReason)
    instance.report_runless_asset_event(dg.AssetMaterialization("daily_engagement", partition="2026-11-20"))
    first = retrain_on_engagement_sensor(ctx)
    assert isinstance(first, dg.RunRequest)
    again = retrain_on_engagement_sensor(dg.build_sensor_context(instance=instance, cursor=ctx.cursor))
    assert isinstance(again, dg.SkipReason)
