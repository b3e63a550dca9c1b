"""The KNN kernel inside Spark: history broadcast, new vectors spread over partitions, ``mapInPandas``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from podcast_assets.similarities.knn import topk


def topk_spark(spark, new_ids: list[str], new: np.ndarray, hist_ids: list[str], hist: np.ndarray, k: int,
               partitions: int = 4) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Same contract as ``knn.topk``; the pairs come back ordered by new row, then descending cosine."""
    if len(new) == 0 or len(hist) == 0:
        return topk(new, hist, k)
    shared = spark.sparkContext.broadcast((list(hist_ids), np.asarray(hist, np.float32)))

    def score(batches):
        ids, vectors = shared.value
        for batch in batches:
            vecs = np.stack(batch["embedding"].to_numpy()).astype(np.float32)
            r, c, s = topk(vecs, vectors, k, batch["id"].tolist(), ids)
            yield pd.DataFrame({"new_idx": batch["idx"].to_numpy()[r], "hist_idx": c, "sim": s})

    frame = pd.DataFrame({"idx": np.arange(len(new)), "id": list(new_ids),
                          "embedding": [v.tolist() for v in np.asarray(new, np.float32)]})
    df = spark.createDataFrame(frame, schema="idx long, id string, embedding array<float>")
    out = (df.repartition(max(1, min(partitions, len(new))))
           .mapInPandas(score, schema="new_idx long, hist_idx long, sim float").toPandas())
    shared.unpersist()
    out = out.sort_values(["new_idx", "sim"], ascending=[True, False], kind="stable")
    return (out["new_idx"].to_numpy(np.int64), out["hist_idx"].to_numpy(np.int64),
            out["sim"].to_numpy(np.float32))
