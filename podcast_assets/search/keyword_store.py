"""Where the keyword index lives: one folder per passages table version under ``<data dir>/search/keywords``,
and ``current.json`` naming the newest complete one (written last, atomically, so a reader never opens a
half-written index). Older versions are removed once a newer one is current. Pure file handling.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from podcast_assets.search.keywords import TOKENS, KeywordIndex

KEPT = 2  # the current version and the one before (a reader may still have it open)


def save_version(root: Path, index: KeywordIndex, keys: pa.Table, passages_version: int, model: str) -> Path:
    """``keys``: the ``episode_id`` and ``passage`` of each of the index's rows, in order."""
    folder = root / f"v{passages_version:08d}"
    shutil.rmtree(folder, ignore_errors=True)  # a half-written folder of a killed run
    index.save(folder, {"passages_version": passages_version, "model": model})
    pq.write_table(keys.select(["episode_id", "passage"]), folder / "keys.parquet")
    tmp = root / "current.json.tmp"
    tmp.write_text(json.dumps({"folder": folder.name, "passages_version": passages_version, "model": model}))
    os.replace(tmp, root / "current.json")
    for old in sorted(p for p in root.glob("v*") if p.is_dir())[:-KEPT]:
        shutil.rmtree(old, ignore_errors=True)
    return folder


def current(root: Path) -> dict | None:
    """What ``current.json`` says (``folder``, ``passages_version``, ``model``), or None before the first index."""
    try:
        return json.loads((root / "current.json").read_text())
    except (OSError, ValueError):
        return None


def load_current(root: Path, passages_version: int, model: str, table: pa.Table) -> KeywordIndex | None:
    """The saved index if it was built from this passages table version for ``model``, its rows mapped onto
    ``table``'s (``episode_id``, ``passage``); else None (the caller builds one from what it read)."""
    pointer = current(root)
    if not pointer or pointer.get("passages_version") != passages_version or pointer.get("model") != model:
        return None
    try:
        index, meta = KeywordIndex.load(root / pointer["folder"])
        if meta.get("tokens") != TOKENS:  # built by an older tokenisation: its words are not the query's
            return None
        keys = pq.read_table(root / pointer["folder"] / "keys.parquet")
    except (OSError, ValueError, KeyError):
        return None
    at = {k: i for i, k in enumerate(zip(table["episode_id"].to_pylist(), table["passage"].to_pylist()))}
    index.row_of = np.asarray([at.get(k, -1) for k in zip(keys["episode_id"].to_pylist(), keys["passage"].to_pylist())],
                              np.int64)
    return index
