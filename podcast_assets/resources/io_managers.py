"""The IO managers: Delta tables at ``<data dir>/delta/<asset>`` and MongoDB upserts with a Delta fallback.

The Delta one is ours, not dagster-deltalake's: with deltalake 1.x that package's table statistics fail on
every write (it hands an arro3 table to ``pa.Table.from_batches``, and logs "error while computing table
stats"), and it overwrote only the first day of a partition range (docs/architecture.md).

The Mongo IO manager reads where an asset's rows go from its definition metadata:
``mongo_collection``, ``mongo_keys`` (the fields that identify a document) and optional
``mongo_indexes``; the database is the Mongo resource's ``database``.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pandas as pd
import pyarrow as pa
from deltalake import DeltaTable, write_deltalake

from podcast_assets.common.delta_writes import replace_days
from podcast_assets.resources.mongo import UNAVAILABLE, MongoResource
from podcast_assets.resources.mongo_sink import to_documents


def table_schema(schema: pa.Schema) -> dg.TableSchema:
    """An Arrow schema as the ``dagster/column_schema`` the UI shows."""
    return dg.TableSchema(columns=[dg.TableColumn(f.name, str(f.type)) for f in schema])


class DeltaFrameIOManager(dg.ConfigurableIOManager):
    """pandas frames as Delta tables at ``<root>/<asset name>`` (the layout ``DeltaTables`` and the CLI
    read). An unpartitioned asset replaces its table; a daily-partitioned one replaces the days of its
    partition range in one commit, by the date column its ``partition_expr`` metadata names."""

    root: str

    def _uri(self, context) -> str:
        return f"{self.root.rstrip('/')}/{context.asset_key.path[-1]}"

    @staticmethod
    def _days(context, definition) -> tuple[str, dt.date, dt.date]:
        """The date column and the inclusive days of ``context``'s partition range."""
        column = (definition.definition_metadata or {}).get("partition_expr")
        if not column:
            raise ValueError(f"{definition.asset_key.to_user_string()}: a partitioned Delta asset needs "
                             "partition_expr metadata (its date column)")
        window = context.asset_partitions_time_window
        return column, window.start.date(), (window.end - dt.timedelta(days=1)).date()

    def handle_output(self, context: dg.OutputContext, obj: pd.DataFrame) -> None:
        uri, table = self._uri(context), pa.Table.from_pandas(obj, preserve_index=False)
        if context.has_asset_partitions:
            column, first, last = self._days(context, context)
            replace_days(uri, table, first, last, column)
        else:
            write_deltalake(uri, table, mode="overwrite", schema_mode="overwrite")
        context.add_output_metadata({"dagster/row_count": len(obj), "dagster/column_schema": table_schema(table.schema),
                                     "table_uri": dg.MetadataValue.path(uri)})

    def load_input(self, context: dg.InputContext) -> pd.DataFrame:
        upstream = context.upstream_output
        filters = None
        if context.has_asset_partitions:  # the upstream days this input maps to
            column, first, last = self._days(context, upstream)
            filters = [(column, ">=", first), (column, "<=", last)]
        return DeltaTable(self._uri(upstream)).to_pandas(filters=filters)


def delta_io_manager(delta_uri: str) -> DeltaFrameIOManager:
    """The IO manager of the tables under ``delta_uri`` (``Settings.delta_uri``: a path or an object store)."""
    return DeltaFrameIOManager(root=delta_uri.rstrip("/"))


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
                "replayed_from_fallback": report.replayed,
                "dagster/column_schema": table_schema(pa.Schema.from_pandas(obj, preserve_index=False))}
        if report.status != "fallback":  # the collection's size; this write's share is "documents"
            try:
                meta["dagster/row_count"] = self.mongo.count(db, name)
            except UNAVAILABLE:
                pass
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
