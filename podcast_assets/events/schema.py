"""The listener event contract (docs/architecture.md, data contracts) and the check every message passes before Delta."""

from __future__ import annotations

import datetime as dt

from podcast_assets.common.kafka_offsets import json_object

EVENT_TYPES = ("pause", "like", "skip", "rate", "complete")
DEVICES = ("ios", "android", "web")
REQUIRED = ("event_id", "ts", "user_id", "new_episode_id", "event", "device")  # present and not null
OPTIONAL = ("rating", "position_sec", "from_sec", "to_sec", "played_pct")  # missing or null: no rating, 0 s
FIELDS = REQUIRED + OPTIONAL
INT32 = 2 ** 31


def validate(raw: bytes | None) -> tuple[dict | None, str]:
    """A parsed, typed event, or why the message is malformed."""
    doc, problem = json_object(raw)
    if doc is None:
        return None, problem
    missing = [f for f in REQUIRED if doc.get(f) is None]
    if missing:
        return None, f"missing fields {missing} (absent or null)"
    nested = [f for f in FIELDS if isinstance(doc.get(f), dict | list)]
    if nested:
        return None, f"fields {nested} are not single values"
    if doc["event"] not in EVENT_TYPES:
        return None, f"unknown event type {str(doc['event'])[:40]!r}"
    try:
        ts = dt.datetime.fromisoformat(str(doc["ts"]).replace("Z", "+00:00"))
        ts = ts if ts.tzinfo else ts.replace(tzinfo=dt.UTC)
        event = {"event_id": str(doc["event_id"]), "ts": ts.astimezone(dt.UTC), "user_id": str(doc["user_id"]),
                 "new_episode_id": str(doc["new_episode_id"]), "event": doc["event"], "device": str(doc["device"]),
                 "rating": None if doc.get("rating") is None else int(doc["rating"]),
                 **{f: float(doc.get(f) or 0) for f in OPTIONAL[1:]}}
    except (TypeError, ValueError) as exc:
        return None, f"bad field value: {str(exc)[:80]}"
    if event["rating"] is not None and not -INT32 <= event["rating"] < INT32:
        return None, f"rating {event['rating']} out of range"
    if not event["user_id"] or not event["new_episode_id"]:
        return None, "empty user_id or new_episode_id"
    if event["event"] == "rate" and not (event["rating"] is not None and 1 <= event["rating"] <= 5):
        return None, f"rate event with rating {event['rating']!r} outside 1..5"
    return event, ""
