"""An episode's outcome: its one row of the Delta ``transcripts`` table (the episode status table).

Every episode partition ends with one: ``transcribed``, ``skipped_not_english`` or ``failed: <reason>``. A run
retried after it was killed (Dagster run retries, ``transcripts/sensors.py``) keeps the outcomes its earlier
attempts wrote: ``outcomes_since`` tells it which, by the time the first attempt started.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
from deltalake import DeltaTable

from podcast_assets.common.delta_writes import upsert

TRANSCRIPT_SCHEMA = pa.schema([
    ("episode_id", pa.string()), ("podcast_title", pa.string()), ("episode_title", pa.string()),
    ("transcript", pa.string()), ("date", pa.string()), ("status", pa.string()), ("language", pa.string()),
    ("language_probability", pa.float64()), ("duration", pa.float64()), ("model", pa.string()),
    ("source", pa.string()), ("file_stem", pa.string()), ("created_at", pa.timestamp("us", "UTC")),
    ("analyzed", pa.bool_()), ("analyzed_at", pa.string()),
])


def outcome_row(ep: dict, episode_id: str, status: str, **fields) -> dict:
    now = dt.datetime.now(dt.UTC)
    return {"episode_id": episode_id, "podcast_title": ep.get("podcast_title", ""),
            "episode_title": ep.get("episode_title", ""), "date": now.date().isoformat(), "created_at": now,
            "analyzed": False, "analyzed_at": None, "status": status, "transcript": "", "language": "",
            "language_probability": 0.0, "duration": 0.0, "model": "", "source": "none", "file_stem": "", **fields}


def record(table_uri: str, rows: list[dict]) -> None:
    """Each episode's outcome as its one row, replacing any earlier."""
    if rows:
        upsert(table_uri, pa.Table.from_pylist(rows, TRANSCRIPT_SCHEMA), "episode_id")


def outcomes_since(table_uri: str, episode_ids: list[str], since: dt.datetime | None) -> dict[str, str]:
    """The status of each of ``episode_ids`` whose outcome row was written at or after ``since`` (all of them
    with ``since=None``)."""
    if not episode_ids or not DeltaTable.is_deltatable(table_uri):
        return {}
    # one row per episode: read whole (an "in" filter meets string_view columns that pyarrow cannot compare)
    rows = DeltaTable(table_uri).to_pyarrow_table(columns=["episode_id", "status", "created_at"]).to_pylist()
    wanted = set(episode_ids)
    return {r["episode_id"]: r["status"] for r in rows
            if r["episode_id"] in wanted and (since is None or r["created_at"] >= since)}


def killed_outcome(attempts: int, why: str = "") -> str:
    """The outcome of an episode whose runs all ended before it had one (killed, out of memory, lost)."""
    return f"failed: run killed {attempts} time{'s' if attempts != 1 else ''}" + (f" ({why})" if why else "")

