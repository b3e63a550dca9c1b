"""Synthetic listener events with real structure, their validation and their engagement weights.

Each user prefers one or two topics (taken from the shows' categories) and behaves accordingly:
likes, completes and rates highly there, skips and pauses early elsewhere. A recommender has
signal to learn, and the same seed gives the same users and the same events.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from dataclasses import dataclass

from podcast_assets.core.offsets import json_object

EVENT_TYPES = ("pause", "like", "skip", "rate", "complete")
DEVICES = ("ios", "android", "web")
FIELDS = ("event_id", "ts", "user_id", "new_episode_id", "event", "device", "rating", "position_sec",
          "from_sec", "to_sec", "played_pct")


@dataclass(frozen=True)
class Weights:
    like: float = 3.0
    complete: float = 2.0
    skip: float = -1.0
    pause_cap_sec: float = 600.0


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


def validate(raw: bytes | None) -> tuple[dict | None, str]:
    """A parsed, typed event, or why the message is malformed."""
    doc, problem = json_object(raw)
    if doc is None:
        return None, problem
    missing = [f for f in FIELDS if f not in doc]
    if missing:
        return None, f"missing fields {missing}"
    if doc["event"] not in EVENT_TYPES:
        return None, f"unknown event type {str(doc['event'])[:40]!r}"
    try:
        ts = dt.datetime.fromisoformat(str(doc["ts"]).replace("Z", "+00:00"))
        ts = ts if ts.tzinfo else ts.replace(tzinfo=dt.timezone.utc)
        event = {"event_id": str(doc["event_id"]), "ts": ts.astimezone(dt.timezone.utc), "user_id": str(doc["user_id"]),
                 "new_episode_id": str(doc["new_episode_id"]), "event": doc["event"], "device": str(doc["device"]),
                 "rating": None if doc["rating"] is None else int(doc["rating"]),
                 "position_sec": float(doc["position_sec"] or 0), "from_sec": float(doc["from_sec"] or 0),
                 "to_sec": float(doc["to_sec"] or 0), "played_pct": float(doc["played_pct"] or 0)}
    except (TypeError, ValueError) as exc:
        return None, f"bad field value: {str(exc)[:80]}"
    if not event["user_id"] or not event["new_episode_id"]:
        return None, "empty user_id or new_episode_id"
    if event["event"] == "rate" and not (event["rating"] is not None and 1 <= event["rating"] <= 5):
        return None, f"rate event with rating {event['rating']!r} outside 1..5"
    return event, ""


def weight(event: str, rating: float | None, position_sec: float, w: Weights) -> float:
    """The notes' scoring: like, complete, rating - 3, capped pause fraction, skip."""
    if event == "like":
        return w.like
    if event == "complete":
        return w.complete
    if event == "rate":
        return float(rating) - 3.0 if rating is not None else 0.0
    if event == "pause":
        return min(max(position_sec, 0.0) / w.pause_cap_sec, 1.0)
    if event == "skip":
        return w.skip
    raise ValueError(f"unknown event type {event!r}")
