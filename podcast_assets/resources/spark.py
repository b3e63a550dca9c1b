"""Spark through dagster-pyspark: ``local[*]`` by default, master and conf from settings.

The lazy resource starts the JVM only when an asset asks for the session, so steps that never
touch Spark do not pay ~12 s for it.
"""

from __future__ import annotations

import os
import sys

from dagster_pyspark import LazyPySparkResource

from podcast_assets.settings import Settings


def spark_config(settings: Settings) -> dict[str, str]:
    conf = {
        "spark.master": settings.SPARK_MASTER,
        "spark.app.name": "podcast-assets",
        "spark.sql.shuffle.partitions": "4",
        "spark.ui.enabled": "false",
        "spark.driver.memory": "2g",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        # ALS's iterative lineage is serialised recursively; a larger thread stack avoids the
        # intermittent StackOverflowError seen once in CI (ObjectOutputStream.writeObject0 frames)
        "spark.driver.extraJavaOptions": "-Xss64m",
        "spark.executor.extraJavaOptions": "-Xss64m",
    }
    conf.update(settings.spark_conf)
    return conf


def spark_resource(settings: Settings) -> LazyPySparkResource:
    # Python workers must be this interpreter, which has the project and its dependencies
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    return LazyPySparkResource(spark_config=spark_config(settings))


def local_spark_session(settings: Settings):
    """A Spark session outside Dagster (CLI, benchmarks) with the same configuration as the resource."""
    from pyspark.sql import SparkSession

    spark_resource(settings)  # sets the Python executables for the workers
    builder = SparkSession.builder
    for key, value in spark_config(settings).items():
        builder = builder.config(key, value)
    return builder.getOrCreate()
