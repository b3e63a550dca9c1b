"""A Dagster IO manager over ``MongoSink``: upserts an asset's rows, falls back to Delta, replays.

The asset says where its rows go in its definition metadata: ``mongo_db``, ``mongo_collection``,
``mongo_keys`` (the fields that identify a document) and optional ``mongo_indexes``.
"""

from __future__ import annotations

import dagster as dg
import pandas as pd

from podcast_assets.io_managers.mongo_sink import MongoSink, to_documents
from podcast_assets.resources.mongo import UNAVAILABLE, MongoResource


def _target(context) -> tuple[str, str, list[str], list]:
    meta = context.definition_metadata or {}
    key = context.asset_key.path[-1] if context.has_asset_key else context.name
    return (meta.get("mongo_db", "podcasts"), meta.get("mongo_collection", key),
            list(meta.get("mongo_keys", ["_id"])), list(meta.get("mongo_indexes", [])))


class MongoIOManager(dg.ConfigurableIOManager):
    mongo: MongoResource
    delta_dir: str

    def handle_output(self, context: dg.OutputContext, obj) -> None:
        db, name, keys, indexes = _target(context)
        docs = to_documents(obj, keys)
        with self.mongo.client() as client:
            sink = MongoSink(client, db, name, self.delta_dir)

            def create_indexes(coll):
                self.mongo.ensure_indexes(coll, [[tuple(k) for k in ix] for ix in indexes])

            report = sink.write(docs, before_write=create_indexes)
        meta = {"mongo_target": f"{db}.{name}", "mongo_status": report.status, "documents": len(docs),
                "replayed_from_fallback": report.replayed}
        if report.status == "fallback":
            context.log.warning(
                f"MongoDB at {self.mongo.safe_address} unreachable ({report.error}); {len(docs)} documents "
                f"written to the Delta fallback {report.fallback_table}; they are replayed on the next write")
            meta.update({"fallback_table": report.fallback_table, "fallback_rows": report.fallback_rows})
        else:
            context.log.info(f"upserted {len(docs)} documents into {db}.{name}"
                             + (f" after replaying {report.replayed} from the fallback" if report.replayed else ""))
        context.add_output_metadata(meta)

    def load_input(self, context: dg.InputContext) -> pd.DataFrame:
        db, name, _, _ = _target(context.upstream_output)
        try:
            with self.mongo.client() as client:
                docs = list(client[db][name].find({}))
        except UNAVAILABLE as exc:
            raise RuntimeError(f"MongoDB at {self.mongo.safe_address} is unreachable reading {db}.{name}") from exc
        return pd.DataFrame(docs)
