"""MongoDB behind one resource: the server, the databases, and the one write path (``MongoSink``).

Every write to MongoDB, by the IO manager or by an asset that publishes a versioned set, goes
through ``write`` / ``publish``: idempotent upserts, a Delta fallback when the server is down,
and the replay of that fallback on the next write.
"""

from __future__ import annotations

import dagster as dg
from pydantic import Field
from pymongo import MongoClient

from podcast_assets.resources.mongo_sink import (
    UNAVAILABLE,
    MongoSink,
    WriteReport,
    current_version,
    publish_version,
    switch_to,
    write_rows,
)
from podcast_assets.settings import DEFAULTS as D

__all__ = ["UNAVAILABLE", "MongoResource", "WriteReport"]


class MongoResource(dg.ConfigurableResource):
    uri: str = Field(description="mongodb:// connection string; may carry credentials, never logged")
    timeout_ms: int = D.MONGO_TIMEOUT_MS
    database: str = Field(default=D.MONGO_DB, description="episodes catalog and similarities")
    recommendations_database: str = D.MONGO_RECS_DB
    fallback_dir: str = Field(description="where Delta fallback tables go while MongoDB is down")

    def client(self) -> MongoClient:
        return MongoClient(self.uri, serverSelectionTimeoutMS=self.timeout_ms,
                           connectTimeoutMS=self.timeout_ms, socketTimeoutMS=max(self.timeout_ms * 10, 30000))

    @property
    def safe_address(self) -> str:
        """The host part of the URI without credentials, for logs and metadata."""
        rest = self.uri.split("://", 1)[-1]
        return rest.rsplit("@", 1)[-1].split("/", 1)[0]

    def write(self, db: str, collection: str, docs: list[dict],
              indexes: list[list[tuple[str, int]]] = (), replace_by: tuple[str, ...] = ()) -> WriteReport:
        """Upsert ``docs`` (with deterministic ``_id``s) after replaying any fallback rows; with
        ``replace_by``, each set those fields name is replaced, not added to (``MongoSink``)."""
        def create_indexes(coll):
            for keys in indexes:
                coll.create_index([tuple(k) for k in keys])

        with self.client() as client:
            return MongoSink(client, db, collection, self.fallback_dir, replace_by=replace_by).write(
                docs, before_write=create_indexes)

    def publish(self, db: str, collection: str, docs: list[dict], version: str) -> WriteReport:
        """Write a complete versioned set, then switch the pointer readers follow (see ``mongo_sink``)."""
        with self.client() as client:
            return publish_version(MongoSink(client, db, collection, self.fallback_dir), docs, version)

    def publish_frame(self, db: str, collection: str, rows, version: str) -> WriteReport:
        """``publish`` for a Spark DataFrame of documents (``_id`` and ``model_version`` columns included): the
        executors upsert their partitions, each keeping what it cannot write in the Delta fallback; the driver
        replays an earlier outage first and switches the pointer once the whole set is in."""
        replayed = 0
        MongoSink(None, db, collection, self.fallback_dir).ensure_fallback()
        try:
            with self.client() as client:
                replayed = MongoSink(client, db, collection, self.fallback_dir).replay()
        except UNAVAILABLE:
            pass  # the tasks meet the outage too and keep their documents
        context = rows.sparkSession.sparkContext
        written, kept = context.accumulator(0), context.accumulator(0)
        uri, timeout_ms, fallback_dir = self.uri, self.timeout_ms, self.fallback_dir  # the task needs no resource

        def task(partition):
            with MongoClient(uri, serverSelectionTimeoutMS=timeout_ms, connectTimeoutMS=timeout_ms,
                             socketTimeoutMS=max(timeout_ms * 10, 30000)) as client:
                done, left = write_rows((r.asDict() for r in partition), client, db, collection, fallback_dir)
            written.add(done)
            kept.add(left)

        rows.foreachPartition(task)
        if kept.value:
            return WriteReport("fallback", written.value, replayed=replayed, fallback_rows=kept.value,
                               fallback_table=MongoSink(None, db, collection, self.fallback_dir).fallback_path)
        with self.client() as client:
            return WriteReport("mongo", written.value, replayed=replayed,
                               error=switch_to(client, db, collection, version))

    def pending_fallback(self, db: str, collection: str) -> int:
        """Documents of ``db.collection`` waiting in its Delta fallback table for MongoDB to answer again."""
        return MongoSink(None, db, collection, self.fallback_dir).pending_rows()

    def fallback_mark(self, db: str, collection: str) -> str:
        """What waits in the Delta fallback of ``db.collection``, as ``<rows>@<newest write>`` ("" for nothing)."""
        return MongoSink(None, db, collection, self.fallback_dir).pending_mark()

    def newest_fallback(self, db: str, collection: str) -> dict | None:
        return MongoSink(None, db, collection, self.fallback_dir).newest_pending()

    def reachable(self) -> bool:
        """Whether the server answers a ping within the timeout."""
        try:
            with self.client() as client:
                client.admin.command("ping")
            return True
        except UNAVAILABLE:
            return False

    def find(self, db: str, collection: str, query: dict, sort: list[tuple[str, int]] | None = None,
             limit: int = 0) -> list[dict]:
        with self.client() as client:
            cursor = client[db][collection].find(query)
            if sort:
                cursor = cursor.sort(sort)
            return list(cursor.limit(limit))

    def count(self, db: str, collection: str, query: dict | None = None) -> int:
        with self.client() as client:
            return client[db][collection].count_documents(query or {})

    def current_version(self, db: str, collection: str) -> str | None:
        with self.client() as client:
            return current_version(client, db, collection)
