"""Kafka offset bookkeeping: sensor cursors, the ranges to read, names for ranges, message bodies."""

from __future__ import annotations

import json


def new_ranges(cursor: dict[int, int], ends: dict[int, int], max_per_partition: int | None = None) -> dict[int, tuple[int, int]]:
    """``{partition: (start, end)}`` for every partition with offsets past the cursor."""
    out = {}
    for p, end in ends.items():
        start = cursor.get(p, 0)
        if max_per_partition is not None:
            end = min(end, start + max_per_partition)
        if end > start:
            out[p] = (start, end)
    return out


def range_key(topic: str, ranges: dict[int, tuple[int, int]]) -> str:
    """A stable, readable name for the offset ranges a run read (shown in its metadata)."""
    return f"{topic}:" + ",".join(f"{p}@{s}-{e}" for p, (s, e) in sorted(ranges.items()))


def json_object(value: bytes | None) -> tuple[dict | None, str]:
    """A message body as a JSON object, or why it is not one."""
    try:
        doc = json.loads(value or b"")
    except (ValueError, UnicodeDecodeError) as exc:
        return None, f"not JSON: {str(exc)[:80]}"
    if not isinstance(doc, dict):
        return None, "not a JSON object"
    return doc, ""


def load_topic_cursor(raw: str | None) -> tuple[str | None, dict[int, int], dict[int, str]]:
    """A sensor cursor: the topic id it was read from, the next offset and the last key per partition.
    A cursor of plain ``{partition: offset}`` (written before topic ids were kept) loads too."""
    doc = json.loads(raw) if raw else {}
    if "offsets" not in doc:
        return None, {int(p): int(o) for p, o in doc.items()}, {}
    return (doc.get("topic_id"), {int(p): int(o) for p, o in doc["offsets"].items()},
            {int(p): str(k) for p, k in doc.get("last_keys", {}).items()})


def dump_topic_cursor(topic_id: str | None, offsets: dict[int, int], last_keys: dict[int, str]) -> str:
    return json.dumps({"topic_id": topic_id, "offsets": {str(p): o for p, o in sorted(offsets.items())},
                       "last_keys": {str(p): k for p, k in sorted(last_keys.items())}})


def recreated(cursor_topic_id: str | None, topic_id: str | None, offsets: dict[int, int], ends: dict[int, int],
              keys_at_cursor: dict[int, str], last_keys: dict[int, str]) -> str:
    """Why the topic is not the one the cursor was read from ("" when it is): a new topic id, an end
    behind the cursor, or a different record (key) just before the cursor."""
    if cursor_topic_id and topic_id and cursor_topic_id != topic_id:
        return "the topic id changed"
    behind = {p: (ends.get(p, 0), o) for p, o in offsets.items() if o > ends.get(p, 0)}
    if behind:
        return f"partitions end before the cursor ({behind}: end, cursor)"
    changed = sorted(p for p, key in keys_at_cursor.items() if p in last_keys and last_keys[p] != key)
    return f"the records before the cursor of partitions {changed} changed" if changed else ""
