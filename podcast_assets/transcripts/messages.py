"""The ``episode-metadata`` message as the transcription stage reads it."""

from __future__ import annotations

import json

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


def messages_by_id(episode_json: str) -> dict[str, dict]:
    """A run's ``episode_json`` (one message, or a JSON list of them) as the messages by episode id."""
    docs = json.loads(episode_json) if episode_json else []
    return {str(d.get("episode_id")): d for d in (docs if isinstance(docs, list) else [docs]) if isinstance(d, dict)}


def run_batches(episode_ids: list[str], runs: int, most: int) -> list[list[str]]:
    """New episodes split over the transcription runs the queue lets run together, at most ``most`` per
    run (each run loads its models once for all of its episodes). One new episode is a run of its own,
    started at once; 19 at once with two runs of at most 8 are runs of 7, 7 and 5."""
    if not episode_ids:
        return []
    n = len(episode_ids)
    count = max(min(max(1, runs), n), -(-n // max(1, most)))  # every lane busy, none over ``most``
    size = -(-n // count)
    return [episode_ids[i:i + size] for i in range(0, n, size)]


def downloaded_groups(keys: list[str], downloaded: set[str]) -> list[list[str]]:
    """The downloaded episodes of ``keys`` (in partition order) as runs of neighbours: a range of partitions
    must hold only episodes to transcribe, so an episode whose download failed splits it."""
    groups: list[list[str]] = [[]]
    for key in keys:
        if key in downloaded:
            groups[-1].append(key)
        elif groups[-1]:
            groups.append([])
    return [g for g in groups if g]
