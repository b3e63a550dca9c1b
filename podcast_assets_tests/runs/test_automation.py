"""The conditions that start the graph on an empty data dir, evaluated as the daemon's automation sensor does."""

import dagster as dg

from podcast_assets.runs.automation import NEVER_MATERIALISED


def requested(defs, instance, cursor=None):
    result = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor)
    return {r.key.to_user_string() for r in result.results if r.true_subset.size}, result.cursor


def test_never_materialised_asks_once_where_on_missing_never_does():
    @dg.asset(automation_condition=NEVER_MATERIALISED)
    def fresh() -> None: ...

    @dg.asset(automation_condition=dg.AutomationCondition.on_missing())
    def dagster_on_missing() -> None: ...

    @dg.asset(automation_condition=NEVER_MATERIALISED)
    def fails() -> None:
        raise RuntimeError("the source is down")

    defs, instance = dg.Definitions(assets=[fresh, dagster_on_missing, fails]), dg.DagsterInstance.ephemeral()
    first, cursor = requested(defs, instance)
    assert first == {"fresh", "fails"}  # on_missing: never for an asset that was never materialised
    dg.materialize([fresh], instance=instance)
    assert not dg.materialize([fails], instance=instance, raise_on_error=False).success
    again, _ = requested(defs, instance, cursor)
    assert again == set()  # materialised, or failed: not asked again on every tick (its cron retries)


def test_an_empty_instance_starts_with_trending_ingest():
    from podcast_assets.definitions import defs

    first, _ = requested(defs, dg.DagsterInstance.ephemeral())
    assert "trending_podcasts" in first
    assert not first & {"episode_embeddings", "episode_similarities", "popular_recommendations"}


def test_first_listeners_only_where_synthetic_listeners_run():
    from podcast_assets.events.assets import user_events
    from podcast_assets.events.sensors import with_first_listeners

    on, = with_first_listeners([user_events], True)
    off, = with_first_listeners([user_events], False)
    assert on.get_asset_spec().automation_condition == NEVER_MATERIALISED
    assert off.get_asset_spec().automation_condition is None
