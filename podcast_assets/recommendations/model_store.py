"""Versioned model artefacts: each training gets a new directory; ``LATEST`` moves only when it is complete.

A version directory is written under a temporary name and renamed into place, so a half-written
version is never visible; earlier versions are never touched.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import uuid
from pathlib import Path

import numpy as np


def new_version() -> str:
    # microseconds: two versions made within one second still sort in the order they were made
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f") + "-" + uuid.uuid4().hex[:6]


def save_version(root: Path, arrays: dict[str, np.ndarray], documents: dict[str, object]) -> str:
    version, tmp = begin_version(root)
    for name, arr in arrays.items():
        np.save(tmp / f"{name}.npy", arr)
    return complete_version(root, version, documents)


def begin_version(root: Path) -> tuple[str, Path]:
    """A new version's name and the hidden folder its artefacts are written into (Spark's executors write
    theirs there too) before ``complete_version`` renames it into place."""
    root.mkdir(parents=True, exist_ok=True)
    version = new_version()
    tmp = root / f".{version}.partial"
    tmp.mkdir()
    return version, tmp


def complete_version(root: Path, version: str, documents: dict[str, object]) -> str:
    tmp = root / f".{version}.partial"
    for name, doc in documents.items():
        (tmp / f"{name}.json").write_text(json.dumps(doc, indent=1, default=str))
    (tmp / "COMPLETE").write_text(version)
    os.replace(tmp, root / version)
    pointer = root / ".LATEST.tmp"
    pointer.write_text(version)
    os.replace(pointer, root / "LATEST")
    return version


def latest_version(root: Path) -> str | None:
    pointer = root / "LATEST"
    return pointer.read_text().strip() if pointer.exists() else None


FACTOR_TABLES = {"user_factors": ("users", "user_id"), "item_factors": ("items", "episode_id")}  # Spark's versions


def load_version(root: Path, version: str | None = None) -> tuple[str, dict[str, np.ndarray], dict[str, object]]:
    """A version's arrays and documents. A version the Spark engine wrote holds its factors as Parquet tables
    (``user_factors/``, ``item_factors/``: an id and its features); they are read here into the same arrays and
    id lists, for the readers that work in one process (the hybrid lists)."""
    version = version or latest_version(root)
    if not version or not (root / version / "COMPLETE").exists():
        raise FileNotFoundError(f"no complete model version under {root}")
    folder = root / version
    arrays = {p.stem: np.load(p, allow_pickle=False) for p in folder.glob("*.npy")}
    docs = {p.stem: json.loads(p.read_text()) for p in folder.glob("*.json")}
    for name, (ids, column) in FACTOR_TABLES.items():
        if (folder / name).is_dir():
            import pyarrow.parquet as pq

            table = pq.read_table(folder / name).to_pandas()
            docs[ids] = table[column].astype(str).tolist()
            arrays[name] = (np.stack(table["features"].to_numpy()).astype(np.float32) if len(table)
                            else np.zeros((0, 1), np.float32))
    return version, arrays, docs


def versions(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.is_dir() and (p / "COMPLETE").exists()) if root.exists() else []


def document(root: Path, version: str, name: str) -> dict:
    path = root / version / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else {}


def newest_version_where(root: Path, accept) -> str | None:
    """The newest complete version whose ``metrics`` document ``accept`` returns true for."""
    return next((v for v in reversed(versions(root)) if accept(document(root, v, "metrics"))), None)


def prune(root: Path, keep: int, also_keep: set[str] = frozenset()) -> list[str]:
    """Remove all but the newest ``keep`` versions (and ``also_keep``, e.g. the one users are served);
    returns the removed ones. ``LATEST`` always points into the kept ones."""
    all_versions = versions(root)
    kept = set(all_versions[-keep:]) | set(also_keep) | {latest_version(root)}
    removed = [v for v in all_versions if v not in kept]
    for v in removed:
        shutil.rmtree(root / v, ignore_errors=True)
    return removed
