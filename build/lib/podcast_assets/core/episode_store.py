"""Finding one episode's metadata: the Delta ``episodes`` table first, then the Mongo catalog."""

from __future__ import annotations

from deltalake import DeltaTable
from pymongo import MongoClient

from podcast_assets.resources.mongo import UNAVAILABLE


def find_episode(delta_uri: str, mongo: MongoClient | None, episode_id: str, db: str = "podcasts") -> dict | None:
    if DeltaTable.is_deltatable(delta_uri):
        rows = DeltaTable(delta_uri).to_pyarrow_table(filters=[("episode_id", "=", episode_id)]).to_pylist()
        if rows:
            return rows[-1]
    if mongo is not None:
        try:
            doc = mongo[db]["episodes"].find_one({"episode_id": episode_id})
        except UNAVAILABLE:
            doc = None
        if doc:
            doc.pop("_id", None)
            return doc
    return None
