"""``podcast-assets demo``: the whole graph end to end on the local default, through the real hops.

Ingest from the local Podcast Index, episode messages through Kafka into the sensor's logic,
per-episode audio and transcripts, embeddings and similarities to MongoDB, generated listener
events through Kafka into the raw table, daily engagement, the model and the recommendations.
Every run goes into the project's Dagster instance, so the UI shows it. Running it again redoes
nothing that is finished and duplicates nothing.
"""

from __future__ import annotations

import json
import time

import dagster as dg

from podcast_assets.settings import Settings


class Demo:
    def __init__(self, settings: Settings, instance: dg.DagsterInstance, log=print, quiet: bool = True):
        import logging

        from podcast_assets.definitions import defs
        from podcast_assets.resources.factory import build_resources

        self.quiet = quiet  # the demo prints its own progress; Dagster's step events are in the UI
        if quiet:
            logging.getLogger("dagster").setLevel(logging.WARNING)
        self.s, self.instance, self.log = settings, instance, log
        self.assets = list(defs.assets) + list(defs.asset_checks or [])  # the blocking model check included
        self.resources = build_resources(settings)
        self.state_file = settings.data_dir / "demo_state.json"
        self.state = json.loads(self.state_file.read_text()) if self.state_file.exists() else {}
        self.counts: dict[str, object] = {}

    def _save(self) -> None:
        self.state_file.write_text(json.dumps(self.state, indent=1))

    def materialize(self, selection: list[str], run_config: dict | None = None, **kwargs) -> dg.ExecuteInProcessResult:
        run_config = dict(run_config or {})
        if self.quiet:
            run_config["loggers"] = {"console": {"config": {"log_level": "WARNING"}}}
        result = dg.materialize(self.assets, selection=selection, instance=self.instance, resources=self.resources,
                                raise_on_error=False, run_config=run_config, **kwargs)
        if not result.success:
            failed = [e.step_failure_data.error.message.strip().splitlines()[0]
                      for e in result.all_events if e.is_step_failure]
            self.log(f"  ! {', '.join(selection)} {kwargs.get('partition_key', '')}: {'; '.join(failed)[:300]}")
        return result

    def meta(self, result, asset: str, key: str, default=None):
        mats = result.asset_materializations_for_node(asset) if result.success else []
        return mats[0].metadata[key].value if mats and key in mats[0].metadata else default

    def _sensor(self, sensor, name: str):
        ctx = dg.build_sensor_context(instance=self.instance, cursor=self.state.get(name),
                                      resources={"kafka": self.resources["kafka"], "delta": self.resources["delta"]})
        return sensor(ctx)

    def stage(self, title: str) -> float:
        self.log(f"\n== {title}")
        return time.perf_counter()

    def run(self) -> dict:
        from podcast_assets.events.sensors import user_events_sensor
        from podcast_assets.transcripts.sensors import episode_metadata_sensor

        t = self.stage("1/6 ingest: trending shows and one episode each -> Delta, Kafka, MongoDB")
        r = self.materialize(["trending_podcasts", "episodes", "episode_catalog"])
        self.counts["episodes"] = self.meta(r, "episodes", "dagster/row_count", 0)
        self.log(f"  {self.counts['episodes']} episodes, {self.meta(r, 'episodes', 'published_new', 0)} newly published "
                 f"to Kafka ({time.perf_counter() - t:.1f}s)")

        t = self.stage("2/6 transcripts: episode-metadata -> sensor -> per-episode audio and transcript")
        tick = self._sensor(episode_metadata_sensor, "episode_metadata_sensor")
        if isinstance(tick, dg.SensorResult):
            for req in tick.dynamic_partitions_requests or []:
                self.instance.add_dynamic_partitions(req.partitions_def_name, list(req.partition_keys))
            pending = dict(self.state.get("pending_episodes", {}))
            pending.update({rr.partition_key: rr.run_config for rr in tick.run_requests or []})
            self.state["pending_episodes"] = pending
            self.state["episode_metadata_sensor"] = tick.cursor
            self._save()
        pending = self.state.get("pending_episodes", {})
        done = failed = 0
        for i, (eid, run_config) in enumerate(sorted(pending.items()), 1):
            r = self.materialize(["episode_audio", "transcripts"], partition_key=eid, run_config=run_config)
            status = self.meta(r, "transcripts", "status", "failed")
            done, failed = done + r.success, failed + (not r.success)
            self.log(f"  [{i}/{len(pending)}] episode {eid}: {status}")
        self.state["pending_episodes"] = {}
        self._save()
        self.counts["transcribed_now"], self.counts["failed_episodes"] = done, failed
        self.log(f"  {done} episodes processed, {failed} failed with a recorded reason ({time.perf_counter() - t:.1f}s)")

        t = self.stage("3/6 similarities: embeddings -> top-K neighbours -> MongoDB")
        r = self.materialize(["episode_embeddings", "episode_similarities"])
        self.counts["embedded_now"] = self.meta(r, "episode_embeddings", "embedded", 0)
        self.counts["similarity_pairs"] = self.meta(r, "episode_similarities", "documents", 0)
        self.log(f"  {self.counts['embedded_now']} new vectors, {self.counts['similarity_pairs']} pairs upserted "
                 f"({self.meta(r, 'episode_similarities', 'mongo_status', '?')}) ({time.perf_counter() - t:.1f}s)")

        t = self.stage("4/6 listener events -> Kafka -> exactly once into Delta -> daily engagement")
        if not self.state.get("events_generated"):
            r = self.materialize(["user_events"])
            self.state["events_generated"] = r.success
            self._save()
            self.log(f"  {self.meta(r, 'user_events', 'messages', 0)} events published")
        else:
            self.log("  events already generated by an earlier demo run")
        days: set[str] = set(self.state.get("pending_days", []))
        # the sensor says whether the raw table is behind the topic; each run reads up to the end
        while isinstance(self._sensor(user_events_sensor, "user_events_sensor"), dg.RunRequest):
            r = self.materialize(["user_events_raw"])
            if not r.success:
                break
            days |= set(filter(None, self.meta(r, "user_events_raw", "days_touched", "").split(",")))
            self.log(f"  {self.meta(r, 'user_events_raw', 'range')}: {self.meta(r, 'user_events_raw', 'rows_committed')}"
                     f" rows, {self.meta(r, 'user_events_raw', 'dead_letters')} dead letters")
            self.state["pending_days"] = sorted(days)
            self._save()
        for day in sorted(days):
            r = self.materialize(["daily_engagement"], partition_key=day)
            self.log(f"  daily_engagement[{day}]: {self.meta(r, 'daily_engagement', 'dagster/row_count', 0)} rows")
        self.state["pending_days"] = []
        self._save()
        self.log(f"  ({time.perf_counter() - t:.1f}s)")

        t = self.stage("5/6 recommendations: ALS (versioned) -> top-N and hybrid -> MongoDB")
        from podcast_assets.recommendations.sensors import latest_storage_id

        engagement = latest_storage_id(self.instance, "daily_engagement")
        model = latest_storage_id(self.instance, "hybrid_recommendations")
        if engagement and (model is None or model < engagement):
            r = self.materialize(["als_model", "user_recommendations", "hybrid_recommendations"])
            self.counts["model_version"] = self.meta(r, "als_model", "model_version")
            checks = r.get_asset_check_evaluations() if hasattr(r, "get_asset_check_evaluations") else []
            verdict = "published" if checks and all(c.passed for c in checks) else "kept, not published"
            self.log(f"  model {self.counts['model_version']}: NDCG@10 {self.meta(r, 'als_model', 'als_ndcg@10', 0):.3f} "
                     f"vs popularity {self.meta(r, 'als_model', 'popularity_ndcg@10', 0):.3f}: {verdict} "
                     f"({time.perf_counter() - t:.1f}s)")
            # while no model has passed its check, every user gets the popularity list (a no-op after)
            self.materialize(["popular_recommendations"])
        else:
            self.log("  the model is current: nothing to retrain")
        self.stage("6/6 summary")
        return self.counts


def summary(settings: Settings) -> dict:
    """Totals per stage, read back from Delta and MongoDB (what a user would check by hand)."""
    from podcast_assets.recommendations.model_store import versions
    from podcast_assets.resources.factory import resources_outside_runs
    from podcast_assets.resources.mongo import UNAVAILABLE

    resources = resources_outside_runs(settings, "delta", "mongo")
    delta, mongo = resources["delta"], resources["mongo"]

    def rows(table, where=None):
        df = delta.pandas(table)
        return int(len(df.query(where))) if where and len(df) else int(len(df))

    out = {"trending_shows": rows("trending_podcasts"), "episodes": rows("episodes"),
           "transcripts": rows("transcripts", "status == 'transcribed'"),
           "skipped_not_english": rows("transcripts", "status == 'skipped_not_english'"),
           "vectors": rows("vectors"), "raw_events": rows("user_events_raw"),
           "daily_engagement_rows": rows("daily_engagement"),
           "model_versions": len(versions(settings.data_dir / "models" / "als"))}
    try:
        out["mongo_episodes"] = mongo.count(mongo.database, "episodes")
        out["mongo_similarities"] = mongo.count(mongo.database, "similarities")
        out["mongo_als_top_n"] = mongo.count(mongo.recommendations_database, "als_top_n")
        out["mongo_hybrid_top_n"] = mongo.count(mongo.recommendations_database, "hybrid_top_n")
    except UNAVAILABLE:
        out["mongo"] = "unreachable"
    return out


def print_summary(settings: Settings, log=print) -> dict:
    from podcast_assets.resources.factory import resources_outside_runs
    from podcast_assets.resources.mongo import UNAVAILABLE
    from podcast_assets.similarities.neighbours import merge_directions

    totals = summary(settings)
    width = max(len(k) for k in totals)
    for k, v in totals.items():
        log(f"  {k:<{width}}  {v}")
    resources = resources_outside_runs(settings, "mongo", "delta", "embedder")
    mongo, titles = resources["mongo"], resources["delta"].titles()
    model, db, recs_db = resources["embedder"].model_name, mongo.database, mongo.recommendations_database
    try:
        log("\n  similar episodes (cosine):")
        firsts = mongo.find(db, "similarities", {"rank": 1, "model": model}, [("new_episode_id", 1)])
        for d in firsts[:: max(1, len(firsts) // 4)][:4]:  # spread over the catalog
            eid = d["new_episode_id"]
            top = merge_directions(mongo.find(db, "similarities", {"new_episode_id": eid, "model": model}),
                                   mongo.find(db, "similarities", {"historical_episode_id": eid, "model": model}), 1)[0]
            log(f"    {titles.get(eid, eid)[:48]:<48} ~ "
                f"{titles.get(top['episode_id'], top['episode_id'])[:48]:<48} {top['similarity']:.2f}")
        version = mongo.current_version(recs_db, "als_top_n")
        doc = next(iter(mongo.find(recs_db, "als_top_n", {"rank": 5, "model_version": version}, limit=1)
                        or mongo.find(recs_db, "als_top_n", {"model_version": version}, limit=1)), None)
        if doc:
            recs = mongo.find(recs_db, "als_top_n", {"user_id": doc["user_id"], "model_version": version},
                              [("rank", 1)], 5)
            log(f"\n  recommendations for user {doc['user_id']} (model {version}):")
            for r in recs:
                log(f"    {r['rank']}. {titles.get(r['new_episode_id'], r['new_episode_id'])}  ({r['als_score']:.3f})")
    except UNAVAILABLE:
        log("  MongoDB is unreachable: similarities and recommendations wait in the Delta fallback tables")
    log("\n  Open the UI:  dagster dev   (then http://127.0.0.1:3000; same instance: DAGSTER_HOME in ./.env)")
    log("  Stop the local services:  podcast-assets stack down")
    return totals
