"""The ``episode-metadata`` message as the transcription stage reads it."""

from __future__ import annotations

from podcast_assets.common.ids import is_episode_id
from podcast_assets.common.kafka_offsets import json_object


def parse_episode_message(value: bytes | None) -> tuple[dict | None, str]:
    """An ``episode-metadata`` message, or the reason it is malformed."""
    doc, problem = json_object(value)
    if doc is None:
        return None, problem
    episode_id = str(doc.get("episode_id") or "").strip()
    if not is_episode_id(episode_id):
        return None, f"missing or unusable episode_id {doc.get('episode_id')!r}"
    return {**doc, "episode_id": episode_id}, ""
