"""Ingest: trending shows and one full episode per show, to Delta, Kafka and the Mongo catalog."""

import datetime as dt
import json

import dagster as dg
import pandas as pd
import pyarrow as pa
from deltalake import write_deltalake

from podcast_assets.common.previews import markdown_preview
from podcast_assets.ingest.episodes import feed_rows, select_episodes, split_by_language
from podcast_assets.resources.delta import DataDir, DeltaTables
from podcast_assets.resources.kafka import KafkaResource
from podcast_assets.resources.podcast_index import PodcastIndexResource
from podcast_assets.runs.automation import NEVER_MATERIALISED, failed_and_retried

PUBLISHED_TABLE = "published_episodes"
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


def publish_new_episodes(kafka: KafkaResource, delta: DeltaTables, episodes: list[dict]) -> list[str]:
    """Send episodes not published before to both topics (acks=all), then record them."""
    done = set(delta.pandas(PUBLISHED_TABLE, ["episode_id"])["episode_id"])
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
        "episode_id": [e["episode_id"] for e in new], "published_at": pa.array([now] * len(new), pa.timestamp("us", "UTC"))}),
        mode="append")
    return [e["episode_id"] for e in new]


@dg.asset(group_name="ingest", kinds={"deltalake", "kafka"}, automation_condition=dg.AutomationCondition.eager(),
          retry_policy=TRANSIENT)
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
    for s in skipped:
        context.log.info(f"skipped show {s['title']!r}: {s['reason']}")
    export = files.folder() / "episodes.json"
    tmp = export.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(chosen, indent=1))
    tmp.replace(export)
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
