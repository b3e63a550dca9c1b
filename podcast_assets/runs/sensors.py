"""Sensors over the whole graph: the one that evaluates automation conditions, and the one that records
every failed run with its reason (Delta ``run_failures``), so failures are visible outside the UI too."""

import datetime as dt
import re

import dagster as dg
import pyarrow as pa

from podcast_assets.common.delta_writes import upsert
from podcast_assets.resources.delta import DeltaTables
from podcast_assets.resources.mongo import MongoResource

RUN_FAILURES = pa.schema([("run_id", pa.string()), ("job_name", pa.string()), ("failed_at", pa.timestamp("us", "UTC")),
                          ("reason", pa.string()), ("steps", pa.string()), ("partition", pa.string())])

# a run that has not ended (the statuses a sensor waits on before asking for another)
IN_FLIGHT = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
             dg.DagsterRunStatus.STARTED]

# evaluates every asset's automation condition (ingest, embeddings, similarities, popularity lists)
automation_sensor = dg.AutomationConditionSensorDefinition(
    "automation_sensor", target=dg.AssetSelection.all(), minimum_interval_seconds=15,
    default_status=dg.DefaultSensorStatus.RUNNING)


def error_line(message: str | None) -> str:
    """The error's first line, without the class name of a Dagster Failure (the reason is the message)."""
    line = (message or "").strip().splitlines()[0] if (message or "").strip() else ""
    return re.sub(r"^[\w.]*Failure: ", "", line)[:300]


def _partitions(tags) -> str:
    """The run's partition, or its range of partitions as ``first..last``."""
    start, end = tags.get("dagster/asset_partition_range_start"), tags.get("dagster/asset_partition_range_end")
    return tags.get("dagster/partition") or (f"{start}..{end}" if start and end else "")


@dg.run_failure_sensor(name="run_failure_sensor", default_status=dg.DefaultSensorStatus.RUNNING,
                       minimum_interval_seconds=15)
def run_failure_sensor(context: dg.RunFailureSensorContext, delta: DeltaTables) -> None:
    """One row per failed run: its job, the failing steps and the first line of each step's error."""
    steps = context.get_step_failure_events()
    reasons = [f"{e.step_key}: {error_line(e.event_specific_data.error.message)}"
               for e in steps if e.event_specific_data and e.event_specific_data.error]
    run = context.dagster_run
    row = {"run_id": run.run_id, "job_name": run.job_name, "failed_at": dt.datetime.now(dt.UTC),
           "reason": "; ".join(reasons) or (context.failure_event.message or "")[:500],
           "steps": ",".join(e.step_key for e in steps), "partition": _partitions(run.tags)}
    upsert(delta.uri("run_failures"), pa.Table.from_pylist([row], RUN_FAILURES), "run_id")
    context.log.info(f"run {run.run_id} of {run.job_name} failed: {row['reason'][:200]}")


def _assets_in_flight(instance: dg.DagsterInstance) -> set[str]:
    """The assets that runs not yet ended target."""
    return {key.to_user_string() for r in instance.get_run_records(dg.RunsFilter(statuses=IN_FLIGHT), limit=200)
            for key in (r.dagster_run.asset_selection or ())}


def fallback_replay_sensor(name: str, replayed_by: dict[tuple[str, str], str], owner_of=None) -> dg.SensorDefinition:
    """A sensor that brings writes which fell back to Delta while MongoDB did not answer into MongoDB within a
    minute of it answering again: a run of the asset that owns them, whose write replays them first (once each:
    the replay deletes exactly the rows it wrote). ``replayed_by``: (the ``MongoResource`` field naming the
    database, collection) -> that asset; ``owner_of(collection, newest waiting document)`` may name another.
    Not while a run of that asset is in flight (it replays them itself). A run key names what waits and the
    outages seen so far, so an asset whose run left the rows waiting is asked again only after the next
    outage or fallback write, never on every tick."""

    @dg.sensor(name=name, target=dg.AssetSelection.assets(*replayed_by.values()), minimum_interval_seconds=30,
               default_status=dg.DefaultSensorStatus.RUNNING)
    def _sensor(context: dg.SensorEvaluationContext, mongo: MongoResource):
        outages = int(context.cursor or 0)
        waiting = {}
        for (field, coll), asset in replayed_by.items():
            db = getattr(mongo, field)
            if mark := mongo.fallback_mark(db, coll):
                owner = (owner_of(coll, mongo.newest_fallback(db, coll) or {}) if owner_of else None) or asset
                waiting[owner] = f"{db}.{coll} {mark}"
        if not waiting:
            return dg.SkipReason("no writes wait in a Delta fallback table")
        if not mongo.reachable():
            return dg.SensorResult(skip_reason=f"MongoDB at {mongo.safe_address} unreachable; waiting in Delta: "
                                   f"{waiting}", cursor=str(outages + 1))
        busy = _assets_in_flight(context.instance)
        requests = [dg.RunRequest(run_key=f"replay {asset} {what} after outage {outages}",
                                  asset_selection=[dg.AssetKey(asset)], tags={"podcast_assets/replays": what})
                    for asset, what in waiting.items() if asset not in busy]
        context.log.info(f"MongoDB answers: replaying {waiting} through {[r.asset_selection[0].path[-1] for r in requests]}")
        return dg.SensorResult(run_requests=requests)

    return _sensor


# the collections written through the Mongo IO manager, and the asset whose next write replays them (a run of it
# with nothing new writes nothing, after the replay); the published recommendation sets: recommendations/sensors.py
mongo_fallback_sensor = fallback_replay_sensor("mongo_fallback_sensor", {
    ("database", "episodes"): "episode_catalog", ("database", "similarities"): "episode_similarities"})
