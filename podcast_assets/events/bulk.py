"""Listener events parsed and checked in bulk with Arrow, for ingestion at producer speed.

Per-message ``json.loads`` and ``schema.validate`` cost more than reading the message from Kafka, so
the messages that look like one JSON object per line are joined and parsed by ``pyarrow.json`` in
one call, and the contract is checked column-wise. This path only ever *accepts*: a message it is
not sure of (a parse error anywhere in its slice, a null or out-of-range field, a day outside the
partitions) is handed back by index to ``schema.validate``, which decides and says why. So a message
is valid here exactly when it is valid there.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from podcast_assets.events.schema import EVENT_TYPES, REQUIRED

EVENT_SCHEMA = pa.schema([
    ("event_id", pa.string()), ("ts", pa.timestamp("us", "UTC")), ("user_id", pa.string()),
    ("new_episode_id", pa.string()), ("event", pa.string()), ("device", pa.string()), ("rating", pa.int32()),
    ("position_sec", pa.float64()), ("from_sec", pa.float64()), ("to_sec", pa.float64()),
    ("played_pct", pa.float64()),
])
_OPTIONS = pj.ParseOptions(explicit_schema=EVENT_SCHEMA, unexpected_field_behavior="ignore")
_NUMBERS = ("position_sec", "from_sec", "to_sec", "played_pct")


def _parse(values: list[bytes], idx: list[int], dropped: list[int]) -> list[tuple[list[int], pa.Table]]:
    """Slices of ``idx`` that parse with one row per message; a failing slice is halved until the
    messages that do not parse stand alone (those go to ``dropped``)."""
    if not idx:
        return []
    try:
        table = pj.read_json(pa.BufferReader(b"\n".join(values[i] for i in idx)), parse_options=_OPTIONS)
        if table.num_rows == len(idx):  # e.g. ``{}{}`` would be two rows for one message
            return [(idx, table)]
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    if len(idx) == 1:
        dropped.append(idx[0])
        return []
    mid = len(idx) // 2
    return _parse(values, idx[:mid], dropped) + _parse(values, idx[mid:], dropped)


def _sure(table: pa.Table, days: tuple[dt.date, dt.date] | None) -> pa.ChunkedArray:
    """Rows that certainly pass the contract (``schema.validate``) and fall inside ``days``."""
    ok = pc.and_(pc.is_valid(table["ts"]), pc.is_in(table["event"], pa.array(EVENT_TYPES)))
    for name in REQUIRED:
        ok = pc.and_(ok, pc.is_valid(table[name]))
    for name in ("user_id", "new_episode_id"):
        ok = pc.and_(ok, pc.greater(pc.utf8_length(table[name]), 0))
    rating_ok = pc.and_(pc.greater_equal(table["rating"], 1), pc.less_equal(table["rating"], 5))
    ok = pc.and_(ok, pc.or_kleene(pc.not_equal(table["event"], "rate"), pc.fill_null(rating_ok, False)))
    if days is not None:
        day = pc.cast(table["ts"], pa.date32())
        ok = pc.and_(ok, pc.and_(pc.greater_equal(day, pa.scalar(days[0])), pc.less_equal(day, pa.scalar(days[1]))))
    return pc.fill_null(ok, False)


def parse_events(values: list[bytes | None], days: tuple[dt.date, dt.date] | None = None) -> tuple[pa.Table, list[int]]:
    """Valid events as a table (``EVENT_SCHEMA`` plus ``day`` and ``_i``, the message's index in
    ``values``), and the indices of the messages ``schema.validate`` must decide."""
    looks_right, unsure = [], []
    for i, v in enumerate(values):  # one JSON object on one line, or straight to ``validate``
        (looks_right if v and v[:1] == b"{" and v[-1:] == b"}" and b"\n" not in v else unsure).append(i)
    parts = _parse(values, looks_right, unsure)
    if not parts:
        return pa.table({**{f.name: pa.array([], f.type) for f in EVENT_SCHEMA}, "day": pa.array([], pa.date32()),
                         "_i": pa.array([], pa.int64())}), unsure
    table = pa.concat_tables([t for _, t in parts]).append_column(
        "_i", pa.array([i for idx, _ in parts for i in idx], pa.int64()))
    sure = _sure(table, days)
    unsure += table.filter(pc.invert(sure))["_i"].to_pylist()
    table = table.filter(sure)
    for name in _NUMBERS:  # the contract reads a null number as 0
        table = table.set_column(table.schema.get_field_index(name), name, pc.fill_null(table[name], 0.0))
    table = table.append_column("day", pc.cast(table["ts"], pa.date32()))
    return table, sorted(unsure)
