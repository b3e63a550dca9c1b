"""Ingest: trending shows and one full episode per show, to Delta, Kafka and the Mongo catalog."""

import datetime as dt
import json

import dagster as dg
import pandas as pd

from podcast_assets.common import storage
from podcast_assets.common.previews import markdown_preview
from podcast_assets.ingest.episodes import feed_rows, select_episodes, split_by_language
from podcast_assets.ingest.feed_items import EPISODE_COLUMNS, feed_id
from podcast_assets.ingest.feed_polling import FeedLimits, poll_feeds
from podcast_assets.ingest.feed_tables import FEED_TABLES, record_poll, seen_items
from podcast_assets.ingest.followed import (
    FEED_COLUMNS,
    RUN_CONFIG_PRIVATE,
    feed_name,
    list_rows,
    public_only,
)
from podcast_assets.ingest.publishing import PUBLISHED_TABLE, publish_new_episodes, with_known_ids
from podcast_assets.resources.delta import DataDir, DeltaTables
from podcast_assets.resources.feeds import FeedFetcherResource, FeedListResource
from podcast_assets.resources.kafka import KafkaResource
from podcast_assets.resources.podcast_index import PodcastIndexResource
from podcast_assets.runs.automation import NEVER_MATERIALISED, failed_and_retried
from podcast_assets.transcripts.guarded_http import FetchError

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
    chosen = with_known_ids(delta.uri(PUBLISHED_TABLE), chosen)  # an episode a followed feed published first keeps that id
    for s in skipped:
        context.log.info(f"skipped show {s['title']!r}: {s['reason']}")
    published, refused = publish_new_episodes(kafka.publish_episodes, delta.uri(PUBLISHED_TABLE), chosen)
    for episode_id, reason in refused.items():
        context.log.warning(f"episode {episode_id}: not published, {reason}")
    chosen = [e for e in chosen if e["episode_id"] not in refused]  # never in the catalog without its message
    export = files.artefacts("episodes.json")
    storage.write_text(export, json.dumps(chosen, indent=1))
    context.log.info(f"{len(chosen)} episodes from {len(feeds)} shows; {len(published)} new to Kafka, {len(refused)} refused")
    df = pd.DataFrame(chosen)
    context.add_output_metadata({
        "dagster/row_count": len(df), "published_new": len(published), "refused": dg.MetadataValue.json(refused),
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


class FeedsConfig(dg.Config):
    """Per-run override of the followed feeds (replacing the deployment's list): URLs and/or an OPML file's
    path or URL. Run config is stored with the run: a private feed is followed only from ``FEEDS``/``FEEDS_OPML``."""

    feed_urls: list[str] = []
    opml: str = ""


# the list is read at once on a new data dir and every hour after (an OPML URL may change under us)
FEED_LIST = NEVER_MATERIALISED | dg.AutomationCondition.on_cron("0 * * * *")


@dg.asset(group_name="ingest", kinds={"deltalake"}, automation_condition=FEED_LIST, retry_policy=TRANSIENT)
def feeds(context: dg.AssetExecutionContext, config: FeedsConfig, feed_list: FeedListResource,
          feeds: FeedFetcherResource, delta: DeltaTables) -> pd.DataFrame:
    """The RSS and Atom feeds followed beside trending (``FEEDS``, ``FEEDS_OPML``). A row: one feed, a private one
    by its reference (``private-feed:<feed id>``), never its URL. Read hourly; materialise it after changing the
    list to follow at once. An OPML that comes back empty keeps the feeds it listed before, and says so."""
    run_list = bool(config.feed_urls or config.opml)
    try:
        listed = feed_list.read(feeds, ",".join(config.feed_urls), config.opml) if run_list else feed_list.read(feeds)
    except (FetchError, OSError) as exc:
        raise dg.Failure(f"cannot read the OPML feed list: {exc}", allow_retries=False) from None
    if run_list and any(f["private"] for f in listed.feeds):
        listed.problems.append(RUN_CONFIG_PRIVATE)
        listed.feeds = [f for f in listed.feeds if not f["private"]]
    before = delta.pandas("feeds").to_dict("records") if listed.opml_empty else []
    df = pd.DataFrame(list_rows(listed, before), columns=FEED_COLUMNS)
    if listed.opml_empty:  # a blip of the OPML's host must not unfollow every feed it lists
        context.log.warning(f"feed list: {listed.opml_empty}; keeping the {(df['source'] == 'OPML').sum()} feeds it "
                            "listed before")
    for p in listed.problems:
        context.log.warning(f"feed list: {p}")
    context.log.info(f"{len(df)} feeds followed ({int(df['private'].sum())} private, {len(listed.problems)} "
                     "entries unreadable)")
    context.add_output_metadata({"dagster/row_count": len(df), "unreadable": len(listed.problems),
                                 "kept_previous": listed.opml_empty or "", "preview": _md(df, None, 20)})
    return df


class FeedPollConfig(dg.Config):
    """The feeds to read now: ``feed_ids`` of followed feeds (the feed sensor names those that changed, by id,
    so a private feed's token stays out of run config) or any public ``feed_urls``; both empty: every followed feed."""

    feed_ids: list[str] = []
    feed_urls: list[str] = []


@dg.asset(group_name="ingest", deps=["feeds"], io_manager_key="mongo_io_manager", kinds={"kafka", "mongodb"},
          retry_policy=TRANSIENT, pool=PUBLISHING_POOL,
          metadata={"mongo_collection": "episodes", "mongo_keys": ["episode_id"]})
def feed_episodes(context: dg.AssetExecutionContext, config: FeedPollConfig, feed_list: FeedListResource,
                  feeds: FeedFetcherResource, kafka: KafkaResource, delta: DeltaTables) -> pd.DataFrame:
    """New episodes of the followed feeds, on ``episode-metadata`` like trending ones and upserted into the
    Mongo catalog. A row: one episode first published by this run. A feed that cannot be read (refused XML,
    over the byte cap, too slow, dead) is named with its reason, an item Kafka refuses costs only itself, and
    the other feeds and items go on. Each feed takes at most ``FEED_NEW_PER_POLL`` new items a poll and
    ``FEED_NEW_PER_DAY`` a day."""
    followed = delta.pandas("feeds", ["feed_url"])["feed_url"].tolist()
    wanted = set(config.feed_ids)
    given, problems = public_only(config.feed_urls)
    for p in problems:
        context.log.warning(p)
    targets = given if config.feed_urls else [u for u in followed if not wanted or feed_id(u) in wanted]
    limits = FeedLimits(feed_list.backlog, feed_list.new_per_poll, feed_list.new_per_day, feed_list.language_prefix)
    seen, used = seen_items(delta.uri(FEED_TABLES["items"]), dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
    got = poll_feeds(targets, feeds.feed, feed_list.private_feeds(feeds).resolve, seen, used, limits,
                     context.log.warning)
    episodes = with_known_ids(delta.uri(PUBLISHED_TABLE), got.episodes)
    sent, refused = publish_new_episodes(kafka.publish_episodes, delta.uri(PUBLISHED_TABLE), episodes)
    new = set(sent)
    # seen after publishing: a run killed in between reads these items again, and publishing skips the
    # episodes it already sent
    record_poll({k: delta.uri(t) for k, t in FEED_TABLES.items()}, got.polls_with(episodes, refused), got.keys,
                episodes, [e for e in episodes if e["episode_id"] in new], refused)
    for s in got.skipped:
        context.log.info(f"skipped {s['title']!r} of {s['feed_url']}: {s['reason']}")
    refused_items = [{"episode_id": e["episode_id"], "feed": feed_name(e["feed_url"]), "title": e["episode_title"][:120],
                      "reason": refused[e["episode_id"]]} for e in episodes if e["episode_id"] in refused]
    for r in refused_items:
        context.log.warning(f"episode {r['episode_id']} ({r['title']!r}) of {r['feed']}: not published, {r['reason']}")
    read = sum(p["outcome"] == "read" for p in got.polls)
    context.log.info(f"{read} of {len(targets)} feeds read, {len(got.failed)} refused or failed; {len(new)} new "
                     f"episodes published, {len(refused)} refused, {len(episodes) - len(new) - len(refused)} already known")
    df = pd.DataFrame([e for e in episodes if e["episode_id"] in new], columns=EPISODE_COLUMNS)
    context.add_output_metadata({"published_new": len(df), "feeds_read": read, "feeds_failed": len(got.failed),
                                 "failed_feeds": dg.MetadataValue.json(got.failed), "skipped": len(got.skipped),
                                 "skipped_items": _md(got.skipped), "refused_items": dg.MetadataValue.json(refused_items),
                                 "preview": _md(df, ["episode_id", "podcast_title", "episode_title"])})
    return df
