"""Spark through dagster-pyspark: ``local[*]`` by default, master and extra conf per deployment.

The lazy resource starts the JVM only when an asset asks for the session, so steps that never
touch Spark do not pay ~12 s for it.
"""

from __future__ import annotations

import os
import sys

from dagster_pyspark import LazyPySparkResource


def spark_config(master: str = "local[*]", extra: dict[str, str] | None = None) -> dict[str, str]:
    conf = {
        "spark.master": master,
        "spark.app.name": "podcast-assets",
        "spark.sql.shuffle.partitions": "4",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",  # stage bars garble run logs and bench output
        "spark.driver.memory": "2g",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        # ALS's iterative lineage is serialised recursively; a larger thread stack avoids the
        # intermittent StackOverflowError seen once in CI (ObjectOutputStream.writeObject0 frames)
        "spark.driver.extraJavaOptions": "-Xss64m",
        "spark.executor.extraJavaOptions": "-Xss64m",
    }
    conf.update(extra or {})
    return conf


def use_this_interpreter_for_workers() -> None:
    """Spark's Python workers must be this interpreter, which has the project and its dependencies.
    PySpark reads that only from ``PYSPARK_PYTHON``, so it is set when a session starts, never at import."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)


class SparkResource(LazyPySparkResource):
    """dagster-pyspark's lazy session, started with this interpreter as the workers' Python."""

    def _init_session(self) -> None:
        use_this_interpreter_for_workers()
        super()._init_session()


def spark_resource(master: str = "local[*]", extra: dict[str, str] | None = None) -> SparkResource:
    return SparkResource(spark_config=spark_config(master, extra))


def local_spark_session(master: str = "local[*]", extra: dict[str, str] | None = None):
    """A Spark session outside Dagster (CLI, benchmarks) with the same configuration as the resource."""
    from pyspark.sql import SparkSession

    use_this_interpreter_for_workers()
    builder = SparkSession.builder
    for key, value in spark_config(master, extra).items():
        builder = builder.config(key, value)
    return builder.getOrCreate()
