"""Kafka offset bookkeeping for sensors: cursors as ``{partition: next offset}``, ranges to read."""

from __future__ import annotations

import json


def load_cursor(raw: str | None) -> dict[int, int]:
    if not raw:
        return {}
    return {int(p): int(o) for p, o in json.loads(raw).items()}


def dump_cursor(cursor: dict[int, int]) -> str:
    return json.dumps({str(p): o for p, o in sorted(cursor.items())})


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
    """A stable name for an offset range, used as run key and Delta app-transaction id."""
    return f"{topic}:" + ",".join(f"{p}@{s}-{e}" for p, (s, e) in sorted(ranges.items()))


def parse_range_key(key: str) -> tuple[str, dict[int, tuple[int, int]]]:
    topic, _, spec = key.rpartition(":")
    ranges = {}
    for part in filter(None, spec.split(",")):
        p, span = part.split("@")
        s, e = span.split("-")
        ranges[int(p)] = (int(s), int(e))
    return topic, ranges


def json_object(value: bytes | None) -> tuple[dict | None, str]:
    """A message body as a JSON object, or why it is not one."""
    try:
        doc = json.loads(value or b"")
    except (ValueError, UnicodeDecodeError) as exc:
        return None, f"not JSON: {str(exc)[:80]}"
    if not isinstance(doc, dict):
        return None, "not a JSON object"
    return doc, ""
