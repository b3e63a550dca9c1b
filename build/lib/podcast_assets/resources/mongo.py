"""MongoDB behind one resource: a client with short timeouts, collections and index creation."""

from __future__ import annotations

import dagster as dg
from pydantic import Field
from pymongo import MongoClient
from pymongo.collection import Collection
from pymongo.errors import ConnectionFailure, PyMongoError, ServerSelectionTimeoutError  # noqa: F401

# Errors that mean "MongoDB is not there right now" (as opposed to a bad document).
UNAVAILABLE = (ConnectionFailure, ServerSelectionTimeoutError)


class MongoResource(dg.ConfigurableResource):
    uri: str = Field(description="mongodb:// connection string; may carry credentials, never logged")
    timeout_ms: int = 3000

    def client(self) -> MongoClient:
        return MongoClient(self.uri, serverSelectionTimeoutMS=self.timeout_ms,
                           connectTimeoutMS=self.timeout_ms, socketTimeoutMS=max(self.timeout_ms * 10, 30000))

    def collection(self, client: MongoClient, db: str, name: str) -> Collection:
        return client[db][name]

    def ensure_indexes(self, coll: Collection, indexes: list[list[tuple[str, int]]]) -> None:
        for keys in indexes:
            coll.create_index(keys)

    @property
    def safe_address(self) -> str:
        """The host part of the URI without credentials, for logs and metadata."""
        rest = self.uri.split("://", 1)[-1]
        return rest.rsplit("@", 1)[-1].split("/", 1)[0]
