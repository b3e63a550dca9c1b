"""Writes that fell back to Delta while MongoDB did not answer: a busy server is asked again before the
fallback, and ``mongo_fallback_sensor`` asks for the replaying write once MongoDB answers (real wire server)."""

import threading

import dagster as dg
import pytest

from podcast_assets.local.stack import Stack
from podcast_assets.resources.mongo import MongoResource
from podcast_assets.runs.sensors import mongo_fallback_sensor
from podcast_assets_tests.conftest import stack_settings

DOCS = [{"_id": "a|b|m", "new_episode_id": "a", "historical_episode_id": "b", "model": "m"}]


@pytest.fixture
def own_mongo(tmp_path):
    stack = Stack(stack_settings(tmp_path, MONGO_TIMEOUT_MS=800), with_podcast_index=False)
    stack.up(log=lambda *_: None)
    yield stack
    stack.down(log=lambda *_: None)


def _mongo(stack) -> MongoResource:
    s = stack.settings
    return MongoResource(uri=s.MONGO_URI, timeout_ms=s.MONGO_TIMEOUT_MS, database="podcasts", fallback_dir=str(s.delta_dir))


def _tick(mongo, cursor=None):
    return mongo_fallback_sensor(dg.build_sensor_context(instance=dg.DagsterInstance.ephemeral(), cursor=cursor,
                                                         resources={"mongo": mongo}))


def test_a_server_back_within_the_retries_takes_the_write(own_mongo):
    own_mongo.stop_service("mongodb")
    back = threading.Timer(1.0, own_mongo.up, kwargs={"log": lambda *_: None})
    back.start()
    report = _mongo(own_mongo).write("podcasts", "similarities", DOCS)
    back.join()
    assert report.status == "mongo" and report.written == 1, report
    assert _mongo(own_mongo).pending_fallback("podcasts", "similarities") == 0


def test_the_sensor_asks_for_the_replaying_write_once_mongo_answers(own_mongo):
    mongo = _mongo(own_mongo)
    assert isinstance(_tick(mongo), dg.SkipReason)  # nothing waits
    own_mongo.stop_service("mongodb")
    report = mongo.write("podcasts", "similarities", DOCS)
    assert report.status == "fallback" and "3 tries" in report.error, report
    assert mongo.pending_fallback("podcasts", "similarities") == 1
    down = _tick(mongo)
    assert isinstance(down, dg.SkipReason) and "unreachable" in str(down.skip_message)
    own_mongo.up(log=lambda *_: None)
    up = _tick(mongo)
    [request] = up.run_requests
    assert request.asset_selection == [dg.AssetKey("episode_similarities")]
    assert _tick(mongo, up.cursor).run_requests[0].run_key != request.run_key  # a new key per request
    # the asset's next write replays the pending document, once, and empties the fallback
    assert mongo.write("podcasts", "similarities", []).replayed == 1
    assert mongo.pending_fallback("podcasts", "similarities") == 0 and mongo.count("podcasts", "similarities") == 1
    assert isinstance(_tick(mongo), dg.SkipReason)
