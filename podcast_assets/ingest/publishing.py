"""Publishing episodes: each new one on both topics once, then recorded in ``published_episodes``, the append-only
record of every episode ever published (what ``/episodes/{id}/audio`` answers from, MongoDB up or down)."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
from deltalake import DeltaTable, write_deltalake

from podcast_assets.ingest.identity import audio_key, known_ids, resolve_ids

PUBLISHED_TABLE = "published_episodes"


def published(table_uri: str) -> list[dict]:
    """What was published so far: episode id, guid and audio key (tables older than feeds have ids only)."""
    if not DeltaTable.is_deltatable(table_uri):
        return []
    rows = DeltaTable(table_uri).to_pyarrow_table().to_pylist()
    return [{"episode_id": r.get("episode_id"), "guid": r.get("guid") or "", "audio_key": r.get("audio_key") or ""}
            for r in rows]


def with_known_ids(table_uri: str, episodes: list[dict]) -> list[dict]:
    """``episodes`` under the ids they were first published as (same guid or audio, from a feed or trending)."""
    return resolve_ids(episodes, known_ids(published(table_uri)))


def publish_new_episodes(send, table_uri: str, episodes: list[dict]) -> tuple[list[str], dict]:
    """Send episodes not published before (``send(episodes)``: both topics, acks=all; returns the ids Kafka
    refused, an item over the broker's message limit say, with the reason), then record the others; the ids
    sent, and the refused ones: only those are lost, and only to this run. ``episodes`` carry their known ids
    already (``with_known_ids``), under the publishing pool."""
    done = {r["episode_id"] for r in published(table_uri)}
    new = [e for e in episodes if e["episode_id"] not in done]
    if not new:
        return [], {}
    refused = send(new)
    sent = [e for e in new if e["episode_id"] not in refused]
    if sent:
        # recorded after the acks: a crash in between re-publishes on retry, and the sensor's run key
        # (the episode id) keeps that from transcribing twice
        now = dt.datetime.now(dt.UTC)
        write_deltalake(table_uri, pa.table({
            "episode_id": [e["episode_id"] for e in sent],
            "published_at": pa.array([now] * len(sent), pa.timestamp("us", "UTC")),
            "guid": [str(e.get("guid") or "") for e in sent],
            "audio_key": [audio_key(e.get("audio_url") or "") for e in sent],
            "audio_url": [str(e.get("audio_url") or "") for e in sent]}),  # a private feed's: its reference
            mode="append", schema_mode="merge")
    return [e["episode_id"] for e in sent], refused
