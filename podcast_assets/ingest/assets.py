"""Ingest: trending shows and one full episode per show, to Delta, Kafka and the Mongo catalog."""

import datetime as dt
import json
from pathlib import Path

import dagster as dg
import pandas as pd
import pyarrow as pa
from deltalake import write_deltalake

from podcast_assets.common import storage
from podcast_assets.common.previews import markdown_preview
from podcast_assets.ingest.episodes import feed_rows, select_episodes, split_by_language
from podcast_assets.ingest.feed_items import EPISODE_COLUMNS, feed_id, feed_list, read_items
from podcast_assets.ingest.feed_xml import FeedRefused, parse_feed
from podcast_assets.ingest.identity import audio_key, known_ids, resolve_ids
from podcast_assets.resources.delta import DataDir, DeltaTables
from podcast_assets.resources.feeds import FeedFetcherResource, FeedListResource
from podcast_assets.resources.kafka import KafkaResource
from podcast_assets.resources.podcast_index import PodcastIndexResource
from podcast_assets.runs.automation import NEVER_MATERIALISED, failed_and_retried
from podcast_assets.transcripts.guarded_http import FetchError, redact

PUBLISHED_TABLE = "published_episodes"
# the trending ingest and the feed polls decide which episodes are new against one table: one at a time
PUBLISHING_POOL = "episode_publishing"
TRENDING_CRON = "0 */6 * * *"
FAILED_FETCH_CRON = "*/5 * * * *"
# trending shows every six hours, at once on a data dir where they have never been fetched, and within five
# minutes again after a fetch that failed (the Podcast Index away for longer than the run's retries)
TRENDING = dg.AutomationCondition.on_cron(TRENDING_CRON) | NEVER_MATERIALISED | failed_and_retried(FAILED_FETCH_CRON)
# the Podcast Index, MongoDB and Kafka may be briefly away: try again before calling the run failed
TRANSIENT = dg.RetryPolicy(max_retries=3, delay=10, backoff=dg.Backoff.EXPONENTIAL)


class IngestConfig(dg.Config):
    """Per-run overrides; empty fields take the Podcast Index resource's deployment defaults."""

    max_shows: int | None = None
    language_prefix: str | None = None
    episodes_per_show: int | None = None


def _md(rows, columns=None, n=10) -> dg.MetadataValue:
    return dg.MetadataValue.md(markdown_preview(rows, columns, n))


@dg.asset(group_name="ingest", kinds={"deltalake"}, automation_condition=TRENDING, retry_policy=TRANSIENT)
def trending_podcasts(context: dg.AssetExecutionContext, config: IngestConfig,
                      podcast_index: PodcastIndexResource) -> pd.DataFrame:
    """Trending shows from the Podcast Index, English by metadata (language prefix). A row: one show."""
    max_shows = config.max_shows or podcast_index.trending_max
    prefix = config.language_prefix or podcast_index.language_prefix
    client = podcast_index.client(log=context.log.warning)
    # ask for more than needed: shows in other languages are dropped here, and counted
    feeds = client.trending(max_results=min(1000, max_shows * 3))
    kept, skipped = split_by_language(feeds, prefix, max_shows)
    context.log.info(f"{len(feeds)} trending feeds, kept {len(kept)} English, skipped {len(skipped)}")
    df = feed_rows(kept)
    context.add_output_metadata({"dagster/row_count": len(df), "skipped": len(skipped), "skipped_shows": _md(skipped),
                                 "preview": _md(df, ["feed_id", "title", "language", "trend_score"])})
    return df


def published(delta: DeltaTables) -> list[dict]:
    """What was published so far: episode id, guid and audio key (tables older than feeds have ids only)."""
    rows = delta.pandas(PUBLISHED_TABLE)
    return [{"episode_id": r.get("episode_id"), "guid": r.get("guid") or "", "audio_key": r.get("audio_key") or ""}
            for r in rows.to_dict("records")]


def with_known_ids(delta: DeltaTables, episodes: list[dict]) -> list[dict]:
    """``episodes`` under the ids they were first published as (same guid or audio, from a feed or trending)."""
    return resolve_ids(episodes, known_ids(published(delta)))


def publish_new_episodes(kafka: KafkaResource, delta: DeltaTables, episodes: list[dict]) -> list[str]:
    """Send episodes not published before to both topics (acks=all), then record them. ``episodes`` carry
    their known ids already (``with_known_ids``), under the publishing pool."""
    done = {r["episode_id"] for r in published(delta)}
    new = [e for e in episodes if e["episode_id"] not in done]
    if not new:
        return []
    kafka.ensure_topics([kafka.episode_metadata_topic, kafka.episode_ids_topic])
    kafka.publish(kafka.episode_metadata_topic, [(e["episode_id"], e) for e in new])
    kafka.publish(kafka.episode_ids_topic, [(e["episode_id"], e["episode_id"]) for e in new])
    # recorded after the acks: a crash in between re-publishes on retry, and the sensor's run key
    # (the episode id) keeps that from transcribing twice
    now = dt.datetime.now(dt.UTC)
    write_deltalake(delta.uri(PUBLISHED_TABLE), pa.table({
        "episode_id": [e["episode_id"] for e in new], "published_at": pa.array([now] * len(new), pa.timestamp("us", "UTC")),
        "guid": [str(e.get("guid") or "") for e in new], "audio_key": [audio_key(e.get("audio_url") or "") for e in new]}),
        mode="append", schema_mode="merge")
    return [e["episode_id"] for e in new]


@dg.asset(group_name="ingest", kinds={"deltalake", "kafka"}, automation_condition=dg.AutomationCondition.eager(),
          retry_policy=TRANSIENT, pool=PUBLISHING_POOL)
def episodes(context: dg.AssetExecutionContext, config: IngestConfig, trending_podcasts: pd.DataFrame,
             podcast_index: PodcastIndexResource, kafka: KafkaResource, delta: DeltaTables,
             files: DataDir) -> pd.DataFrame:
    """One full audio episode per trending show: Delta, ``episodes.json`` and Kafka (new ones only). A row: one
    episode with its show, audio URL and publisher transcript, if any."""
    client = podcast_index.client(log=context.log.warning)
    feeds = [{"id": int(r.feed_id), "title": r.title, "language": r.language, "url": r.url,
              "trendScore": r.trend_score, "categories": r.categories} for r in trending_podcasts.itertuples()]
    items = client.episodes_by_feed_ids([f["id"] for f in feeds], max_results=1000) if feeds else []
    chosen, skipped = select_episodes(feeds, items, config.episodes_per_show or podcast_index.episodes_per_show)
    chosen = with_known_ids(delta, chosen)  # an episode a followed feed published first keeps that id
    for s in skipped:
        context.log.info(f"skipped show {s['title']!r}: {s['reason']}")
    export = files.artefacts("episodes.json")
    storage.write_text(export, json.dumps(chosen, indent=1))
    published = publish_new_episodes(kafka, delta, chosen)
    context.log.info(f"{len(chosen)} episodes from {len(feeds)} shows; published {len(published)} new to Kafka")
    df = pd.DataFrame(chosen)
    context.add_output_metadata({
        "dagster/row_count": len(df), "published_new": len(published),
        "already_published": len(chosen) - len(published), "skipped": len(skipped),
        "skipped_shows": _md(skipped), "export": str(export),
        "preview": _md(df, ["episode_id", "podcast_title", "episode_title", "duration_sec"])})
    return df


@dg.asset(group_name="ingest", io_manager_key="mongo_io_manager", kinds={"mongodb"},
          automation_condition=dg.AutomationCondition.eager(), retry_policy=TRANSIENT,
          metadata={"mongo_collection": "episodes", "mongo_keys": ["episode_id"],
                    "mongo_indexes": [[["podcast_id", 1]]]})
def episode_catalog(context: dg.AssetExecutionContext, episodes: pd.DataFrame) -> pd.DataFrame:
    """The episode catalog in MongoDB ``<database>.episodes``, upserted by episode id. A document: one episode."""
    context.add_output_metadata({"dagster/row_count": len(episodes)})
    return episodes


FEED_TABLES = {"polls": "feed_polls", "items": "feed_items", "episodes": "feed_episodes"}


class FeedsConfig(dg.Config):
    """Per-run override of the followed feeds (replacing the deployment's list): URLs and/or an OPML file's
    path or URL."""

    feed_urls: list[str] = []
    opml: str = ""


# the list is read at once on a new data dir and every hour after (an OPML URL may change under us)
FEED_LIST = NEVER_MATERIALISED | dg.AutomationCondition.on_cron("0 * * * *")


@dg.asset(group_name="ingest", kinds={"deltalake"}, automation_condition=FEED_LIST, retry_policy=TRANSIENT)
def feeds(context: dg.AssetExecutionContext, config: FeedsConfig, feed_list: FeedListResource,
          feeds: FeedFetcherResource) -> pd.DataFrame:
    """The RSS and Atom feeds followed beside trending (``FEEDS``, ``FEEDS_OPML``). A row: one feed URL.
    Read hourly; materialise it after changing the list to follow at once. The feed sensor polls what it holds."""
    # a run's own list replaces the deployment's (both its URLs and its OPML)
    overridden = bool(config.feed_urls or config.opml)
    urls, opml = (config.feed_urls, config.opml) if overridden else (feed_list.urls, feed_list.opml)
    found, problems = feed_list_from(urls, opml, feeds)
    for p in problems:
        context.log.warning(f"feed list: {p}")
    df = pd.DataFrame(found, columns=["feed_url", "title"])
    df.insert(0, "feed_id", [feed_id(u) for u in df["feed_url"]])  # names a feed in run config and cursors
    context.log.info(f"{len(df)} feeds followed ({len(problems)} entries unreadable)")
    context.add_output_metadata({"dagster/row_count": len(df), "unreadable": len(problems),
                                 "preview": _md(df.assign(feed_url=df["feed_url"].map(redact)), None, 20)})
    return df


def feed_list_from(urls: list[str], opml: str, fetcher: FeedFetcherResource) -> tuple[list[dict], list[str]]:
    found, problems = feed_list(",".join(urls))
    if opml:
        try:
            body = fetcher.feed(opml).body if opml.startswith(("http://", "https://")) else Path(opml).read_bytes()
        except (FetchError, OSError) as exc:
            raise dg.Failure(f"cannot read the OPML feed list {redact(opml)}: {exc}", allow_retries=False) from None
        more, bad = feed_list(body or b"")
        found, problems = found + [f for f in more if f["feed_url"] not in {x["feed_url"] for x in found}], problems + bad
    return found, problems


class FeedPollConfig(dg.Config):
    """The feeds to read now: ``feed_ids`` of followed feeds (the feed sensor names those that changed, by id,
    so a private feed's token stays out of run config) or any ``feed_urls``; both empty: every followed feed."""

    feed_ids: list[str] = []
    feed_urls: list[str] = []


@dg.asset(group_name="ingest", deps=["feeds"], io_manager_key="mongo_io_manager", kinds={"kafka", "mongodb"},
          retry_policy=TRANSIENT, pool=PUBLISHING_POOL,
          metadata={"mongo_collection": "episodes", "mongo_keys": ["episode_id"]})
def feed_episodes(context: dg.AssetExecutionContext, config: FeedPollConfig, feed_list: FeedListResource,
                  feeds: FeedFetcherResource, kafka: KafkaResource, delta: DeltaTables) -> pd.DataFrame:
    """New episodes of the followed feeds, on ``episode-metadata`` like trending ones and upserted into the
    Mongo catalog. A row: one episode first published by this run. A feed that cannot be read (refused XML,
    over the byte cap, too slow, dead) is named with its reason; the other feeds go on."""
    followed = delta.pandas("feeds", ["feed_url"])["feed_url"].tolist()
    urls = config.feed_urls or [u for u in followed if not config.feed_ids or feed_id(u) in set(config.feed_ids)]
    items = delta.pandas(FEED_TABLES["items"], ["feed_url", "item_key"])
    seen = items.groupby("feed_url")["item_key"].agg(set).to_dict() if len(items) else {}
    episodes, polls, keys, skipped, failed = [], [], [], [], []
    for url in urls:
        try:
            answer = feeds.feed(url)
            parsed = parse_feed(answer.body or b"", url)
        except (FetchError, FeedRefused) as exc:
            failed.append({"feed_url": redact(url), "reason": str(exc)})
            context.log.warning(f"feed {redact(url)}: {exc}")
            # refused XML is judged (its validators kept: asked for again once it changes); a feed not
            # fetched keeps none, so the sensor reads it in full next time
            judged = isinstance(exc, FeedRefused)
            polls.append({"feed_url": url, "etag": answer.etag if judged else "",
                          "last_modified": answer.last_modified if judged else "",
                          "sha256": answer.sha256 if judged else "", "items": 0, "new": 0, "outcome": str(exc)})
            continue
        got = read_items(url, parsed, seen.get(url, set()), feed_list.backlog, feed_list.new_per_poll,
                         feed_list.language_prefix)
        episodes += got["episodes"]
        skipped += [{**x, "feed_url": redact(x["feed_url"])} for x in got["skipped"]]
        keys += [(url, k) for k in got["keys"]]
        polls.append({"feed_url": url, "etag": answer.etag, "last_modified": answer.last_modified,
                      "sha256": answer.sha256, "items": len(parsed["items"]), "new": len(got["episodes"]),
                      "outcome": "read"})
    episodes = with_known_ids(delta, episodes)
    new = set(publish_new_episodes(kafka, delta, episodes))
    # seen after publishing: a run killed in between reads these items again, and publishing skips the
    # episodes it already sent
    record_poll(delta, polls, keys, episodes, [e for e in episodes if e["episode_id"] in new])
    for s in skipped:
        context.log.info(f"skipped {s['title']!r} of {s['feed_url']}: {s['reason']}")
    read = sum(p["outcome"] == "read" for p in polls)
    context.log.info(f"{read} of {len(urls)} feeds read, {len(failed)} refused or failed; {len(new)} new episodes "
                     f"published, {len(episodes) - len(new)} already known")
    df = pd.DataFrame([e for e in episodes if e["episode_id"] in new], columns=EPISODE_COLUMNS)
    context.add_output_metadata({"published_new": len(df), "feeds_read": read, "feeds_failed": len(failed),
                                 "failed_feeds": dg.MetadataValue.json(failed), "skipped": len(skipped), "skipped_items": _md(skipped),
                                 "preview": _md(df, ["episode_id", "podcast_title", "episode_title"])})
    return df


def record_poll(delta: DeltaTables, polls: list[dict], keys: list[tuple[str, str]], episodes: list[dict],
                published: list[dict]) -> None:
    """The feeds' validators, their items as seen, and the episodes first published here (``feed_episodes``
    in Delta, beside the Mongo catalog)."""
    now = dt.datetime.now(dt.UTC)
    stamp = pa.timestamp("us", "UTC")
    if published:
        write_deltalake(delta.uri(FEED_TABLES["episodes"]), pa.Table.from_pandas(
            pd.DataFrame(published, columns=EPISODE_COLUMNS).assign(first_seen_at=now), preserve_index=False),
            mode="append", schema_mode="merge")
    if polls:
        write_deltalake(delta.uri(FEED_TABLES["polls"]), pa.Table.from_pylist(
            [{**p, "polled_at": now} for p in polls]).cast(pa.schema([
                ("feed_url", pa.string()), ("etag", pa.string()), ("last_modified", pa.string()),
                ("sha256", pa.string()), ("items", pa.int64()), ("new", pa.int64()), ("outcome", pa.string()),
                ("polled_at", stamp)])),
            mode="append")
    if keys:
        ids = {(e["feed_url"], k): e["episode_id"] for e in episodes for k in (e.get("guid"), e.get("audio_url")) if k}
        write_deltalake(delta.uri(FEED_TABLES["items"]), pa.table({
            "feed_url": [u for u, _ in keys], "item_key": [k for _, k in keys],
            "episode_id": [ids.get((u, k), "") for u, k in keys], "seen_at": pa.array([now] * len(keys), stamp)}),
            mode="append")
