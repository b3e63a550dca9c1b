"""How far one machine goes, and what breaks first: the Spark ALS engine end to end at scale, and the episode
sensors and the asset page with many episode partitions.

``als``: a ``daily_engagement`` Delta table of listeners with tastes (``--users`` x ``--episodes``, about
``--interactions`` rows over 30 days; each user draws 80% of their episodes from one or two of 50 taste groups,
popular ones more often, the rest from the whole catalogue; 5% skips), then ``SparkAlsEngine.train_version``
(held-out evaluation + fit, factors written by the executors) and ``publish_lists`` (top-N per user ranked by
tasks and upserted into the local MongoDB wire server by them). Prints each stage's time, the held-out NDCG@10
against popularity, the documents per second, and the peak memory of this (driver) Python process.

``partitions``: a Dagster instance (SQLite, as ``dagster dev`` on the local default) holding ``--partitions``
episode partitions, a share of them materialised; then the tick of ``episode_metadata_sensor`` with one new
message (the sensor's own code against the instance, a real broker), and the GraphQL queries the asset page of
``transcripts`` makes (partition health, the latest materialisation), each timed over a running webserver, and
one evaluation of the graph's automation conditions (what ``automation_sensor`` does at each tick).

Run: ``.venv/bin/python bench/scale.py --cases als,partitions`` (defaults: the sizes of issue 30:
200k users x 20k episodes x 10M interactions; 100k partitions).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import socket
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

DAYS, TASTES = 30, 50


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mib(pid: int | str = "self", field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


class PeakMemory:
    """The largest resident size of this process seen while Spark works (sampled every 0.2 s: the data made
    before it are not counted), and the JVM's own peak (driver and executors are one JVM in local mode)."""

    def __enter__(self):
        self.peak, self.done = rss_mib(), threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()
        return self

    def _watch(self):
        while not self.done.wait(0.2):
            self.peak = max(self.peak, rss_mib())

    def __exit__(self, *exc):
        self.done.set()
        self.thread.join()

    @staticmethod
    def jvm_peak() -> float:
        children = Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").read_text().split()
        java = [c for c in children if "java" in Path(f"/proc/{c}/cmdline").read_bytes().decode(errors="ignore")]
        return rss_mib(java[0], "VmHWM") if java else float("nan")


def listening(users: int, episodes: int, interactions: int, seed: int = 7) -> pa.Table:
    """``daily_engagement`` rows (``events.assets.DAILY_SCHEMA``), made without a Python loop per row."""
    from podcast_assets.events.assets import DAILY_SCHEMA

    rng = np.random.default_rng(seed)
    group = rng.integers(0, TASTES, episodes)
    weight = 1.0 / np.arange(1, episodes + 1) ** 0.6
    order = np.argsort(group, kind="stable")  # episodes by group; each group's CDF spans [g, g + 1)
    cdf = np.empty(episodes)
    for g in range(TASTES):
        members = order[group[order] == g]
        cdf[np.searchsorted(group[order], g):][:len(members)] = g + np.cumsum(weight[members]) / weight[members].sum()
    per_user = rng.poisson(interactions / users, users).clip(1)
    user = np.repeat(np.arange(users), per_user)
    tastes = rng.integers(0, TASTES, (users, 2))
    second = rng.random(users) < 0.5  # half the users have two tastes
    pick = np.where(second[user] & (rng.random(len(user)) < 0.5), tastes[user, 1], tastes[user, 0])
    within = order[np.searchsorted(cdf, pick + rng.random(len(user)) * 0.999999).clip(0, episodes - 1)]
    anywhere = np.searchsorted(np.cumsum(weight) / weight.sum(), rng.random(len(user))).clip(0, episodes - 1)
    item = np.where(rng.random(len(user)) < 0.8, within, anywhere)
    engagement = np.where(rng.random(len(user)) < 0.05, -1.0, rng.integers(1, 4, len(user)).astype(float))
    start = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    seconds = rng.integers(0, DAYS * 86400, len(user))
    ts = np.datetime64(start.replace(tzinfo=None), "us") + seconds.astype("timedelta64[s]")
    day = (np.datetime64(start.date(), "D") + (seconds // 86400).astype("timedelta64[D]"))

    def ids(prefix: str, index: np.ndarray, n: int) -> pa.Array:
        names = pa.array([f"{prefix}{i}" for i in range(n)])
        return pa.DictionaryArray.from_arrays(pa.array(index, pa.int32()), names).cast(pa.string())

    return pa.table({"user_id": ids("u", user, users), "new_episode_id": ids("e", item, episodes),
                     "day": pa.array(day, pa.date32()), "engagement": pa.array(engagement),
                     "events": pa.array(np.ones(len(user), np.int64)),
                     "last_ts": pa.array(ts, pa.timestamp("us", "UTC"))}, schema=DAILY_SCHEMA)


def als(args) -> None:
    from deltalake import write_deltalake

    from podcast_assets.local.stack import Stack
    from podcast_assets.resources.delta import DataDir, DeltaTables
    from podcast_assets.resources.engines import SparkAlsEngine
    from podcast_assets.resources.mongo import MongoResource
    from podcast_assets.resources.spark import spark_resource
    from podcast_assets.settings import settings_from_env

    work = Path(tempfile.mkdtemp(prefix="scale-als-"))
    settings = settings_from_env(PODCAST_DATA_DIR=str(work), MONGO_URI=f"mongodb://127.0.0.1:{free_port()}",
                                 KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{free_port()}")
    t0 = time.perf_counter()
    table = listening(args.users, args.episodes, args.interactions)
    write_deltalake(str(settings.delta_dir / "daily_engagement"), table, partition_by=["day"])
    print(f"als: {len(table):,} engagement rows ({args.users:,} users x {args.episodes:,} episodes) made and "
          f"written in {time.perf_counter() - t0:.1f} s", flush=True)
    del table
    stack = Stack(settings, with_podcast_index=False)
    stack.up(log=lambda *_: None)
    spark = spark_resource(f"local[{args.cores}]", {"spark.driver.memory": args.memory,
                                                    "spark.sql.shuffle.partitions": str(args.shuffle_partitions)})
    engine = SparkAlsEngine(spark=spark, rank=args.rank, iterations=args.iterations, top_n=10)
    delta = DeltaTables(root=str(settings.delta_dir))
    mongo = MongoResource(uri=settings.MONGO_URI, fallback_dir=str(settings.delta_dir), timeout_ms=30000)
    root = DataDir(path=str(work)).artefacts("models", "als")
    print(f"als: this process holds {rss_mib():,.0f} MiB before Spark starts", flush=True)
    try:
        watch = PeakMemory().__enter__()
        t0 = time.perf_counter()
        version, counts, metrics, fit_seconds = engine.train_version(delta, root)
        train_seconds = time.perf_counter() - t0
        print(f"als: trained (rank {args.rank}, {args.iterations} iterations, local[{args.cores}], driver memory "
              f"{args.memory}) in {train_seconds:.1f} s: evaluation {train_seconds - fit_seconds:.1f} s, final fit "
              f"{fit_seconds:.1f} s; {counts}", flush=True)
        print(f"als: held-out NDCG@10 {metrics.get('als_ndcg@10', float('nan')):.4f} vs popularity "
              f"{metrics.get('popularity_ndcg@10', float('nan')):.4f} ({metrics.get('test_interactions')} held out)",
              flush=True)
        t0 = time.perf_counter()
        report, by_strategy, _, _ = engine.publish_lists(mongo, delta, root, version)
        seconds = time.perf_counter() - t0
        print(f"als: top-10 of every user ranked and published by the executors in {seconds:.1f} s: "
              f"{report.written:,} documents ({report.written / seconds:,.0f}/s incl. ranking), status "
              f"{report.status}, users by strategy {by_strategy}", flush=True)
        watch.__exit__()
        print(f"als: peak resident memory while Spark worked: the driver's Python process {watch.peak:,.0f} MiB, "
              f"the JVM (driver and executors: local mode) {watch.jvm_peak():,.0f} MiB", flush=True)
    finally:
        spark.spark_session.stop()
        stack.down(log=lambda *_: None)


PARTITION_HEALTH = """query($key: AssetKeyInput!) { assetNodeOrError(assetKey: $key) { ... on AssetNode {
  partitionKeysByDimension { name partitionKeys }
  assetPartitionStatuses { ... on DefaultPartitionStatuses { materializedPartitions failedPartitions
                                                            materializingPartitions } } } } }"""
PARTITION_STATS = """query($key: AssetKeyInput!) { assetNodeOrError(assetKey: $key) { ... on AssetNode {
  partitionStats { numMaterialized numPartitions numFailed numMaterializing }
  assetMaterializations(limit: 1) { partition timestamp runId } } } }"""


def timed(label: str, fn, repeat: int = 3):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    print(f"partitions: {label}: " + ", ".join(f"{t:.2f}" for t in times) + " s", flush=True)
    return out


def partitions(args) -> None:
    import os
    import subprocess
    import sys

    import dagster as dg
    import requests

    from podcast_assets.local.instance import instance_yaml
    from podcast_assets.local.stack import Stack
    from podcast_assets.resources.factory import build_resources
    from podcast_assets.settings import settings_from_env
    from podcast_assets.transcripts.sensors import episode_jobs, episode_sensors

    episode_metadata_sensor = episode_sensors(*episode_jobs())[0]
    work = Path(tempfile.mkdtemp(prefix="scale-partitions-"))
    home = work / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(instance_yaml())
    os.environ["DAGSTER_HOME"] = str(home)
    instance = dg.DagsterInstance.get()
    keys = [str(50_000_000 + i) for i in range(args.partitions)]
    t0 = time.perf_counter()
    for i in range(0, len(keys), 10_000):
        instance.add_dynamic_partitions("episodes", keys[i:i + 10_000])
    print(f"partitions: {len(keys):,} episode partitions added in {time.perf_counter() - t0:.1f} s", flush=True)
    t0 = time.perf_counter()
    done = keys[:args.materialised]
    for key in done:
        instance.report_runless_asset_event(dg.AssetMaterialization("transcripts", partition=key))
    print(f"partitions: {len(done):,} of them materialised ({len(done) / (time.perf_counter() - t0):,.0f} "
          f"events/s)", flush=True)

    settings = settings_from_env(PODCAST_DATA_DIR=str(work / "data"), MONGO_URI=f"mongodb://127.0.0.1:{free_port()}",
                                 KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{free_port()}")
    stack = Stack(settings, with_podcast_index=False)
    stack.up(log=lambda *_: None)
    web = None
    try:
        resources = build_resources(settings)
        new = str(60_000_000)
        resources["kafka"].publish(settings.TOPIC_EPISODE_METADATA, [(new, {"episode_id": new, "title": "new"})])

        def tick():
            context = dg.build_sensor_context(instance=instance, resources={"kafka": resources["kafka"],
                                                                            "whisper": resources["whisper"]})
            result = episode_metadata_sensor(context)
            assert len(result.run_requests) == 1, result
            return result

        timed(f"episode_metadata_sensor tick with {len(keys):,} partitions and one new message", tick)
        from podcast_assets.definitions import defs

        state = {"cursor": None}

        def automation():  # what automation_sensor evaluates at each tick, its cursor carried over
            result = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=state["cursor"])
            state["cursor"] = result.cursor
            return result

        timed("the automation conditions of the whole graph, one evaluation (as automation_sensor's tick)",
              automation)
        port = free_port()
        web = subprocess.Popen([str(Path(sys.executable).with_name("dagster-webserver")), "-m",
                                "podcast_assets.definitions", "-p", str(port), "-h", "127.0.0.1"],
                               env={**os.environ, "PODCAST_DATA_DIR": settings.PODCAST_DATA_DIR,
                                     "KAFKA_BOOTSTRAP_SERVERS": settings.KAFKA_BOOTSTRAP_SERVERS,
                                     "MONGO_URI": settings.MONGO_URI}, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, cwd=work)
        url = f"http://127.0.0.1:{port}/graphql"
        for _ in range(240):
            try:
                if requests.get(f"http://127.0.0.1:{port}/server_info", timeout=2).ok:
                    break
            except requests.RequestException:
                time.sleep(0.5)
        variables = {"key": {"path": ["transcripts"]}}

        def query(q):
            answer = requests.post(url, json={"query": q, "variables": variables}, timeout=600).json()
            assert "errors" not in answer, str(answer)[:500]
            return answer["data"]["assetNodeOrError"]

        stats = timed("asset page of transcripts: partition stats and latest materialisation",
                      lambda: query(PARTITION_STATS))
        health = timed("asset page of transcripts: partition health (every key and its status)",
                       lambda: query(PARTITION_HEALTH))
        print(f"partitions: the page shows {stats['partitionStats']}; health lists "
              f"{len(health['partitionKeysByDimension'][0]['partitionKeys']):,} keys, "
              f"{len(health['assetPartitionStatuses']['materializedPartitions']):,} materialised", flush=True)
    finally:
        if web is not None:
            web.terminate()
            web.wait(30)
        stack.down(log=lambda *_: None)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cases", default="als,partitions")
    p.add_argument("--users", type=int, default=200_000)
    p.add_argument("--episodes", type=int, default=20_000)
    p.add_argument("--interactions", type=int, default=10_000_000)
    p.add_argument("--rank", type=int, default=32)
    p.add_argument("--iterations", type=int, default=10)
    p.add_argument("--cores", type=int, default=2)
    p.add_argument("--memory", default="12g")
    p.add_argument("--shuffle-partitions", type=int, default=16)
    p.add_argument("--partitions", type=int, default=100_000)
    p.add_argument("--materialised", type=int, default=2_000)
    args = p.parse_args()
    cases = {"als": als, "partitions": partitions}
    for case in args.cases.split(","):
        cases[case](args)


if __name__ == "__main__":
    main()
