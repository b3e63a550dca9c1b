"""Idempotent upserts into MongoDB, with a Delta fallback table and its replay (used by ``mongo.py``).

Each document gets a deterministic ``_id`` built from its key fields, so writing the same rows
again replaces them instead of duplicating them. When MongoDB cannot be reached the same rows are
appended to ``delta/fallback_<db>_<collection>`` (documents as Extended JSON, so any shape fits);
the next write to that collection replays them first and deletes exactly the replayed rows
(``runs/sensors.py`` asks for that write as soon as MongoDB answers again).
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute
from bson import json_util
from deltalake import DeltaTable, write_deltalake
from pymongo import MongoClient, ReplaceOne
from pymongo.errors import ConnectionFailure, ServerSelectionTimeoutError

# Errors that mean "MongoDB is not there right now" (as opposed to a bad document).
UNAVAILABLE = (ConnectionFailure, ServerSelectionTimeoutError)

RETRY_WAITS = (2.0, 5.0)  # seconds before asking an unanswering server again, then the fallback
FALLBACK_SCHEMA = pa.schema([("_id", pa.string()), ("doc", pa.string()), ("written_at", pa.timestamp("us", "UTC"))])


def _plain(value):
    """numpy/pandas scalars and arrays to what BSON can store."""
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def to_documents(rows, keys: list[str]) -> list[dict]:
    records = rows.to_dict("records") if isinstance(rows, pd.DataFrame) else list(rows)
    docs = []
    for rec in records:
        doc = {k: _plain(v) for k, v in rec.items()}
        missing = [k for k in keys if doc.get(k) is None]
        if missing:
            raise ValueError(f"document lacks key field(s) {missing}: {str(doc)[:200]}")
        doc["_id"] = "|".join(str(doc[k]) for k in keys)
        docs.append(doc)
    return docs


@dataclass
class WriteReport:
    status: str  # "mongo" | "fallback"
    written: int
    replayed: int = 0
    fallback_rows: int = 0
    fallback_table: str = ""
    error: str = ""


class MongoSink:
    """``replace_by``: fields that name a set (e.g. an episode's neighbours under one model). A write
    replaces each set it touches: documents of that set it does not carry are deleted after the upsert,
    so a recompute leaves no superseded document beside the new ones (a replay does the same, batch by
    batch, in the order they were written)."""

    def __init__(self, client: MongoClient, db: str, collection: str, delta_dir: str, batch: int = 1000,
                 replace_by: tuple[str, ...] = ()):
        self.client, self.db, self.collection, self.batch = client, db, collection, batch
        self.replace_by = tuple(replace_by)
        self.fallback_path = f"{delta_dir}/fallback_{db}_{collection}"

    @property
    def coll(self):
        return self.client[self.db][self.collection]

    def _upsert(self, docs: list[dict]) -> None:
        for i in range(0, len(docs), self.batch):
            ops = [ReplaceOne({"_id": d["_id"]}, d, upsert=True) for d in docs[i:i + self.batch]]
            self.coll.bulk_write(ops, ordered=True)
        if self.replace_by:  # after the upsert: a reader sees the new set plus, briefly, the old
            sets: dict[tuple, list] = {}
            for d in docs:
                sets.setdefault(tuple(d.get(f) for f in self.replace_by), []).append(d["_id"])
            for values, ids in sets.items():
                self.coll.delete_many({**dict(zip(self.replace_by, values)), "_id": {"$nin": ids}})

    def pending(self) -> pd.DataFrame:
        if not DeltaTable.is_deltatable(self.fallback_path):
            return pd.DataFrame(columns=FALLBACK_SCHEMA.names)
        return DeltaTable(self.fallback_path).to_pandas().sort_values("written_at", kind="stable")

    def replay(self) -> int:
        """Upsert the fallback rows into MongoDB, then delete exactly those rows from the fallback."""
        rows = self.pending()
        if rows.empty:
            return 0
        for _, batch in rows.groupby("written_at", sort=True):  # one earlier write at a time, oldest first
            self._upsert([json_util.loads(d) for d in batch["doc"]])
        cutoff = rows["written_at"].max().isoformat()
        DeltaTable(self.fallback_path).delete(f"written_at <= '{cutoff}'")
        return len(rows)

    def ensure_fallback(self) -> None:
        """The fallback table created, empty, if it is not there: writers side by side (Spark tasks) then only
        append to it, where racing to create it would fail all but one."""
        if not DeltaTable.is_deltatable(self.fallback_path):
            write_deltalake(self.fallback_path, FALLBACK_SCHEMA.empty_table(), mode="append")

    def _fallback(self, docs: list[dict]) -> None:
        now = dt.datetime.now(dt.UTC)
        table = pa.table({"_id": [d["_id"] for d in docs], "doc": [json_util.dumps(d) for d in docs],
                          "written_at": [now] * len(docs)}, schema=FALLBACK_SCHEMA)
        write_deltalake(self.fallback_path, table, mode="append")

    def pending_mark(self) -> str:
        """What waits in the fallback table as ``<rows>@<newest write>`` ("" when nothing does): every fallback
        write changes it, a replay empties it."""
        if not DeltaTable.is_deltatable(self.fallback_path):
            return ""
        times = DeltaTable(self.fallback_path).to_pyarrow_table(columns=["written_at"])["written_at"]
        return f"{len(times)}@{pa.compute.max(times).as_py().isoformat()}" if len(times) else ""

    def newest_pending(self) -> dict | None:
        """The newest document that waits in the fallback table."""
        rows = self.pending()
        return json_util.loads(rows["doc"].iloc[-1]) if len(rows) else None

    def pending_rows(self) -> int:
        """How many documents wait in the fallback table (from the table's own statistics)."""
        if not DeltaTable.is_deltatable(self.fallback_path):
            return 0
        return DeltaTable(self.fallback_path).to_pyarrow_dataset().count_rows()

    def write(self, docs: list[dict], before_write=None, retry_waits: tuple[float, ...] = RETRY_WAITS,
              replay: bool = True) -> WriteReport:
        """Replay what an earlier outage left, then upsert ``docs``; on an outage keep them in Delta. A server
        that does not answer in time is asked again after each of ``retry_waits`` first (upserts keyed by
        ``_id`` are safe to repeat): a busy machine is not an outage. ``replay=False``: the caller replayed
        (Spark tasks writing one set side by side leave the replay to the driver)."""
        for attempt, wait in enumerate((*retry_waits, None)):
            try:
                replayed = self.replay() if replay else 0
                if before_write:
                    before_write(self.coll)
                self._upsert(docs)
                return WriteReport("mongo", len(docs), replayed=replayed)
            except UNAVAILABLE as exc:
                if wait is not None:
                    time.sleep(wait)
                    continue
                self._fallback(docs)
                return WriteReport("fallback", 0, fallback_rows=len(docs), fallback_table=self.fallback_path,
                                   error=f"{type(exc).__name__}, {attempt + 1} tries")
        raise AssertionError("unreachable")


POINTERS = "current_versions"


def publish_version(sink: MongoSink, docs: list[dict], version: str) -> WriteReport:
    """Write a complete new set (documents carry ``model_version``), then switch the pointer that
    readers follow, then delete older sets: a reader never sees a half-written set."""

    report = sink.write(docs)
    if report.status == "mongo":
        report.error = switch_to(sink.client, sink.db, sink.collection, version)
    return report


def switch_to(client: MongoClient, db: str, collection: str, version: str) -> str:
    """Point readers at a complete ``version`` of ``collection`` and delete the other sets ("" or what failed)."""
    try:
        client[db][POINTERS].replace_one({"_id": collection}, {"_id": collection, "model_version": version},
                                         upsert=True)
        client[db][collection].delete_many({"model_version": {"$ne": version}})
    except UNAVAILABLE as exc:  # the new set is complete; the switch is redone by the next publish
        return f"pointer switch failed: {type(exc).__name__}"
    return ""


def write_rows(rows, client: MongoClient, db: str, collection: str, fallback_dir: str,
               chunk: int = 10_000) -> tuple[int, int]:
    """Upsert an iterator of documents (``None`` fields dropped) chunk by chunk, each chunk kept in the Delta
    fallback if the server is down: (written, kept). What a Spark task runs on its partition of a set."""
    sink, written, kept, docs = MongoSink(client, db, collection, fallback_dir), 0, 0, []
    for row in itertools.chain(rows, [None]):  # None: the end, to write the last chunk
        if row is not None:
            docs.append({k: _plain(v) for k, v in row.items() if v is not None})
        if docs and (row is None or len(docs) >= chunk):
            # once a chunk fell back the server is known to be down: the rest go straight to the fallback
            report = sink.write(docs, replay=False, retry_waits=() if kept else RETRY_WAITS)
            written, kept, docs = written + report.written, kept + report.fallback_rows, []
    return written, kept


def current_version(client: MongoClient, db: str, collection: str) -> str | None:
    doc = client[db][POINTERS].find_one({"_id": collection})
    return doc["model_version"] if doc else None
