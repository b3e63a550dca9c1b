"""Where the keyword index lives: one folder per passages table version under ``<storage>/search/keywords`` (a
local folder or object storage, ``common/storage.py``), and ``current.json`` naming the newest complete one
(written last, whole, so a reader never opens a half-written index). Older versions are removed once a newer
one is current. Pure file handling.

``bm25s`` reads and writes local folders only (it maps its arrays into memory): an index is built in a local
temporary folder and copied up, and one on object storage is copied down before it is opened.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from podcast_assets.common import storage
from podcast_assets.search.keywords import TOKENS, KeywordIndex

KEPT = 2  # the current version and the one before (a reader may still have it open)


def save_version(root, index: KeywordIndex, keys: pa.Table, passages_version: int, model: str) -> str:
    """``keys``: the ``episode_id`` and ``passage`` of each of the index's rows, in order."""
    root = str(root)
    folder = storage.join(root, f"v{passages_version:08d}")
    storage.remove_tree(folder)  # a half-written folder of a killed run
    with tempfile.TemporaryDirectory(prefix="keywords-") as tmp:
        index.save(Path(tmp), {"passages_version": passages_version, "model": model})
        pq.write_table(keys.select(["episode_id", "passage"]), Path(tmp) / "keys.parquet")
        storage.upload_dir(Path(tmp), folder)
    storage.write_text(storage.join(root, "current.json"), json.dumps(
        {"folder": folder.rsplit("/", 1)[-1], "passages_version": passages_version, "model": model}))
    for old in [n for n in storage.names(root) if n.startswith("v")][:-KEPT]:
        storage.remove_tree(storage.join(root, old))
    return folder


def current(root) -> dict | None:
    """What ``current.json`` says (``folder``, ``passages_version``, ``model``), or None before the first index."""
    try:
        return json.loads(storage.read_text(storage.join(str(root), "current.json")))
    except (OSError, ValueError):
        return None


def _local(root: str, name: str) -> Path:
    """A local folder holding the index ``name`` of ``root``: itself, or its copy in this machine's cache of the
    root (one index at a time: the one before is removed, its memory maps live on until closed)."""
    folder = storage.join(root, name)
    if storage.is_local(folder):
        return Path(folder.removeprefix("file://"))
    cache = Path(tempfile.gettempdir()) / "podcast-assets-keywords" / hashlib.sha1(root.encode()).hexdigest()[:12]
    copy = cache / name
    if not copy.is_dir():
        for old in cache.glob("*"):
            shutil.rmtree(old, ignore_errors=True)
        partial = storage.download_dir(folder, cache / f".{name}.{os.getpid()}.partial")
        try:
            partial.rename(copy)  # whole or not at all
        except OSError:  # another process got there first
            shutil.rmtree(partial, ignore_errors=True)
    return copy


def load_current(root, passages_version: int, model: str, table: pa.Table) -> KeywordIndex | None:
    """The saved index if it was built from this passages table version for ``model``, its rows mapped onto
    ``table``'s (``episode_id``, ``passage``); else None (the caller builds one from what it read)."""
    pointer = current(root)
    if not pointer or pointer.get("passages_version") != passages_version or pointer.get("model") != model:
        return None
    try:
        folder = _local(str(root), pointer["folder"])
        index, meta = KeywordIndex.load(folder)
        if meta.get("tokens") != TOKENS:  # built by an older tokenisation: its words are not the query's
            return None
        keys = pq.read_table(folder / "keys.parquet")
    except (OSError, ValueError, KeyError):
        return None
    at = {k: i for i, k in enumerate(zip(table["episode_id"].to_pylist(), table["passage"].to_pylist()))}
    index.row_of = np.asarray([at.get(k, -1) for k in zip(keys["episode_id"].to_pylist(), keys["passage"].to_pylist())],
                              np.int64)
    return index
