"""Exactly once through the real daemon path (sensor -> run -> Delta) under the faults of a live system.

Outside producers with kafka-python's default batching send events, some malformed. Run processes are
SIGKILLed at planned, logged moments (``faults/sitecustomize.py``): before and between the Delta commits,
after them and before the dead-letter publish, and after that publish before it is recorded. Two runs are requested at once and must queue, not overlap. The
in-memory broker restarts and more events follow; every day the raw commits touched is recomputed. Two
retrains requested at once queue, and readers of the published recommendations never see a mix. Nobody
clicks: the daemon's sensors, its run queue
and its run monitoring do everything. At the end every valid event is in ``user_events_raw`` once,
every malformed one in ``user_events_dead_letters`` once and on the dead-letter topic once: also when, in
the new epoch, a run dies between sending its letters and recording them, and when publishes read the
topic's ends too late to find the true ones.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
from deltalake import DeltaTable
from kafka import KafkaProducer
from pymongo import MongoClient

from podcast_assets.events.generator import generate
from podcast_assets.events.schema import validate
from podcast_assets.local.instance import DAGSTER_YAML
from podcast_assets.local.stack import Stack
from podcast_assets.resources.mongo_sink import current_version
from podcast_assets_tests.conftest import stack_settings
from podcast_assets_tests.helpers import contract_results, env_for, kafka_for, stop_process_group

pytestmark = pytest.mark.daemon  # runs dagster-daemon (or dagster dev) on the suite's stack

BIN = Path(sys.executable).parent
FAULTS = Path(__file__).parent / "faults"
PLAN = {  # point -> {hit number: what is killed}
    "before dead-letter commit": {"1": "step"},
    "before raw commit": {"1": "run worker and step"},
    "after the commits, before the DLQ publish": {"1": "run worker and step"},
    "after the DLQ send, before recording it": {"1": "step"},
}
# 30 episodes: with fewer, every user has heard most of them and popularity ranks as well as ALS
EPISODES = {str(41000000 + i): ("science", "food", "history")[i % 3] for i in range(30)}


def produce(settings, seed: int, users: int, per_user: int) -> list[bytes]:
    """Events from an outside producer: kafka-python with its default batching and acks."""
    now = dt.datetime.now(dt.UTC)
    messages = [m.encode() for _, m in generate(EPISODES, users, per_user, 7, seed, now, malformed_share=0.05)]
    template = json.loads(next(m for m in messages if validate(m)[0]))
    messages.append(json.dumps({**template, "event_id": f"old-{seed}",
                                "ts": "1999-01-01T00:00:00+00:00"}).encode())  # no daily partition holds it
    producer = KafkaProducer(bootstrap_servers=settings.KAFKA_BOOTSTRAP_SERVERS)
    for i, m in enumerate(messages):
        producer.send(settings.TOPIC_USER_EVENTS, key=f"u{i % 17}".encode(), value=m)
    producer.flush()
    producer.close()
    return messages


class PublishedSetReader(threading.Thread):
    """Reads the published ``als_top_n`` set over and over, as a user would, and records what it saw."""

    def __init__(self, settings):
        super().__init__(daemon=True)
        self.settings, self.seen, self.running = settings, [], True

    def run(self) -> None:
        with MongoClient(self.settings.MONGO_URI) as client:
            while self.running:
                version = current_version(client, self.settings.MONGO_RECS_DB, "als_top_n")
                if version:
                    docs = list(client[self.settings.MONGO_RECS_DB].als_top_n.find({"model_version": version}))
                    self.seen.append((version, len(docs), len({d["user_id"] for d in docs})))
                time.sleep(0.02)

    def stop(self) -> None:
        self.running = False
        self.join(10)


def finished_runs(home, job: str) -> int:
    done = [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED]
    with dg.DagsterInstance.from_config(str(home)) as instance:
        return len(instance.get_run_records(dg.RunsFilter(job_name=job, statuses=done)))


def failed_runs(home) -> set[str]:
    with dg.DagsterInstance.from_config(str(home)) as instance:
        return {r.dagster_run.run_id for r in instance.get_run_records(
            dg.RunsFilter(statuses=[dg.DagsterRunStatus.FAILURE]))}


def spans_of(home, job: str) -> list[tuple]:
    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_run_records(dg.RunsFilter(job_name=job))
    return sorted((r.start_time, r.end_time, r.create_timestamp.timestamp()) for r in runs if r.start_time)


def engagement_matches_raw(settings) -> bool:
    raw, daily = table(settings, "user_events_raw"), table(settings, "daily_engagement")
    if raw.empty or daily.empty:
        return False
    per_day = raw.groupby(raw["day"].astype(str)).size().to_dict()
    return daily.groupby(daily["day"].astype(str))["events"].sum().to_dict() == per_day


def table(settings, name) -> pd.DataFrame:
    uri = settings.delta_path(name)
    return DeltaTable(uri).to_pandas() if DeltaTable.is_deltatable(uri) else pd.DataFrame()


def dlq_letters(settings) -> list[dict]:
    kafka = kafka_for(settings)
    ends = kafka.end_offsets(settings.TOPIC_USER_EVENTS_DLQ)
    return [json.loads(r.value) for r in kafka.read_range(settings.TOPIC_USER_EVENTS_DLQ, {p: (0, e) for p, e in ends.items()})]


def plan_next(plan: Path, point: str, action: str, hits: int = 1) -> None:
    """``action`` at the next ``hits`` hits of ``point`` (the hits so far are counted in ``<plan>.state``)."""
    state = Path(f"{plan}.state")
    done = json.loads(state.read_text() or "{}").get(point, 0) if state.exists() else 0
    faults = json.loads(plan.read_text())
    faults.setdefault(point, {}).update({str(done + i): action for i in range(1, hits + 1)})
    tmp = plan.with_suffix(".tmp")
    tmp.write_text(json.dumps(faults))
    tmp.replace(plan)  # the run processes read the plan at every hit: never half-written


def in_flight(home, job: str) -> int:
    with dg.DagsterInstance.from_config(str(home)) as instance:
        return len(instance.get_run_records(dg.RunsFilter(job_name=job, statuses=[
            dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED])))


def wait_for(what, check, timeout=300, log=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(2)
    raise AssertionError(f"timed out waiting for {what}" + (f"\n{log.read_text(errors='replace')[-4000:]}" if log else ""))


@pytest.mark.slow
def test_exactly_once_through_the_daemon_under_kills_overlaps_and_a_broker_restart(tmp_path):
    s = stack_settings(tmp_path / "data", MONGO_TIMEOUT_MS=1500)
    stack = Stack(s, with_podcast_index=False)
    stack.up(log=lambda *_: None)
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(DAGSTER_YAML)  # the project's own instance config: pools, monitoring
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(PLAN))
    # only the event path runs: no synthetic listeners (the test is the producer), no ingest or retraining
    env = {**env_for(s), "DAGSTER_HOME": str(home), "PYTHONPATH": str(FAULTS), "FAULT_PLAN": str(plan),
           "SYNTHETIC_LISTENERS": "false"}
    dagster = [str(BIN / "dagster")]
    for sensor in ("episode_metadata_sensor", "retrain_on_engagement_sensor", "automation_sensor"):
        subprocess.run(dagster + ["sensor", "stop", sensor, "-m", "podcast_assets.definitions"], env=env, cwd=tmp_path,
                       capture_output=True, timeout=120, check=True)
    daemon_log = tmp_path / "daemon.log"
    daemon = subprocess.Popen([str(BIN / "dagster-daemon"), "run", "-m", "podcast_assets.definitions"], env=env,
                              cwd=tmp_path, stdout=open(daemon_log, "wb"), stderr=subprocess.STDOUT,
                              start_new_session=True)
    sent: list[bytes] = []
    try:
        kafka_for(s).ensure_topics([s.TOPIC_USER_EVENTS, s.TOPIC_USER_EVENTS_DLQ])

        def valid_ids():
            return {e["event_id"] for e in (validate(m)[0] for m in sent) if e and e["ts"].year >= 2025}

        def caught_up():
            raw = table(s, "user_events_raw")
            return len(raw) > 0 and set(raw["event_id"]) >= valid_ids()

        # 1. a batch; four runs die (before any commit, between the commits, before the DLQ publish, before
        # the publish is recorded); the sensor follows each with a run, with no new events needed
        sent += produce(s, seed=1, users=40, per_user=50)
        wait_for("the first batch to be ingested through the kills", caught_up, log=daemon_log)
        wait_for("the fourth kill", lambda: Path(f"{plan}.log").exists()
                 and len(Path(f"{plan}.log").read_text().splitlines()) == 4, log=daemon_log)
        # 2. more events
        sent += produce(s, seed=2, users=10, per_user=30)
        wait_for("the second batch", caught_up, log=daemon_log)
        # 3. two runs requested at once beside the sensor's: they queue, one writer at a time
        sent += produce(s, seed=3, users=10, per_user=30)
        for _ in range(2):
            subprocess.run(dagster + ["job", "launch", "-j", "user_events_ingest_job", "-m", "podcast_assets.definitions"],
                           env=env, cwd=tmp_path, capture_output=True, timeout=120, check=True)
        wait_for("the third batch", caught_up, log=daemon_log)
        # 4. the in-memory broker restarts (after ingestion caught up), then more events come; in the new
        # epoch a run dies after sending the dead letters to the new DLQ topic, before recording it
        stack.stop_service("kafka")
        stack.up(log=lambda *_: None)
        kafka_for(s).ensure_topics([s.TOPIC_USER_EVENTS, s.TOPIC_USER_EVENTS_DLQ])
        plan_next(plan, "after the DLQ send, before recording it", "step")
        sent += produce(s, seed=4, users=10, per_user=20)
        wait_for("the batch after the restart", caught_up, log=daemon_log)
        wait_for("every dead letter on the new DLQ topic",
                 lambda: len(dlq_letters(s)) >= len(table(s, "user_events_dead_letters")), log=daemon_log)
        # and, as on a busy machine, two publishes read the DLQ's last batches too late: the broker's
        # under-reported ends are all they have (taken at their word, letters were sent twice)
        plan_next(plan, "the DLQ publish reads the topic's ends", "late", hits=2)
        sent += produce(s, seed=5, users=10, per_user=20)
        wait_for("the second batch after the restart", caught_up, log=daemon_log)
        wait_for("every dead letter on the DLQ topic",
                 lambda: len(dlq_letters(s)) >= len(table(s, "user_events_dead_letters")), log=daemon_log)
        time.sleep(20)  # longer than a sensor interval: a run asked for after a failed publish is in flight by now
        wait_for("no ingestion run in flight", lambda: not in_flight(home, "user_events_ingest_job"), log=daemon_log)
        letters = dlq_letters(s)
        # 5. daily_engagement_sensor recomputed every day any raw commit touched, up to the last commit
        wait_for("every day's engagement to count every raw event of that day",
                 lambda: engagement_matches_raw(s), log=daemon_log)
        # 6. two retrains requested at once: the recommendations pool runs them one after the other, and a
        # reader (through the published pointer, as `podcast-assets recommend` reads) never sees an empty
        # or half-written set
        reader = PublishedSetReader(s)
        reader.start()
        for _ in range(2):
            subprocess.run(dagster + ["job", "launch", "-j", "recommendations_job", "-m", "podcast_assets.definitions"],
                           env=env, cwd=tmp_path, capture_output=True, timeout=120, check=True)
        wait_for("both retrains to finish", lambda: finished_runs(home, "recommendations_job") == 2, log=daemon_log)
        reader.stop()
        wait_for("run_failure_sensor to record every failed run", lambda: failed_runs(home) <= set(
            table(s, "run_failures").get("run_id", [])), log=daemon_log)
        failures = table(s, "run_failures")
    finally:
        stop_process_group(daemon)
        stack.down(log=lambda *_: None)

    raw, dead = table(s, "user_events_raw"), table(s, "user_events_dead_letters")
    log = Path(f"{plan}.log").read_text().splitlines()
    kills, late = [k for k in log if "SIGKILL" in k], [k for k in log if "too late" in k]
    assert len(kills) == 5 and "DLQ publish" in kills[2] and "before recording" in kills[3], kills
    assert "before recording" in kills[4] and len(late) == 2, log
    # every valid event exactly once; every malformed or undatable one once, in Delta and on the DLQ topic
    assert raw["event_id"].is_unique and set(raw["event_id"]) == valid_ids()
    assert len(raw) + len(dead) == len(sent)
    keys = {(d["kafka_epoch"], d["kafka_partition"], d["kafka_offset"]) for d in dead.to_dict("records")}
    assert len(keys) == len(dead) and sum("outside the daily partitions" in r for r in dead["reason"]) == 5  # one per batch
    on_topic = [(d["source_epoch"], d["source_partition"], d["source_offset"]) for d in letters]
    new_epoch = [k for k in on_topic if k[0] == 1]
    assert sorted(on_topic) == sorted(keys), (
        f"{len(on_topic)} DLQ messages for {len(set(on_topic))} distinct letters of {len(keys)} in Delta; "
        f"new epoch: {len(new_epoch)} messages for {len(set(new_epoch))} letters")
    assert set(raw["kafka_epoch"]) == {0, 1}  # the restart started a new epoch
    # and the table's own commit log says so too: every run that finished judged the commits since the
    # previous one (the killed runs' among them), and each time they followed on, each offset held once
    [(evaluations, failed_checks)] = contract_results(home, {"user_events_raw": "events_land_exactly_once"}).values()
    assert evaluations >= 3 and failed_checks == [], (evaluations, failed_checks)
    # the runs of the ingestion job never overlapped, and none was left hanging
    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_run_records(dg.RunsFilter(job_name="user_events_ingest_job"))
    spans = sorted((r.start_time, r.end_time, r.create_timestamp.timestamp()) for r in runs if r.start_time)
    assert all(end is not None for _, end, _ in spans)
    assert all(a_end <= b_start for (_, a_end, _), (b_start, _, _) in zip(spans, spans[1:])), spans
    # at least one run was requested while another ran, and waited for it: it queued
    assert any(b_created < a_end <= b_start for (_, a_end, _), (b_start, _, b_created) in zip(spans, spans[1:]))
    print(f"{len(runs)} ingestion runs, kills: {kills}")
    statuses = {r.dagster_run.status for r in runs}
    assert dg.DagsterRunStatus.FAILURE in statuses and dg.DagsterRunStatus.SUCCESS in statuses
    # run_failure_sensor recorded every failed run, with its reason
    failed = {r.dagster_run.run_id for r in runs if r.dagster_run.status == dg.DagsterRunStatus.FAILURE}
    recorded = failures.set_index("run_id")
    assert len(failed) >= 3 and failed <= set(recorded.index)
    assert all(recorded.loc[list(failed), "reason"].str.len() > 0)

    # the two retrains queued rather than overlapped; each published its own complete set, never a mix
    retrains = spans_of(home, "recommendations_job")
    assert len(retrains) == 2 and retrains[0][1] <= retrains[1][0], retrains
    versions = {v for v, _, _ in reader.seen}
    assert len(versions) == 2, versions  # both sets were seen, in turn
    for version in versions:
        sizes = {(n, users) for v, n, users in reader.seen if v == version}
        assert len(sizes) == 1 and next(iter(sizes))[0] > 0, (version, sizes)  # complete whenever visible
