"""The batch engines, each a resource with an in-process and a Spark implementation behind one interface.

``definitions.py`` picks one per deployment (``KNN_ENGINE``, ``ALS_ENGINE``); the assets see only
the interface. The fields are the deployment-wide defaults that runs launched by sensors and
automation use; a run's config may override some of them.
"""

from __future__ import annotations

import dagster as dg
import numpy as np
import pandas as pd

from podcast_assets.recommendations.als import AlsParams, fit_local, fit_spark
from podcast_assets.resources.spark import SparkResource
from podcast_assets.search.index import search_table
from podcast_assets.search.spark_search import search_files
from podcast_assets.settings import DEFAULTS as D
from podcast_assets.similarities.knn import topk
from podcast_assets.similarities.knn_spark import topk_spark


class KnnEngine(dg.ConfigurableResource):
    """Top-K cosine neighbours in this process (blocked matrix products, ``torch.topk``)."""

    top_k: int = D.TOP_K
    within_batch_if_empty: bool = D.WITHIN_BATCH_IF_EMPTY

    @property
    def name(self) -> str:
        return "local"

    def neighbours(self, new_ids: list[str], new: np.ndarray, hist_ids: list[str], hist: np.ndarray,
                   k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return topk(new, hist, k, new_ids, hist_ids)

    def search(self, table_uri: str, queries: np.ndarray, k: int) -> pd.DataFrame:
        """The ``k`` passages of a passages table nearest each query: (query, episode_id, passage, score)."""
        from deltalake import DeltaTable

        return search_table(DeltaTable(table_uri).to_pyarrow_table(columns=["episode_id", "passage", "embedding"]),
                            queries, k)


class SparkKnnEngine(KnnEngine):
    """The same kernel inside Spark: history broadcast, new vectors spread over partitions."""

    spark: SparkResource

    @property
    def name(self) -> str:
        return "spark"

    def neighbours(self, new_ids, new, hist_ids, hist, k):
        return topk_spark(self.spark.spark_session, new_ids, new, hist_ids, hist, k)

    def search(self, table_uri, queries, k):
        from deltalake import DeltaTable

        return search_files(self.spark.spark_session, DeltaTable(table_uri).file_uris(), queries, k)


class AlsEngine(dg.ConfigurableResource):
    """Implicit ALS fitted in this process (``implicit``), and how its recommendations are cut."""

    rank: int = D.ALS_RANK
    iterations: int = D.ALS_ITERATIONS
    reg: float = D.ALS_REG
    alpha: float = D.ALS_ALPHA
    confidence: str = D.ALS_CONFIDENCE  # log: alpha * log1p(engagement); linear: alpha * engagement
    top_n: int = D.TOP_N
    hybrid_content_weight: float = D.HYBRID_CONTENT_WEIGHT
    min_history: int = D.MIN_HISTORY
    versions_kept: int = D.MODEL_VERSIONS_KEPT  # model versions on disk after each training

    @property
    def name(self) -> str:
        return "local"

    def params(self) -> AlsParams:
        return AlsParams(self.rank, self.iterations, self.reg, self.alpha, self.confidence)

    def fit(self, data, params: AlsParams) -> tuple[np.ndarray, np.ndarray]:
        return fit_local(data, params)


class SparkAlsEngine(AlsEngine):
    """Spark ML's ALS (``pyspark.ml``), for interaction tables larger than one machine."""

    spark: SparkResource

    @property
    def name(self) -> str:
        return "spark"

    def fit(self, data, params: AlsParams) -> tuple[np.ndarray, np.ndarray]:
        return fit_spark(self.spark.spark_session, data, params)
