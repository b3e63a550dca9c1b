"""Versioned model artefacts under a storage URI (a local folder or object storage, ``common/storage.py``): each
training gets a new version folder; ``LATEST`` moves only when it is complete.

Object stores have no rename, so a version is written in place and made visible by its ``COMPLETE`` marker,
written last: readers never take a version without it, and earlier versions are never touched. A folder
without the marker, older than the newest complete version and begun more than ``ABANDONED_AFTER`` ago, was left
by a killed training and goes at the next ``prune`` (a training may run outside the daemon's
``recommendations`` pool, from the CLI, so a younger one may still be written).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import uuid

import numpy as np

from podcast_assets.common import storage

# a version the Spark engine wrote holds its factors as Parquet tables: (ids document, id column)
ABANDONED_AFTER = dt.timedelta(hours=24)
FACTOR_TABLES = {"user_factors": ("users", "user_id"), "item_factors": ("items", "episode_id")}


def new_version() -> str:
    # microseconds: two versions made within one second still sort in the order they were made
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f") + "-" + uuid.uuid4().hex[:6]


def save_version(root, arrays: dict[str, np.ndarray], documents: dict[str, object]) -> str:
    version, folder = begin_version(root)
    for name, arr in arrays.items():
        buffer = io.BytesIO()
        np.save(buffer, arr)
        storage.write_bytes(storage.join(folder, f"{name}.npy"), buffer.getvalue())
    return complete_version(root, version, documents)


def begin_version(root) -> tuple[str, str]:
    """A new version's name and the URI of its folder, where its artefacts are written (Spark's executors
    write theirs there too) before ``complete_version`` makes it visible."""
    version = new_version()
    return version, storage.join(str(root), version)


def complete_version(root, version: str, documents: dict[str, object]) -> str:
    folder = storage.join(str(root), version)
    for name, doc in documents.items():
        storage.write_text(storage.join(folder, f"{name}.json"), json.dumps(doc, indent=1, default=str))
    storage.write_text(storage.join(folder, "COMPLETE"), version)
    storage.write_text(storage.join(str(root), "LATEST"), version)
    return version


def latest_version(root) -> str | None:
    pointer = storage.join(str(root), "LATEST")
    return storage.read_text(pointer).strip() if storage.is_file(pointer) else None


def load_version(root, version: str | None = None) -> tuple[str, dict[str, np.ndarray], dict[str, object]]:
    """A version's arrays and documents. Factor tables of the Spark engine (an id and its features per row) are
    read into the same arrays and id lists, for the readers that work in one process (the hybrid lists)."""
    version = version or latest_version(root)
    folder = storage.join(str(root), version or "")
    if not version or not storage.is_file(storage.join(folder, "COMPLETE")):
        raise FileNotFoundError(f"no complete model version under {root}")
    arrays, docs = {}, {}
    for name in storage.names(folder):
        if name.endswith(".npy"):
            arrays[name[:-4]] = np.load(io.BytesIO(storage.read_bytes(storage.join(folder, name))), allow_pickle=False)
        elif name.endswith(".json"):
            docs[name[:-5]] = json.loads(storage.read_text(storage.join(folder, name)))
        elif name in FACTOR_TABLES:
            import pyarrow.parquet as pq

            ids, column = FACTOR_TABLES[name]
            table = pq.read_table(storage.join(folder, name)).to_pandas()
            docs[ids] = table[column].astype(str).tolist()
            arrays[name] = (np.stack(table["features"].to_numpy()).astype(np.float32) if len(table)
                            else np.zeros((0, 1), np.float32))
    return version, arrays, docs


def _folders(root) -> list[str]:
    return [n for n in storage.names(str(root)) if not n.startswith(".") and n not in ("LATEST",)]


def _begun(folder: str) -> dt.datetime:
    try:
        return dt.datetime.strptime(folder.split("-", 1)[0], "%Y%m%dT%H%M%S%f").replace(tzinfo=dt.UTC)
    except ValueError:  # not a version's name: never taken for an abandoned one
        return dt.datetime.max.replace(tzinfo=dt.UTC)


def has_factor_tables(root, version: str) -> bool:
    """Whether a version holds Spark's factor tables (the Spark engine's) rather than arrays."""
    return storage.exists(storage.join(str(root), version, "user_factors"))


def versions(root) -> list[str]:
    return [v for v in _folders(root) if storage.is_file(storage.join(str(root), v, "COMPLETE"))]


def document(root, version: str, name: str) -> dict:
    path = storage.join(str(root), version, f"{name}.json")
    return json.loads(storage.read_text(path)) if storage.is_file(path) else {}


def newest_version_where(root, accept) -> str | None:
    """The newest complete version whose ``metrics`` document ``accept`` returns true for."""
    return next((v for v in reversed(versions(root)) if accept(document(root, v, "metrics"))), None)


def prune(root, keep: int, also_keep: set[str] = frozenset()) -> list[str]:
    """Remove all but the newest ``keep`` versions (and ``also_keep``, e.g. the one users are served), and the
    incomplete folders older than the newest version; returns the removed versions. ``LATEST`` always points
    into the kept ones."""
    all_versions = versions(root)
    kept = set(all_versions[-keep:]) | set(also_keep) | {latest_version(root)}
    removed = [v for v in all_versions if v not in kept]
    abandoned = [f for f in _folders(root) if f not in all_versions and all_versions and f < all_versions[-1]
                 and _begun(f) < dt.datetime.now(dt.UTC) - ABANDONED_AFTER]
    for v in removed + abandoned:
        storage.remove_tree(storage.join(str(root), v))
    return removed
