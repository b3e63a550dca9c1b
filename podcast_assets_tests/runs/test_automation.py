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


def test_a_parent_update_as_the_asset_finishes_is_not_lost():
    """The race behind a transcript left without neighbours: the embedding run ends (the asset updated) on
    the same tick as a new transcript lands. ``eager()`` forgets that update; ``PARENT_UPDATES`` asks again."""
    from podcast_assets.runs.automation import PARENT_UPDATES

    @dg.asset
    def parent() -> None: ...

    @dg.asset(deps=[parent], automation_condition=PARENT_UPDATES)
    def ours() -> None: ...

    @dg.asset(deps=[parent], automation_condition=dg.AutomationCondition.eager())
    def dagster_eager() -> None: ...

    defs, instance = dg.Definitions(assets=[parent, ours, dagster_eager]), dg.DagsterInstance.ephemeral()
    _, cursor = requested(defs, instance)  # the daemon's first tick: nothing yet
    dg.materialize([parent], instance=instance)
    first, cursor = requested(defs, instance, cursor)
    assert first == {"ours", "dagster_eager"}
    _, cursor = requested(defs, instance, cursor)  # the tick after the request: the runs are starting
    dg.materialize([ours, dagster_eager], instance=instance)  # the runs end...
    dg.materialize([parent], instance=instance)  # ... as the parent is updated again, before the next tick
    again, cursor = requested(defs, instance, cursor)
    assert again == {"ours"}  # eager lost the update: its asset stays behind its parent
    dg.materialize([ours], instance=instance)
    _, cursor = requested(defs, instance, cursor)
    assert requested(defs, instance, cursor)[0] == set()  # and nothing more once it caught up


def test_a_parent_update_between_the_request_and_the_next_tick_is_not_lost():
    """The request's reset (``newly_requested``) is seen one tick after the request: a parent update that lands
    in between is seen on that same tick. A trigger and a reset without times reset it (the old condition
    below, which left one transcript of the demo without passages); with times, the later update wins."""
    from podcast_assets.runs.automation import PARENT_UPDATES

    A = dg.AutomationCondition
    untimed = ((A.newly_missing() | A.any_deps_updated()).since(A.newly_requested() | A.initial_evaluation())
               & ~A.in_progress())

    @dg.asset
    def parent() -> None: ...

    @dg.asset(deps=[parent], automation_condition=PARENT_UPDATES)
    def ours() -> None: ...

    @dg.asset(deps=[parent], automation_condition=untimed)
    def old() -> None: ...

    defs, instance = dg.Definitions(assets=[parent, ours, old]), dg.DagsterInstance.ephemeral()
    _, cursor = requested(defs, instance)
    dg.materialize([ours, old], instance=instance)
    _, cursor = requested(defs, instance, cursor)
    dg.materialize([parent], instance=instance)
    first, cursor = requested(defs, instance, cursor)
    assert first == {"ours", "old"}
    dg.materialize([parent], instance=instance)  # lands before the next tick (the runs may have read already)
    again, cursor = requested(defs, instance, cursor)
    assert again == {"ours"}, again  # the old condition reset the update with the request
    dg.materialize([ours], instance=instance)  # the run asked for by that update
    _, cursor = requested(defs, instance, cursor)
    assert requested(defs, instance, cursor)[0] == set()  # caught up: nothing more


def test_a_failed_fetch_is_asked_for_again_within_minutes_not_at_the_next_cron_tick():
    """The trending condition: a first fetch that failed (its retries spent) is asked for again at the next
    five-minute tick, and again after each failure, until one succeeds; then only its six-hour cron."""
    import datetime as dt

    from podcast_assets.ingest.assets import TRENDING

    source = {"up": False}

    @dg.asset(automation_condition=TRENDING)
    def trending() -> None:
        if not source["up"]:
            raise RuntimeError("the Podcast Index is away")

    defs, instance = dg.Definitions(assets=[trending]), dg.DagsterInstance.ephemeral()
    t = dt.datetime(2026, 12, 3, 13, 1, tzinfo=dt.UTC)

    def tick(minutes: float, cursor):
        nonlocal t
        t += dt.timedelta(minutes=minutes)
        result = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor, evaluation_time=t)
        return bool(sum(r.true_subset.size for r in result.results)), result.cursor

    asked, cursor = tick(0, None)
    assert asked  # never fetched: at once
    assert not dg.materialize([trending], instance=instance, raise_on_error=False).success
    asked, cursor = tick(1, cursor)
    assert not asked  # 13:02, before the five-minute tick: not on every tick
    asked, cursor = tick(5, cursor)  # 13:07: the 13:05 tick passed
    assert asked
    assert not dg.materialize([trending], instance=instance, raise_on_error=False).success
    asked, cursor = tick(5, cursor)  # 13:12: failed again, asked again
    assert asked
    source["up"] = True
    assert dg.materialize([trending], instance=instance).success
    asked, cursor = tick(5, cursor)
    assert not asked  # 13:17: succeeded, so nothing until its cron (18:00)
    asked, cursor = tick(60 * 4, cursor)
    assert not asked
