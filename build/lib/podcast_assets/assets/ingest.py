"""Ingest: trending shows and one full episode per show, to Delta, Kafka and the Mongo catalog."""


import datetime as dt
import json
from pathlib import Path

import dagster as dg
import pandas as pd
import pyarrow as pa
from deltalake import write_deltalake

from podcast_assets.assets.metadata import preview
from podcast_assets.core.episodes import select_episodes, split_by_language
from podcast_assets.resources.delta import DeltaTables
from podcast_assets.resources.kafka import KafkaResource
from podcast_assets.resources.podcast_index import PodcastIndexResource
from podcast_assets.settings import get_settings

PUBLISHED_TABLE = "published_episodes"
FEED_COLUMNS = ["feed_id", "title", "author", "language", "trend_score", "url", "categories",
                "newest_item_publish_time"]


class IngestConfig(dg.Config):
    max_shows: int = get_settings().TRENDING_MAX
    language_prefix: str = get_settings().LANGUAGE_PREFIX
    episodes_per_show: int = get_settings().EPISODES_PER_SHOW


@dg.asset(group_name="ingest", kinds={"deltalake"})
def trending_podcasts(context: dg.AssetExecutionContext, config: IngestConfig,
                      podcast_index: PodcastIndexResource) -> pd.DataFrame:
    """Trending shows from the Podcast Index, English by metadata (language prefix)."""
    client = podcast_index.client(log=context.log.warning)
    # ask for more than needed: shows in other languages are dropped here, and counted
    feeds = client.trending(max_results=min(1000, config.max_shows * 3))
    kept, skipped = split_by_language(feeds, config.language_prefix, config.max_shows)
    context.log.info(f"{len(feeds)} trending feeds, kept {len(kept)} English, skipped {len(skipped)}")
    df = pd.DataFrame([{
        "feed_id": int(f["id"]), "title": str(f.get("title") or ""), "author": str(f.get("author") or ""),
        "language": str(f.get("language") or ""), "trend_score": float(f.get("trendScore") or 0),
        "url": str(f.get("url") or ""), "categories": ", ".join(sorted((f.get("categories") or {}).values())),
        "newest_item_publish_time": int(f.get("newestItemPublishTime") or 0)} for f in kept], columns=FEED_COLUMNS)
    context.add_output_metadata({"dagster/row_count": len(df), "skipped": len(skipped),
                                 "skipped_shows": preview(skipped), "preview": preview(df, ["feed_id", "title", "language", "trend_score"])})
    return df


def _already_published(delta: DeltaTables) -> set[str]:
    return set(delta.pandas(PUBLISHED_TABLE, ["episode_id"])["episode_id"]) if delta.exists(PUBLISHED_TABLE) else set()


def publish_new_episodes(kafka: KafkaResource, delta: DeltaTables, episodes: list[dict]) -> list[str]:
    """Send episodes not published before to both topics (acks=all), then record them."""
    s = get_settings()
    done = _already_published(delta)
    new = [e for e in episodes if e["episode_id"] not in done]
    if not new:
        return []
    kafka.ensure_topics([s.TOPIC_EPISODE_METADATA, s.TOPIC_EPISODE_IDS], s.TOPIC_PARTITIONS)
    kafka.publish(s.TOPIC_EPISODE_METADATA, [(e["episode_id"], e) for e in new])
    kafka.publish(s.TOPIC_EPISODE_IDS, [(e["episode_id"], e["episode_id"]) for e in new])
    # recorded after the acks: a crash in between re-publishes on retry, and the sensor's run key
    # (the episode id) keeps that from transcribing twice
    now = dt.datetime.now(dt.timezone.utc)
    write_deltalake(delta.uri(PUBLISHED_TABLE), pa.table({
        "episode_id": [e["episode_id"] for e in new], "published_at": pa.array([now] * len(new), pa.timestamp("us", "UTC"))}),
        mode="append")
    return [e["episode_id"] for e in new]


@dg.asset(group_name="ingest", kinds={"deltalake", "kafka"})
def episodes(context: dg.AssetExecutionContext, config: IngestConfig, trending_podcasts: pd.DataFrame,
             podcast_index: PodcastIndexResource, kafka: KafkaResource, delta: DeltaTables) -> pd.DataFrame:
    """One full audio episode per trending show: Delta, ``episodes.json`` and Kafka (new ones only)."""
    client = podcast_index.client(log=context.log.warning)
    feeds = [{"id": int(r.feed_id), "title": r.title, "language": r.language, "url": r.url,
              "trendScore": r.trend_score, "categories": r.categories} for r in trending_podcasts.itertuples()]
    items = client.episodes_by_feed_ids([f["id"] for f in feeds], max_results=1000) if feeds else []
    chosen, skipped = select_episodes(feeds, items, config.episodes_per_show)
    for s in skipped:
        context.log.info(f"skipped show {s['title']!r}: {s['reason']}")
    export = Path(get_settings().data_dir) / "episodes.json"
    export.parent.mkdir(parents=True, exist_ok=True)
    tmp = export.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(chosen, indent=1))
    tmp.replace(export)
    published = publish_new_episodes(kafka, delta, chosen)
    context.log.info(f"{len(chosen)} episodes from {len(feeds)} shows; published {len(published)} new to Kafka")
    df = pd.DataFrame(chosen)
    context.add_output_metadata({
        "dagster/row_count": len(df), "published_new": len(published),
        "already_published": len(chosen) - len(published), "skipped": len(skipped),
        "skipped_shows": preview(skipped), "export": str(export),
        "preview": preview(df, ["episode_id", "podcast_title", "episode_title", "duration_sec"])})
    return df


@dg.asset(group_name="ingest", io_manager_key="mongo_io_manager", kinds={"mongodb"},
          metadata={"mongo_db": get_settings().MONGO_DB, "mongo_collection": "episodes", "mongo_keys": ["episode_id"],
                    "mongo_indexes": [[["podcast_id", 1]]]})
def episode_catalog(context: dg.AssetExecutionContext, episodes: pd.DataFrame) -> pd.DataFrame:
    """The episode catalog in MongoDB ``podcasts.episodes``, upserted by episode id."""
    context.add_output_metadata({"dagster/row_count": len(episodes)})
    return episodes
