"""What the feed polls leave in Delta: each poll's validators and outcome (``feed_polls``), the items seen per feed
(``feed_items``) and the episodes first published from a feed (``feed_episodes``). A feed is named by what
``followed.recorded_url`` gives: its URL, or its reference when it is private."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pyarrow as pa
from deltalake import DeltaTable, write_deltalake

from podcast_assets.ingest.feed_items import EPISODE_COLUMNS

FEED_TABLES = {"polls": "feed_polls", "items": "feed_items", "episodes": "feed_episodes"}
STAMP = pa.timestamp("us", "UTC")
POLL_SCHEMA = pa.schema([
    ("feed_url", pa.string()), ("etag", pa.string()), ("last_modified", pa.string()), ("sha256", pa.string()),
    ("items", pa.int64()), ("new", pa.int64()), ("outcome", pa.string()), ("polled_at", STAMP),
    ("note", pa.string()),  # what went wrong with single items of a feed that was read (refused, deferred)
    ("again", pa.bool_())])  # new items were deferred by the per-poll cap: read it again at the next poll


def seen_items(items_uri: str, since: dt.datetime) -> tuple[dict[str, set[str]], dict[str, int]]:
    """Per feed, the item keys seen, and the items its later polls took since ``since`` (a first poll's back
    catalogue not counted): what its daily cap has spent. Rows older than the ``first_poll`` column count as the
    back catalogue. One read of the table for both."""
    if not DeltaTable.is_deltatable(items_uri):
        return {}, {}
    items = DeltaTable(items_uri).to_pandas()
    if not len(items):
        return {}, {}
    seen = items.groupby("feed_url")["item_key"].agg(set).to_dict()
    if "first_poll" not in items:
        return seen, {}
    recent = items[(items["seen_at"] >= pd.Timestamp(since)) & ~items["first_poll"].fillna(True).astype(bool)]
    return seen, recent.groupby("feed_url").size().to_dict()


def record_poll(uris: dict[str, str], polls: list[dict], keys: list[tuple[str, str, bool]], episodes: list[dict],
                published: list[dict], refused: dict[str, str]) -> None:
    """The feeds' validators, the items taken as seen (``keys``: feed, item key, whether a first poll), and the
    episodes first published here (``feed_episodes`` in Delta, beside the Mongo catalog); ``uris``: the three
    tables by their ``FEED_TABLES`` key. ``refused``: episode id
    to the reason Kafka refused it; its item is seen (it would be refused again) with that reason."""
    now = dt.datetime.now(dt.UTC)
    if published:
        write_deltalake(uris["episodes"], pa.Table.from_pandas(
            pd.DataFrame(published, columns=EPISODE_COLUMNS).assign(first_seen_at=now), preserve_index=False),
            mode="append", schema_mode="merge")
    if polls:
        write_deltalake(uris["polls"], pa.Table.from_pylist(
            [{"note": "", "again": False, **p, "polled_at": now} for p in polls], POLL_SCHEMA), mode="append", schema_mode="merge")
    if keys:
        ids = {(e["feed_url"], k): e["episode_id"] for e in episodes for k in (e.get("guid"), e.get("audio_url")) if k}
        found = [ids.get((u, k), "") for u, k, _ in keys]
        write_deltalake(uris["items"], pa.table({
            "feed_url": [u for u, _, _ in keys], "item_key": [k for _, k, _ in keys],
            "episode_id": ["" if e in refused else e for e in found], "seen_at": pa.array([now] * len(keys), STAMP),
            "first_poll": [first for _, _, first in keys], "outcome": [refused.get(e, "") for e in found]}),
            mode="append", schema_mode="merge")
