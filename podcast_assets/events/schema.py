"""The listener event contract (docs/architecture.md, data contracts) and the check every message passes before Delta."""

from __future__ import annotations

import datetime as dt

from podcast_assets.common.kafka_offsets import json_object

EVENT_TYPES = ("pause", "like", "skip", "rate", "complete")
DEVICES = ("ios", "android", "web")
FIELDS = ("event_id", "ts", "user_id", "new_episode_id", "event", "device", "rating", "position_sec",
          "from_sec", "to_sec", "played_pct")


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
        ts = ts if ts.tzinfo else ts.replace(tzinfo=dt.UTC)
        event = {"event_id": str(doc["event_id"]), "ts": ts.astimezone(dt.UTC), "user_id": str(doc["user_id"]),
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
