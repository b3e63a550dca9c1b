"""The data directory: Delta tables under ``<data dir>/delta`` and the files the assets write beside them.

docs/architecture.md: loading a partitioned Delta asset through the IO manager is unsafe across partitions, so
whole-table readers (embeddings, KNN, ALS) read here and declare ``deps``.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from deltalake import DeltaTable

from podcast_assets.common import storage


class DeltaTables(dg.ConfigurableResource):
    root: str

    def uri(self, table: str) -> str:
        return f"{self.root.rstrip('/')}/{table}"

    def exists(self, table: str) -> bool:
        return DeltaTable.is_deltatable(self.uri(table))

    def table(self, table: str) -> DeltaTable | None:
        return DeltaTable(self.uri(table)) if self.exists(table) else None

    def files(self, table: str) -> tuple[list[str], int | None]:
        """The data files of a table's current version (from its log) and that version: what Spark reads
        (``read_table`` of ``recommendations/spark_als.py``), with ``uri(table)`` as its base path."""
        dt = self.table(table)
        return (dt.file_uris(), dt.version()) if dt is not None else ([], None)

    def arrow(self, table: str, columns: list[str] | None = None, filters=None) -> pa.Table | None:
        dt = self.table(table)
        if dt is None:
            return None
        return dt.to_pyarrow_table(columns=columns, filters=filters)

    def row_count(self, table: str) -> int:
        """The table's rows, from its log's file statistics: no data file is read."""
        dt = self.table(table)
        if dt is None:
            return 0
        return int(pc.sum(pa.table(dt.get_add_actions(flatten=True)).column("num_records")).as_py() or 0)

    def pandas(self, table: str, columns: list[str] | None = None, filters=None) -> pd.DataFrame:
        data = self.arrow(table, columns, filters)
        return data.to_pandas() if data is not None else pd.DataFrame(columns=columns or [])

    def latest_vectors(self, model: str) -> pd.DataFrame:
        """The newest embedding of each episode for ``model`` (re-embedding appends, never replaces)."""
        v = self.pandas("vectors", ["episode_id", "embedding", "model", "created_at", "batch_id"],
                        filters=[("model", "=", model)])
        return (v.sort_values("created_at", kind="stable").drop_duplicates("episode_id", keep="last")
                .reset_index(drop=True))

    def titles(self) -> dict[str, str]:
        """Episode id to episode title, from the ``episodes`` and ``feed_episodes`` tables (empty before the
        first ingest)."""
        t = pd.concat([self.pandas(name, ["episode_id", "episode_title"]) for name in ("feed_episodes", "episodes")])
        return dict(zip(t["episode_id"], t["episode_title"]))

    def shows(self) -> dict[str, tuple[str, str]]:
        """Episode id to (show, episode title), from the transcripts status table, which keeps every episode
        transcribed (``episodes`` holds the current trending ones only)."""
        t = self.pandas("transcripts", ["episode_id", "podcast_title", "episode_title"]).drop_duplicates(
            "episode_id", keep="last")
        return {e: (str(p), str(t_)) for e, p, t_ in zip(t["episode_id"], t["podcast_title"], t["episode_title"])}


class DataDir(dg.ConfigurableResource):
    """Files the assets write outside Delta: this process's scratch (audio being converted and transcribed) in
    ``path``, and the durable artefacts every process reads (transcript files, model versions, the keyword
    index, exports) under ``storage_uri``: a local folder or object storage (``common/storage.py``)."""

    path: str
    storage_uri: str = ""  # "": under ``path``
    keep_wav: bool = False  # keep each episode's WAV after its transcript is committed
    # steps on workers of other hosts (runs/workers.py): a download leaves its WAV under ``storage_uri`` for
    # whichever worker transcribes it, since no two share scratch
    stage_audio: bool = False

    def artefacts(self, *parts: str) -> str:
        """The URI of a durable artefact (nothing is created: a write creates what it needs)."""
        return storage.join(self.storage_uri or self.path, *parts)

    def folder(self, *parts: str) -> Path:
        """``<data dir>/<parts...>``, created on first use (never at import or resource set-up)."""
        folder = Path(self.path).expanduser().resolve().joinpath(*parts)
        folder.mkdir(parents=True, exist_ok=True)
        return folder
