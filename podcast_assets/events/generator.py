"""Synthetic listener events with real structure.

Each user prefers one or two topics (taken from the shows' categories) and behaves accordingly:
likes, completes and rates highly there, skips and pauses early elsewhere. A recommender has
signal to learn, and the same seed gives the same users and the same events.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid

from podcast_assets.events.schema import DEVICES, EVENT_TYPES


def users(num_users: int, topics: list[str], seed: int) -> list[tuple[str, set[str]]]:
    """Stable users (uuid4 from the seed) and the topics each prefers."""
    rng = random.Random(seed)
    out = []
    for _ in range(num_users):
        uid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        out.append((uid, set(rng.sample(topics, k=min(len(topics), rng.choice((1, 1, 2)))))))
    return out


def _event(rng: random.Random, user: str, episode: str, liked: bool, duration: float, ts: dt.datetime) -> dict:
    if liked:
        kind = rng.choices(EVENT_TYPES, weights=(1, 4, 0.3, 2, 4))[0]
    else:
        kind = rng.choices(EVENT_TYPES, weights=(2, 0.2, 5, 1, 0.3))[0]
    position = round(rng.uniform(0.4, 1.0) * duration if liked else rng.uniform(0, 0.3) * duration, 1)
    rating = (rng.choice((4, 5, 5)) if liked else rng.choice((1, 2, 3))) if kind == "rate" else None
    start = round(max(0.0, position - rng.uniform(5, 60)), 1)
    return {"event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "ts": ts.isoformat(),
            "user_id": user, "new_episode_id": episode, "event": kind, "device": rng.choice(DEVICES),
            "rating": rating, "position_sec": position, "from_sec": start, "to_sec": position,
            "played_pct": 1.0 if kind == "complete" else round(min(1.0, position / duration), 3)}


def generate(episodes: dict[str, str], num_users: int, events_per_user: int, user_seed: int, batch_seed: int,
             now: dt.datetime, days: int = 3, malformed_share: float = 0.0, duration: float = 1800.0) -> list[tuple[str, str]]:
    """(key, message) pairs: ``episodes`` maps episode id to topic. Malformed messages are injected at
    ``malformed_share`` to exercise the dead-letter path."""
    by_topic: dict[str, list[str]] = {}
    for eid, topic in sorted(episodes.items()):
        by_topic.setdefault(topic, []).append(eid)
    topics = sorted(by_topic)
    rng = random.Random(batch_seed)
    out = []
    for user, liked_topics in users(num_users, topics, user_seed):
        liked_eps = [e for t in sorted(liked_topics) for e in by_topic[t]]
        other_eps = [e for t in topics if t not in liked_topics for e in by_topic[t]] or liked_eps
        for _ in range(events_per_user):
            liked = rng.random() < 0.7
            episode = rng.choice(liked_eps if liked else other_eps)
            ts = now - dt.timedelta(seconds=rng.uniform(0, days * 86400))
            msg = json.dumps(_event(rng, user, episode, liked, duration, ts))
            if rng.random() < malformed_share:
                msg = rng.choice([msg[: len(msg) // 2], msg.replace('"event": "', '"event": "dance'),
                                  msg.replace('"user_id"', '"uid"'), "\x00\xff not json"])
            out.append((user, msg))
    return out
