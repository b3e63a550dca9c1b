"""Feeds beside trending, against the local feed server, the real broker, Delta and the Mongo wire server."""

import json
import uuid

import dagster as dg
import pytest
import requests
from deltalake import DeltaTable
from pymongo import MongoClient

from podcast_assets.ingest.assets import episode_catalog, episodes, feed_episodes, feeds, trending_podcasts
from podcast_assets.ingest.checks import followed_feeds_are_readable
from podcast_assets.ingest.feed_items import feed_id
from podcast_assets.ingest.identity import feed_episode_id
from podcast_assets.ingest.sensors import feed_poll_sensor
from podcast_assets.resources.feeds import FeedFetcherResource
from podcast_assets_tests.helpers import control, kafka_for, resources_for

NEW_ITEM = {"feedId": 920005, "id": 0, "guid": "guid-fresh-bread-2026", "title": "Sourdough, <i>again</i>",
            "datePublished": 1764000000, "enclosureUrl": "{BASE}/audio/reupload/920005-41000041.mp3",
            "enclosureType": "audio/mpeg", "enclosureLength": 120000, "episodeType": "full", "duration": 29,
            "description": "A new episode of the kitchen show.", "link": "", "transcripts": []}
NEW_ID = feed_episode_id(NEW_ITEM["guid"], "")


@pytest.fixture
def settings(settings):
    """The session's services with a Mongo database of the test's own: the feed episodes these tests add
    to the catalog must not reach the listener generator of other tests, which reads the whole catalog."""
    return settings.replace(MONGO_DB=f"feeds_{uuid.uuid4().hex[:8]}")


def base(settings) -> str:
    return settings.podcast_index_url.rsplit("/api/", 1)[0]


def metadata_ids(settings) -> list[str]:
    k = kafka_for(settings)
    ends = k.end_offsets(settings.TOPIC_EPISODE_METADATA)
    return sorted(json.loads(m.value)["episode_id"] for m in
                  k.read_range(settings.TOPIC_EPISODE_METADATA, {p: (0, e) for p, e in ends.items()}))


def catalog_count(settings) -> int:
    with MongoClient(settings.MONGO_URI) as client:
        return client[settings.MONGO_DB].episodes.count_documents({})


def poll(resources, urls=None, ids=None, **replace):
    config = {"ops": {"feed_episodes": {"config": {"feed_urls": urls or [], "feed_ids": ids or []}}}}
    result = dg.materialize([feed_episodes], resources={**resources, **replace}, run_config=config)
    assert result.success
    return result.asset_materializations_for_node("feed_episodes")[0].metadata


def test_the_sample_feeds_beside_trending_are_one_set_of_episodes_and_a_new_item_is_one_more(settings):
    control(settings, reset=True)
    resources = resources_for(settings)
    assert dg.materialize([trending_podcasts, episodes, episode_catalog], resources=resources).success
    trending = metadata_ids(settings)
    assert len(trending) == 21 and catalog_count(settings) == 21

    # every show of the catalog as a feed (five shapes); the same episodes as trending: none new
    assert dg.materialize([feeds], resources=resources).success
    assert len(DeltaTable(settings.delta_path("feeds")).to_pandas()) == 24
    meta = poll(resources)
    assert meta["feeds_read"].value == 24 and meta["feeds_failed"].value == 0
    assert meta["published_new"].value == 0, meta["preview"].value
    assert "not English by the feed (language 'es')" in meta["skipped_items"].value
    assert metadata_ids(settings) == trending and catalog_count(settings) == 21

    # a new item in one feed: one new episode, on Kafka, in the catalog and in Delta, under a stable id
    control(settings, feed_item=NEW_ITEM)
    meta = poll(resources)
    assert meta["published_new"].value == 1
    assert metadata_ids(settings) == sorted(trending + [NEW_ID]) and catalog_count(settings) == 22
    row = DeltaTable(settings.delta_path("feed_episodes")).to_pandas().to_dict("records")
    assert [(r["episode_id"], r["episode_title"], r["podcast_title"]) for r in row] == [
        (NEW_ID, "Sourdough, again", "Kitchen Table Talk \u2013 weekly")]
    assert poll(resources)["published_new"].value == 0  # polled again: nothing twice

    # the same item in a second feed (another URL, its enclosure behind a tracking redirect): one episode
    mirror = f"{base(settings)}/feeds/920005.xml?shape=tracked"
    meta = poll(resources, [mirror])
    assert meta["feeds_read"].value == 1 and meta["published_new"].value == 0
    assert metadata_ids(settings).count(NEW_ID) == 1 and catalog_count(settings) == 22

    # and trending, asked again, keeps every id it had
    assert dg.materialize([trending_podcasts, episodes, episode_catalog], resources=resources).success
    assert metadata_ids(settings) == sorted(trending + [NEW_ID]) and catalog_count(settings) == 22


def test_hostile_feeds_are_refused_with_their_reasons_and_the_good_feed_still_counts(settings):
    control(settings, reset=True)
    resources = resources_for(settings)
    good = f"{base(settings)}/feeds/920005.xml"
    poll(resources, [good])  # first poll: the newest episode
    before = metadata_ids(settings)
    control(settings, feed_item=NEW_ITEM)
    hostile = {kind: f"{base(settings)}/hostile/{kind}.xml" for kind in ("bomb", "entity", "huge", "endless")}
    metadata_service = "http://169.254.169.254/latest/meta-data"
    followed = {"ops": {"feeds": {"config": {"feed_urls": [*hostile.values(), metadata_service, good]}}}}
    assert dg.materialize([feeds], resources=resources, run_config=followed).success
    small = FeedFetcherResource(allowed_hosts=settings.audio_allowed_hosts, max_feed_bytes=1_000_000, feed_timeout_sec=3)
    result = dg.materialize([feed_episodes, followed_feeds_are_readable], resources={**resources, "feeds": small})
    assert result.success
    meta = result.asset_materializations_for_node("feed_episodes")[0].metadata
    failed = json.dumps(meta["failed_feeds"].value)
    assert (meta["feeds_read"].value, meta["feeds_failed"].value, meta["published_new"].value) == (1, 5, 1)
    for reason in ("declares an entity ('e0')", "declares an external entity ('secret')",
                   "bytes, over the cap of 1000000", "took longer than the 3 s deadline", "link-local"):
        assert reason in failed, failed
    assert metadata_ids(settings) == sorted(before + [NEW_ID])  # nothing else lost, nothing twice
    polls = DeltaTable(settings.delta_path("feed_polls")).to_pandas().drop_duplicates("feed_url", keep="last")
    sha = polls.set_index("feed_url")["sha256"].to_dict()
    # refused XML is judged (asked for again once it changes); a feed never fully read is read in full next time
    assert sha[hostile["bomb"]] and sha[hostile["entity"]] and sha[good], polls.to_dict("records")
    assert sha[hostile["huge"]] == sha[hostile["endless"]] == sha[metadata_service] == ""
    [check] = result.get_asset_check_evaluations()
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert check.description.startswith("5 of 6 followed feeds break the contract")


def feed_requests(settings) -> list[dict]:
    return requests.get(f"{base(settings)}/__feed_requests", timeout=5).json()


def test_the_sensor_asks_with_validators_an_unchanged_feed_costs_a_304_and_no_run(settings):
    control(settings, reset=True)
    resources = resources_for(settings)
    sensor = feed_poll_sensor(0)  # every feed due at every tick (the schedule is tested below)
    instance = dg.DagsterInstance.ephemeral()

    def tick(cursor=None):
        ctx = dg.build_sensor_context(instance=instance, cursor=cursor,
                                      resources={k: resources[k] for k in ("feeds", "feed_list", "delta")})
        return sensor.evaluate_tick(ctx)

    assert "no feeds followed" in tick().skip_message
    assert dg.materialize([feeds], resources=resources).success
    first = tick()  # nothing read yet: every feed is new
    [request] = first.run_requests
    ids = request.run_config["ops"]["feed_episodes"]["config"]["feed_ids"]
    assert len(ids) == 24 and all(i.startswith("feed-") for i in ids)
    asked_again = tick(first.cursor)  # the run is not asked for twice while it waits
    assert not asked_again.run_requests and "0 changed, 0 unchanged, 24 with a run asked for already" in asked_again.skip_message
    poll(resources, ids=ids)

    control(settings, reset=True)  # clears the server's request log
    quiet = tick(asked_again.cursor)
    assert not quiet.run_requests and "0 changed, 24 unchanged" in quiet.skip_message
    statuses = [r["status"] for r in feed_requests(settings)]
    assert statuses == [304] * 24  # one conditional GET per feed, answered 304

    control(settings, feed_item=NEW_ITEM)
    changed = tick(quiet.cursor)
    [request] = changed.run_requests
    assert request.run_config["ops"]["feed_episodes"]["config"]["feed_ids"] == [feed_id(f"{base(settings)}/feeds/920005.xml")]


def test_each_feed_is_asked_when_it_is_due_and_a_feed_just_followed_at_once(settings):
    control(settings, reset=True)
    resources = resources_for(settings)
    good = f"{base(settings)}/feeds/920001.xml"
    assert dg.materialize([feeds], resources=resources, run_config={
        "ops": {"feeds": {"config": {"feed_urls": [good]}}}}).success
    sensor = feed_poll_sensor(300)
    assert sensor.minimum_interval_seconds == 30
    ctx = lambda cursor=None: dg.build_sensor_context(  # noqa: E731
        instance=dg.DagsterInstance.ephemeral(), cursor=cursor,
        resources={k: resources[k] for k in ("feeds", "feed_list", "delta")})
    first = sensor.evaluate_tick(ctx())
    assert len(first.run_requests) == 1
    again = sensor.evaluate_tick(ctx(first.cursor))
    assert "1 feeds followed, none due" in again.skip_message
    assert [r["path"] for r in feed_requests(settings)] == ["/feeds/920001.xml"]  # asked once in two ticks
    other = f"{base(settings)}/feeds/920002.xml"
    assert dg.materialize([feeds], resources=resources, run_config={
        "ops": {"feeds": {"config": {"feed_urls": [good, other]}}}}).success
    joined = sensor.evaluate_tick(ctx(again.cursor))
    assert joined.run_requests[0].run_config["ops"]["feed_episodes"]["config"]["feed_ids"] == [feed_id(other)]


def test_a_feed_that_never_ends_does_not_hold_up_the_tick_or_the_other_feeds(settings, monkeypatch):
    import podcast_assets.ingest.sensors as feed_sensors

    monkeypatch.setattr(feed_sensors, "TICK_BUDGET_S", 2.0)
    control(settings, reset=True)
    resources = resources_for(settings)
    good, endless = f"{base(settings)}/feeds/920001.xml", f"{base(settings)}/hostile/endless.xml"
    assert dg.materialize([feeds], resources=resources, run_config={
        "ops": {"feeds": {"config": {"feed_urls": [endless, good]}}}}).success
    ctx = lambda cursor=None: dg.build_sensor_context(  # noqa: E731
        instance=dg.DagsterInstance.ephemeral(), cursor=cursor,
        resources={k: resources[k] for k in ("feeds", "feed_list", "delta")})
    sensor = feed_poll_sensor(300)
    first = sensor.evaluate_tick(ctx())
    assert first.run_requests[0].run_config["ops"]["feed_episodes"]["config"]["feed_ids"] == [feed_id(good)]
    cursor = json.loads(first.cursor)
    assert "polled" in cursor[feed_id(good)] and feed_id(endless) not in cursor  # asked again at the next tick

