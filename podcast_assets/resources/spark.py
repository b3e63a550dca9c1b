"""Spark through dagster-pyspark: ``local[*]`` by default, master and extra conf per deployment.

The lazy resource starts the JVM only when an asset asks for the session, so steps that never
touch Spark do not pay ~12 s for it.
"""

from __future__ import annotations

import sys

from dagster_pyspark import LazyPySparkResource


def spark_config(master: str = "local[*]", extra: dict[str, str] | None = None) -> dict[str, str]:
    conf = {
        "spark.master": master,
        "spark.app.name": "podcast-assets",
        "spark.sql.shuffle.partitions": "4",
        "spark.ui.enabled": "false",
        "spark.driver.memory": "2g",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        # Python workers must be this interpreter, which has the project and its dependencies
        # (Spark's own settings, so nothing is written to os.environ)
        "spark.pyspark.python": sys.executable,
        "spark.pyspark.driver.python": sys.executable,
        # ALS's iterative lineage is serialised recursively; a larger thread stack avoids the
        # intermittent StackOverflowError seen once in CI (ObjectOutputStream.writeObject0 frames)
        "spark.driver.extraJavaOptions": "-Xss64m",
        "spark.executor.extraJavaOptions": "-Xss64m",
    }
    conf.update(extra or {})
    return conf


def spark_resource(master: str = "local[*]", extra: dict[str, str] | None = None) -> LazyPySparkResource:
    return LazyPySparkResource(spark_config=spark_config(master, extra))


def local_spark_session(master: str = "local[*]", extra: dict[str, str] | None = None):
    """A Spark session outside Dagster (CLI, benchmarks) with the same configuration as the resource."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder
    for key, value in spark_config(master, extra).items():
        builder = builder.config(key, value)
    return builder.getOrCreate()
