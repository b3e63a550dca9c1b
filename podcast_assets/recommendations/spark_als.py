"""ALS end to end on Spark's executors: engagement read from the Delta table's own Parquet files, the held-out
evaluation, the fit, the factors written into the model version, and the published lists (``spark_lists``).

Only counts and the mean metrics come back to the driver: no factor, no list, no per-user loop there. The
rules are those of the in-process engine (``rules.py``, ``lists.py``, ``training.evaluate``).
"""

from __future__ import annotations

import time
from functools import reduce

import pandas as pd
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from podcast_assets.recommendations.als import AlsParams, spark_estimator
from podcast_assets.recommendations.evaluation import ranking_metrics
from podcast_assets.recommendations.rules import UNPLAYABLE
from podcast_assets.recommendations.spark_lists import LIST_SCHEMA, ranker

K = 10  # the metrics' cut, as ``training.evaluate``'s


def joined(left: DataFrame, right: DataFrame, on, how: str = "inner") -> DataFrame:
    """A sort-merge join: the tables here are per user or per item, and Spark's automatic broadcast of a
    smaller side goes through the driver."""
    return left.join(right.hint("merge"), on, how)


def hadoop_uri(uri: str) -> str:
    """A storage URI as Spark's Hadoop file systems name it: S3 is ``s3a://`` there, ``s3://`` for pyarrow and
    delta-rs."""
    return "s3a://" + uri[len("s3://"):] if uri.startswith("s3://") else uri


def read_table(spark, files: list[str], root: str, columns: list[str]) -> DataFrame:
    """A Delta table's current rows: the data files its log lists (partition columns from their paths)."""
    return spark.read.option("basePath", hadoop_uri(root)).parquet(*map(hadoop_uri, files)).select(*columns)


def engagement(daily: DataFrame) -> DataFrame:
    """``daily_engagement`` rows to one row per (user, episode): summed engagement, last time (``history.py``)."""
    return (daily.groupBy("user_id", F.col("new_episode_id").alias("episode_id"))
            .agg(F.sum("engagement").alias("engagement"), F.max("last_ts").alias("last_ts")))


def unplayable(statuses: DataFrame) -> DataFrame:
    """The episodes never recommended (``rules.unplayable``), from the ``transcripts`` table's rows."""
    bad = reduce(lambda a, b: a | b, [F.col("status").startswith(p) for p in UNPLAYABLE])
    return statuses.filter(bad).select("episode_id").distinct()


def numbered(df: DataFrame, index: str, by: str) -> DataFrame:
    """``df``'s rows with a dense integer ``index`` from 0 in the order of ``by`` (unique per row), given by the
    executors (``zipWithIndex``). The order makes the index the same each time the lineage is recomputed:
    rows leave a shuffle in no fixed order on a cluster, and factors must meet the ids they were fitted for."""
    schema = df.schema.add(index, "long")
    rows = df.orderBy(by).rdd.zipWithIndex().map(lambda pair: (*pair[0], pair[1]))
    return df.sparkSession.createDataFrame(rows, schema).withColumn(index, F.col(index).cast("int"))


def confidence(params: AlsParams):
    positive = F.greatest(F.col("engagement"), F.lit(0.0))
    return F.lit(params.alpha) * (positive if params.confidence == "linear" else F.log1p(positive))


def fit(totals: DataFrame, params: AlsParams) -> tuple[DataFrame, DataFrame, dict]:
    """The model's (user_id, features) and (episode_id, features) tables, and the counts of what it learnt from."""
    rows = totals.withColumn("c", confidence(params)).filter("c > 0")
    users = numbered(rows.select("user_id").distinct(), "u", "user_id")
    items = numbered(rows.select("episode_id").distinct(), "i", "episode_id")
    ratings = joined(joined(rows, users, "user_id"), items, "episode_id").select("u", "i", F.col("c").cast("float"))
    counts = ratings.agg(F.count("*").alias("nnz"), F.countDistinct("u").alias("users")).first()
    model = spark_estimator(totals.sparkSession, params, counts["nnz"] / max(1, counts["users"])).fit(ratings)
    user_factors = joined(model.userFactors.withColumnRenamed("id", "u"), users, "u").select("user_id", "features")
    item_factors = joined(model.itemFactors.withColumnRenamed("id", "i"), items, "i").select("episode_id", "features")
    return user_factors, item_factors, {"positive_interactions": int(counts["nnz"])}


def item_table(item_factors: DataFrame, totals: DataFrame, blocked: DataFrame) -> DataFrame:
    """One row per episode the model has factors for or a listener reached: what ``spark_lists.read_items`` reads."""
    reached = (totals.groupBy("episode_id")
               .agg(F.countDistinct(F.when(F.col("engagement") > 0, F.col("user_id"))).cast("double")
                    .alias("popularity")).withColumn("reached", F.lit(True)))
    table = (joined(joined(item_factors, reached, "episode_id", "full_outer"),
                    blocked.withColumn("blocked", F.lit(True)), "episode_id", "left")
             .select("episode_id", "features", F.col("blocked").isNull().alias("recommendable"),
                     F.coalesce("reached", F.lit(False)).alias("reached"),
                     F.coalesce("popularity", F.lit(0.0)).alias("popularity")))
    return numbered(table, "i", "episode_id")


def written(items: DataFrame, location: str) -> DataFrame:
    """The item table written where the tasks read it, and read back from there: later joins reuse the file
    instead of recomputing the table (a zipWithIndex and the joins behind it)."""
    items.write.mode("overwrite").parquet(hadoop_uri(location))
    return items.sparkSession.read.parquet(hadoop_uri(location))


def lists(users: DataFrame, user_factors: DataFrame, seen_pairs: DataFrame, items: DataFrame, location: str,
          n: int, popularity_only: bool = False) -> DataFrame:
    """``LIST_SCHEMA`` rows for each of ``users`` (user_id): the model's top-``n`` where ``user_factors`` has them,
    popularity otherwise, never a pair of ``seen_pairs``. ``items`` must have been written to ``location``."""
    seen = (joined(seen_pairs, items.select("episode_id", "i"), "episode_id")
            .groupBy("user_id").agg(F.collect_list("i").alias("seen")))
    rows = joined(joined(users, user_factors, "user_id", "left"), seen, "user_id", "left")
    return rows.select("user_id", "features", "seen").mapInPandas(ranker(location, n, popularity_only), LIST_SCHEMA)


def published_lists(totals: DataFrame, blocked: DataFrame, user_factors: DataFrame, item_factors: DataFrame,
                    location: str, n: int) -> DataFrame:
    """Every listener's list (``lists.model_rows``): the model's for users with positive engagement it knows."""
    items = written(item_table(item_factors, totals, blocked), location)
    known = joined(totals.filter("engagement > 0").select("user_id").distinct(), user_factors, "user_id")
    return lists(totals.select("user_id").distinct(), known, totals, items, location, n)


def documents(rows: DataFrame, version: str) -> DataFrame:
    """The lists as the published documents: ``model_version`` and the ``_id`` of ``lists.top_n_rows``."""
    return rows.withColumn("model_version", F.lit(version)).withColumn(
        "_id", F.concat_ws("|", F.lit(version), "user_id", F.col("rank").cast("string")))


def split(totals: DataFrame, fraction: float = 0.2, min_items: int = 3) -> tuple[DataFrame, DataFrame]:
    """``evaluation.split_holdout`` by time: per user with ``min_items`` positive episodes, the latest
    ``fraction`` of them (at least one) held out."""
    per_user = Window.partitionBy("user_id")
    ranked = (totals.filter("engagement > 0").withColumn("c", F.count("*").over(per_user))
              .withColumn("r", F.row_number().over(per_user.orderBy("last_ts", "episode_id"))))
    held = F.greatest(F.lit(1), F.bround(F.col("c") * fraction).cast("int"))
    test = ranked.filter((F.col("c") >= min_items) & (F.col("r") > F.col("c") - held)).select("user_id", "episode_id")
    return joined(totals, test, ["user_id", "episode_id"], "left_anti"), test


def _mean_metrics(recs: DataFrame, test: DataFrame) -> dict:
    ordered = (recs.groupBy("user_id").agg(F.sort_array(F.collect_list(F.struct("rank", "new_episode_id")))
                                           .alias("recs"))
               .select("user_id", F.transform("recs", lambda x: x["new_episode_id"]).alias("recs")))
    truth = joined(test.groupBy("user_id").agg(F.collect_set("episode_id").alias("truth")), ordered, "user_id", "left")

    def score(batches):
        for b in batches:
            recommended = {u: list(r) if r is not None else [] for u, r in zip(b["user_id"], b["recs"])}
            m = ranking_metrics(recommended, {u: set(t) for u, t in zip(b["user_id"], b["truth"])}, K)
            yield pd.DataFrame([{"users": m["users"], **{k: m[f"{k}@{K}"] * m["users"]
                                                           for k in ("ndcg", "precision", "recall")}}])

    sums = truth.mapInPandas(score, "users long, ndcg double, precision double, recall double").agg(
        *[F.sum(c).alias(c) for c in ("users", "ndcg", "precision", "recall")]).first()
    users = sums["users"] or 0
    return {f"{k}@{K}": float(sums[k] or 0.0) / users if users else 0.0 for k in ("ndcg", "precision", "recall")}


def evaluate(totals: DataFrame, params: AlsParams, location: str) -> dict:
    """``training.evaluate`` on the executors: the model fitted on the earlier engagement and popularity, each
    ranking the held-out users' top 10 (their positive training episodes excluded)."""
    train, test = (part.cache() for part in split(totals))  # each is read by several jobs below
    if test.limit(1).count() == 0:
        return {}
    user_factors, item_factors, _ = fit(train, params)
    positive = train.filter("engagement > 0")
    items = written(item_table(item_factors, train, train.limit(0).select("episode_id")), location)
    users = test.select("user_id").distinct()
    out = {"test_interactions": int(test.count())}
    for name, only_popular in (("als", False), ("popularity", True)):
        recs = lists(users, user_factors, positive, items, location, K, only_popular)
        out.update({f"{name}_{m}": v for m, v in _mean_metrics(recs, test).items()})
    train.unpersist(), test.unpersist()
    return out


def train(daily: DataFrame, params: AlsParams, location: str) -> tuple[DataFrame, DataFrame, dict, dict, float]:
    """Evaluate, then fit on all engagement: (user factors, item factors, counts, metrics, fit seconds); the
    factor tables are lazy, for the caller to write where the version lives. ``location``: scratch space."""
    totals = engagement(daily).cache()
    sizes = totals.agg(F.countDistinct("user_id").alias("users"), F.countDistinct("episode_id").alias("episodes"),
                       F.count("*").alias("interactions")).first()
    metrics = evaluate(totals, params, location)
    t0 = time.perf_counter()
    user_factors, item_factors, learnt = fit(totals, params)
    user_factors, item_factors = user_factors.cache(), item_factors.cache()
    user_factors.count()  # the fit runs here, inside the timing
    return user_factors, item_factors, {**sizes.asDict(), **learnt}, metrics, time.perf_counter() - t0
