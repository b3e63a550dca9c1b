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
- served (``--cases served``): ``podcast-assets serve`` over a passages table of that size with texts (three
  sentences each, drawn from the sample catalog's scripts: real English, tokenised as transcripts are) and its
  saved keyword index, as the graph leaves them: the time until it answers, its resident memory, and each query's time
  through HTTP (a kept-alive connection, the real MiniLM embedding the query and the hits' sentences), by mode.
  Queries are two to four of the scripts' words, at random; median and 95th percentile after 3 unmeasured ones.
Run: ``.venv/bin/python bench/search.py [--sizes 100000,1000000] [--queries 50] [--batch 1000]
[--cases kernel,served]``.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
from deltalake import DeltaTable, write_deltalake

from podcast_assets.resources.factory import build_resources
from podcast_assets.search.index import best, vectors
from podcast_assets.search.keyword_store import save_version
from podcast_assets.search.keywords import KeywordIndex
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


SENTENCES_PER_PASSAGE = 3


def catalog_sentences() -> list[str]:
    """The sample catalog's scripts (what its episodes say), as sentences: real English, so the texts tokenise
    as transcripts do."""
    import json

    from podcast_assets.search.index import sentences

    catalog = json.loads((Path(__file__).resolve().parents[1] / "podcast_assets" / "local" / "sample_catalog"
                          / "catalog.json").read_text())
    return [x for e in catalog["episodes"] if e.get("audio_language", "en") == "en"
            for x in sentences(" ".join(e.get("script") or []) if isinstance(e.get("script"), list)
                               else str(e.get("script") or ""))]


def write_served_table(data_dir: Path, passages: np.ndarray, said: list[str], rng) -> None:
    """The passages table as ``transcript_passages`` writes it (20 passages an episode, 30 s apart; each
    passage three of ``said``'s sentences), and its keyword index saved as ``passage_keyword_index`` saves it."""
    n = len(passages)
    pick = rng.integers(0, len(said), (n, SENTENCES_PER_PASSAGE))
    texts = [" ".join(said[i] for i in row) for row in pick]
    number = np.arange(n) % 20
    embedding = pa.FixedSizeListArray.from_arrays(pa.array(passages.ravel()), DIM).cast(pa.list_(pa.float32()))
    table = pa.table({
        "episode_id": pa.array([f"e{i // 20}" for i in range(n)]), "passage": pa.array(number, pa.int32()),
        "model": pa.array(["all-MiniLM-L6-v2"] * n), "start": pa.array(number * 30.0), "end": pa.array(number * 30.0 + 45),
        "text": pa.array(texts), "segment_starts": pa.array([[float(x * 30)] for x in number], pa.list_(pa.float64())),
        "segment_offsets": pa.array([[0]] * n, pa.list_(pa.int32())), "embedding": embedding})
    uri = str(data_dir / "delta" / "transcript_passages")
    write_deltalake(uri, table, mode="overwrite")
    save_version(data_dir / "search" / "keywords", KeywordIndex.build(texts), table.select(["episode_id", "passage"]),
                 DeltaTable(uri).version(), "all-MiniLM-L6-v2")


def served_case(n: int, tmp: Path, rng, queries: int) -> None:
    import requests

    from podcast_assets.search.keywords import words
    from podcast_assets_tests.conftest import free_port

    data_dir, said = tmp / f"served-{n}", catalog_sentences()
    t0 = time.perf_counter()
    write_served_table(data_dir, unit(n, rng), said, rng)
    print(f"\n{n:,} passages served: table and keyword index written in {time.perf_counter() - t0:.0f} s")
    port = free_port()
    env = {**os.environ, "PODCAST_DATA_DIR": str(data_dir), "SERVE_PORT": str(port), "MONGO_URI": "mongodb://127.0.0.1:9",
           "DAGSTER_HOME": str(tmp / "dagster_home")}
    log = open(tmp / f"serve-{n}.log", "wb")
    proc = subprocess.Popen([str(Path(sys.executable).parent / "podcast-assets"), "serve", "--log-level", "warning"],
                            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base, started = f"http://127.0.0.1:{port}", time.perf_counter()
    try:
        with requests.Session() as http:
            while True:
                try:
                    health = http.get(f"{base}/health", timeout=2).json()
                    break
                except requests.RequestException:
                    assert proc.poll() is None, (tmp / f"serve-{n}.log").read_text()[-2000:]
                    time.sleep(0.5)
            rss = int(next(line for line in open(f"/proc/{proc.pid}/status") if line.startswith("VmRSS")).split()[1])
            print(f"  ready in {time.perf_counter() - started:.1f} s (model load, {health['passages']:,} passages held, "
                  f"keyword index {health['keyword_index']}); resident memory {rss / 2**20:.2f} GiB")
            vocabulary = sorted({w for x in said for w in words(x) if not w.isdigit()})
            asks = [" ".join(rng.choice(vocabulary, rng.integers(2, 5))) for _ in range(queries + 3)]
            for mode in ("hybrid", "vector", "keyword"):
                took, inside, parts = [], [], []
                for i, q in enumerate(asks):
                    t0 = time.perf_counter()
                    r = http.get(f"{base}/search", params={"q": q, "k": 10, "mode": mode}, timeout=120)
                    if i >= 3:
                        took.append(time.perf_counter() - t0)
                        inside.append(r.json()["query_ms"] / 1000)
                        parts.append(r.json()["timing"])
                    assert r.ok and r.json()["results"], r.text[:300]
                split = ", ".join(f"{name[:-3].replace('_', ' ')} {statistics.median(p[name] for p in parts):.1f}"
                                  for name in ("embed_query_ms", "rank_ms", "sentences_ms"))
                print(f"  /search mode={mode}, top 10: through HTTP {ms(took)}; the search itself {ms(inside)} "
                      f"(medians, ms: {split})")
    finally:
        proc.terminate()
        proc.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--cases", default="kernel,served", help="kernel (the in-process cases), served, or both")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    cases = set(args.cases.split(","))
    if "kernel" not in cases:
        tmp = Path(tempfile.mkdtemp(prefix="bench-search-"))
        try:
            for n in (int(x) for x in args.sizes.split(",")):
                served_case(n, tmp, rng, args.queries)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return
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
            if "served" in cases:
                served_case(n, tmp, rng, args.queries)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
