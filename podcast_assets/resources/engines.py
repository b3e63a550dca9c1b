"""The batch engines, each a resource with an in-process and a Spark implementation behind one interface.

``definitions.py`` picks one per deployment (``KNN_ENGINE``, ``ALS_ENGINE``); the assets see only
the interface. The fields are the deployment-wide defaults that runs launched by sensors and
automation use; a run's config may override some of them.
"""

from __future__ import annotations

import uuid

import dagster as dg
import numpy as np
import pandas as pd

from podcast_assets.common import storage
from podcast_assets.recommendations import spark_als
from podcast_assets.recommendations.als import AlsParams, fit_local, fit_spark
from podcast_assets.recommendations.history import ENGAGEMENT_COLUMNS
from podcast_assets.recommendations.model_store import begin_version, complete_version
from podcast_assets.resources.delta import DeltaTables
from podcast_assets.resources.mongo import MongoResource, WriteReport
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

    def train_version(self, delta: DeltaTables, root: str) -> tuple[str, dict, dict, float]:
        """Evaluate and fit on the executors (``spark_als.train``), which write the factors into a new version
        of ``root``: (version, counts, metrics, fit seconds)."""
        spark = self.spark.spark_session
        files, _ = delta.files("daily_engagement")
        daily = spark_als.read_table(spark, files, delta.uri("daily_engagement"), ENGAGEMENT_COLUMNS)
        version, folder = begin_version(root)
        scratch = storage.join(root, f".scratch-{version}")  # the evaluation's item table
        try:
            users, items, counts, metrics, seconds = spark_als.train(daily, self.params(), scratch)
            users.write.parquet(spark_als.hadoop_uri(storage.join(folder, "user_factors")))
            items.write.parquet(spark_als.hadoop_uri(storage.join(folder, "item_factors")))
            users.unpersist(), items.unpersist()
        finally:
            storage.remove_tree(scratch)
        complete_version(root, version, {"params": self.params().as_dict(), "metrics": metrics, "counts": counts,
                                         "engine": self.name})
        return version, counts, metrics, seconds

    def publish_lists(self, mongo: MongoResource, delta: DeltaTables, root: str, version: str,
                      collection: str = "als_top_n") -> tuple[WriteReport, dict, pd.DataFrame, int | None]:
        """Every listener's list from ``version`` of the models under ``root``, ranked and written to MongoDB by the executors:
        (the write's report, users by strategy, a preview of 10 rows, the engagement version read)."""
        spark = self.spark.spark_session
        files, engagement_version = delta.files("daily_engagement")
        totals = spark_als.engagement(spark_als.read_table(spark, files, delta.uri("daily_engagement"),
                                                           ENGAGEMENT_COLUMNS)).cache()
        status_files, _ = delta.files("transcripts")
        blocked = (spark_als.unplayable(spark_als.read_table(spark, status_files, delta.uri("transcripts"),
                                                             ["episode_id", "status"]))
                   if status_files else spark.createDataFrame([], "episode_id string"))
        folder, scratch = storage.join(root, version), storage.join(root, f".lists-{uuid.uuid4().hex[:8]}")
        factors = [spark.read.parquet(spark_als.hadoop_uri(storage.join(folder, name)))
                   for name in ("user_factors", "item_factors")]
        try:
            rows = spark_als.published_lists(totals, blocked, *factors, scratch, self.top_n)
            rows = spark_als.documents(rows, version).cache()
            report = mongo.publish_frame(mongo.recommendations_database, collection, rows, version)
            by_strategy = {r["strategy"]: r["count"] for r in rows.filter("rank = 1").groupBy("strategy").count()
                           .collect()}
            preview = rows.limit(10).toPandas()
            rows.unpersist(), totals.unpersist()
        finally:
            storage.remove_tree(scratch)
        return report, by_strategy, preview, engagement_version

