"""Writes that fell back to Delta while MongoDB did not answer: a busy server is asked again before the
fallback, and ``mongo_fallback_sensor`` asks for the replaying write once MongoDB answers (real wire server)."""

import threading

import dagster as dg

from podcast_assets.resources.mongo import MongoResource
from podcast_assets.runs.sensors import mongo_fallback_sensor

DOCS = [{"_id": "a|b|m", "new_episode_id": "a", "historical_episode_id": "b", "model": "m"}]


def _mongo(stack) -> MongoResource:
    s = stack.settings
    return MongoResource(uri=s.MONGO_URI, timeout_ms=s.MONGO_TIMEOUT_MS, database="podcasts", fallback_dir=str(s.delta_dir))


def _tick(mongo, cursor=None, sensor=mongo_fallback_sensor):
    return sensor(dg.build_sensor_context(instance=dg.DagsterInstance.ephemeral(), cursor=cursor,
                                          resources={"mongo": mongo}))


def test_a_server_back_within_the_retries_takes_the_write(own_stack):
    own_stack.stop_service("mongodb")
    back = threading.Timer(1.0, own_stack.up, kwargs={"log": lambda *_: None})
    back.start()
    report = _mongo(own_stack).write("podcasts", "similarities", DOCS)
    back.join()
    assert report.status == "mongo" and report.written == 1, report
    assert _mongo(own_stack).pending_fallback("podcasts", "similarities") == 0


def test_the_sensor_asks_for_the_replaying_write_once_mongo_answers(own_stack):
    mongo = _mongo(own_stack)
    assert isinstance(_tick(mongo), dg.SkipReason)  # nothing waits
    own_stack.stop_service("mongodb")
    report = mongo.write("podcasts", "similarities", DOCS)
    assert report.status == "fallback" and "3 tries" in report.error, report
    assert mongo.pending_fallback("podcasts", "similarities") == 1
    down = _tick(mongo)
    assert not down.run_requests and "unreachable" in down.skip_reason.skip_message and down.cursor == "1"
    own_stack.up(log=lambda *_: None)
    up = _tick(mongo, down.cursor)
    [request] = up.run_requests
    assert request.asset_selection == [dg.AssetKey("episode_similarities")]
    # the same rows still waiting and no outage since: the same key, which Dagster runs once (a run that left
    # them waiting is not asked for on every tick); after another outage, a new key
    assert _tick(mongo, down.cursor).run_requests[0].run_key == request.run_key
    assert _tick(mongo, "2").run_requests[0].run_key != request.run_key
    # the asset's next write replays the pending document, once, and empties the fallback
    assert mongo.write("podcasts", "similarities", []).replayed == 1
    assert mongo.pending_fallback("podcasts", "similarities") == 0 and mongo.count("podcasts", "similarities") == 1
    assert isinstance(_tick(mongo), dg.SkipReason)


def test_a_published_set_that_fell_back_is_published_again_by_the_asset_that_made_it(own_stack):
    """The ALS lists by ``user_recommendations``; popularity lists (no model passed yet) by
    ``popular_recommendations``; the hybrid lists by ``hybrid_recommendations``."""
    from podcast_assets.recommendations.sensors import published_sets_fallback_sensor

    mongo = _mongo(own_stack)
    own_stack.stop_service("mongodb")
    for collection, version in (("als_top_n", "popularity-20261203T000000"), ("hybrid_top_n", "20261203T000001")):
        doc = {"_id": f"{version}|u1|1", "user_id": "u1", "new_episode_id": "e1", "rank": 1, "model_version": version}
        assert mongo.publish(mongo.recommendations_database, collection, [doc], version).status == "fallback"
    own_stack.up(log=lambda *_: None)
    result = _tick(mongo, sensor=published_sets_fallback_sensor)
    assert {r.asset_selection[0].to_user_string() for r in result.run_requests} == {
        "popular_recommendations", "hybrid_recommendations"}
    newer = {"_id": "20261203T000002|u1|1", "user_id": "u1", "new_episode_id": "e2", "rank": 1,
             "model_version": "20261203T000002"}
    own_stack.stop_service("mongodb")
    mongo.publish(mongo.recommendations_database, "als_top_n", [newer], "20261203T000002")
    own_stack.up(log=lambda *_: None)
    result = _tick(mongo, sensor=published_sets_fallback_sensor)  # the newest set waiting is a model's
    assert "user_recommendations" in {r.asset_selection[0].to_user_string() for r in result.run_requests}
