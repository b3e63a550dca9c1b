"""Passage search inside Spark, for batches of queries over an index larger than one machine holds: Spark
reads the passages table's own Parquet files in parallel, each task scores its batches against the broadcast
queries with the local kernel (``index.best``), and the per-task top ``k`` are merged."""

from __future__ import annotations

import numpy as np
import pandas as pd

from podcast_assets.search.index import answers

SCHEMA = "query long, episode_id string, passage int, score float"


def search_files(spark, files: list[str], queries: np.ndarray, k: int) -> pd.DataFrame:
    """The ``k`` best (``query``, ``episode_id``, ``passage``, ``score``) per query, best first."""
    shared = spark.sparkContext.broadcast(np.atleast_2d(np.asarray(queries, np.float32)))

    def score(batches):
        q = shared.value
        for batch in batches:
            if batch.empty:
                continue
            yield answers(q, np.stack(batch["embedding"].to_numpy()).astype(np.float32),
                          batch["episode_id"].to_numpy(), batch["passage"].to_numpy(), k)

    out = (spark.read.parquet(*files).select("episode_id", "passage", "embedding")
           .mapInPandas(score, schema=SCHEMA).toPandas())
    shared.unpersist()
    out = out.sort_values(["query", "score"], ascending=[True, False], kind="stable")
    return out.groupby("query").head(k).reset_index(drop=True)
