"""The IO managers: Delta tables at ``<data dir>/delta/<asset>`` and MongoDB upserts with a Delta fallback.

The Mongo IO manager reads where an asset's rows go from its definition metadata:
``mongo_collection``, ``mongo_keys`` (the fields that identify a document) and optional
``mongo_indexes``; the database is the Mongo resource's ``database``.
"""

from __future__ import annotations

import dagster as dg
import pandas as pd
from dagster_deltalake import LocalConfig
from dagster_deltalake_pandas import DeltaLakePandasIOManager

from podcast_assets.resources.mongo import UNAVAILABLE, MongoResource
from podcast_assets.resources.mongo_sink import to_documents


def delta_io_manager(data_dir: str) -> DeltaLakePandasIOManager:
    # root_uri + schema "delta" puts every table at <data dir>/delta/<asset name>, the layout the
    # direct readers (DeltaTables) and the CLI share; delta-rs creates the folders on first write.
    return DeltaLakePandasIOManager(root_uri=data_dir, schema="delta", storage_options=LocalConfig())


def _target(context) -> tuple[str, list[str], list, tuple[str, ...]]:
    meta = context.definition_metadata or {}
    key = context.asset_key.path[-1] if context.has_asset_key else context.name
    return (meta.get("mongo_collection", key), list(meta.get("mongo_keys", ["_id"])),
            list(meta.get("mongo_indexes", [])), tuple(meta.get("mongo_replace_by", ())))


class MongoIOManager(dg.ConfigurableIOManager):
    mongo: MongoResource

    def handle_output(self, context: dg.OutputContext, obj) -> None:
        name, keys, indexes, replace_by = _target(context)
        db = self.mongo.database
        docs = to_documents(obj, keys)
        report = self.mongo.write(db, name, docs, indexes, replace_by)
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
        name, _, _, _ = _target(context.upstream_output)
        try:
            docs = self.mongo.find(self.mongo.database, name, {})
        except UNAVAILABLE as exc:
            raise RuntimeError(f"MongoDB at {self.mongo.safe_address} is unreachable reading {name}") from exc
        return pd.DataFrame(docs)
