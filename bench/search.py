"""Passage search at scale: query latency and index size for 100k and 1M passages (1M passages of ~35 s is about
10k hours of podcasts), with synthetic 384-d unit vectors (all-MiniLM-L6-v2's size).

For each size:
- index size: the float32 matrix in memory, and the Delta table on disk (episode_id, passage, embedding)
- load: reading the Delta table into the matrix, what each ``podcast-assets search`` call does before it scores
- one query, top 10: ``search.index.best`` (a matrix product per block of passages, the selection by
  ``torch.topk``, the project's KNN kernel) against numpy used well (one matrix-vector product, then
  ``np.argpartition`` and a sort of the 10 picked); same BLAS threads. Median and 95th percentile of the queries.
- a batch of queries, top 10 each: the local kernel in this process, and the same search through the Spark KNN
  engine (``KNN_ENGINE=spark``: Spark reads the table's Parquet files itself, each task scores against the
  broadcast queries, the tasks' top 10 are merged). The Spark session is started and warmed before timing.
Run: ``.venv/bin/python bench/search.py [--sizes 100000,1000000] [--queries 50] [--batch 1000]``.
"""

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
from deltalake import DeltaTable, write_deltalake

from podcast_assets.resources.factory import build_resources
from podcast_assets.search.index import best, vectors
from podcast_assets.settings import settings_from_env

DIM, K = 384, 10


def unit(n: int, rng) -> np.ndarray:
    out = np.empty((n, DIM), np.float32)
    for a in range(0, n, 100_000):  # in blocks: the normal draws of 1M rows at once would double the peak
        x = rng.standard_normal((min(100_000, n - a), DIM), dtype=np.float32)
        out[a:a + len(x)] = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out


def numpy_top(query: np.ndarray, passages: np.ndarray, k: int) -> np.ndarray:
    scores = passages @ query
    part = np.argpartition(-scores, k - 1)[:k]
    return part[np.argsort(-scores[part])]


def write_table(uri: str, passages: np.ndarray) -> int:
    n = len(passages)
    embedding = pa.FixedSizeListArray.from_arrays(pa.array(passages.ravel()), DIM).cast(pa.list_(pa.float32()))
    table = pa.table({"episode_id": pa.array([f"e{i // 20}" for i in range(n)]),
                      "passage": pa.array(np.arange(n) % 20, pa.int32()), "embedding": embedding})
    write_deltalake(uri, table, mode="overwrite")
    return sum(f.stat().st_size for f in Path(uri).rglob("*.parquet"))


def ms(seconds: list[float]) -> str:
    s = sorted(seconds)
    return f"median {statistics.median(s) * 1000:.1f} ms, p95 {s[int(0.95 * (len(s) - 1))] * 1000:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    spark_knn = build_resources(settings_from_env(KNN_ENGINE="spark"))["knn"]
    local_knn = build_resources(settings_from_env(KNN_ENGINE="local"))["knn"]
    tmp = Path(tempfile.mkdtemp(prefix="bench-search-"))
    try:
        warm = str(tmp / "warm")
        write_table(warm, unit(1000, rng))
        spark_knn.search(warm, unit(2, rng), K)  # the JVM and the Python workers start here, not in the timings
        best(unit(1, rng), unit(100, rng), K)  # torch is imported on first use
        for n in (int(x) for x in args.sizes.split(",")):
            passages = unit(n, rng)
            uri = str(tmp / f"passages-{n}")
            disk = write_table(uri, passages)
            t0 = time.perf_counter()
            loaded = vectors(DeltaTable(uri).to_pyarrow_table(columns=["embedding"])["embedding"])
            load = time.perf_counter() - t0
            assert np.array_equal(loaded, passages)
            del loaded
            print(f"\n{n:,} passages x {DIM}: index {passages.nbytes / 2**20:,.0f} MiB in memory, "
                  f"{disk / 2**20:,.0f} MiB on disk (Delta); loading it into memory {load:.2f} s")
            queries = unit(args.queries, rng)
            ours, plain = [], []
            for q in queries:
                t0 = time.perf_counter()
                [rows], _ = best(q, passages, K)
                ours.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                expected = numpy_top(q, passages, K)
                plain.append(time.perf_counter() - t0)
                assert np.array_equal(rows, expected)
            print(f"  one query, top {K}: ours {ms(ours)}; numpy {ms(plain)} "
                  f"({statistics.median(plain) / statistics.median(ours):.2f}x)")
            batch = unit(args.batch, rng)
            t0 = time.perf_counter()
            rows, _ = best(batch, passages, K)
            local = time.perf_counter() - t0
            t0 = time.perf_counter()
            found = spark_knn.search(uri, batch, K)
            spark = time.perf_counter() - t0
            local_answer = local_knn.search(uri, batch[:20], K)

            def firsts(answer):
                top = answer[answer["query"] < 20].groupby("query").head(1).sort_values("query")
                return list(zip(top["episode_id"], top["passage"]))

            same = firsts(found) == firsts(local_answer)
            print(f"  {args.batch} queries, top {K} each: local kernel {local:.2f} s ({args.batch / local:,.0f} "
                  f"queries/s); Spark engine {spark:.1f} s ({args.batch / spark:,.0f} queries/s, "
                  f"first answers {'the same' if same else 'DIFFERENT'})")
            del passages
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
