"""``podcast-assets demo``: the live path, compressed.

It starts the local stack and the Dagster daemon (or uses the one ``dagster dev`` already runs on this
instance), then only watches: the shipped sensors, schedules and automation conditions take the data
dir from empty to recommendations, exactly as they do in ``dagster dev``. The demo requests no runs and
evaluates no sensors. It prints a line per stage whenever its counts move and one line per expected
failure (a dead URL, garbled or non-English audio, a model kept but not published), stops the daemon
it started once the graph is complete, and prints the totals. Running it again finds the graph
complete and duplicates nothing.
"""

from __future__ import annotations

import os
import time

import dagster as dg

from podcast_assets.settings import Settings


def run(settings: Settings, timeout_s: float, log=print) -> bool:
    """The daemon takes the graph to complete while the demo watches; True when it got there in time."""
    from podcast_assets.local.daemon import running_daemon, start_daemon, stop_daemon
    from podcast_assets.local.progress import watch

    with dg.DagsterInstance.get() as instance:
        daemon = None
        if running_daemon(instance):
            log("daemon: using the one already running on this instance (dagster dev?)")
        else:
            log_file = settings.data_dir / "logs" / "daemon.log"
            daemon = start_daemon(log_file)
            log(f"daemon: started (pid {daemon.pid}, log {log_file})")
        start = time.monotonic()
        try:
            complete = watch(settings, instance, timeout_s, log)
        finally:
            if daemon is not None:
                stop_daemon(daemon, instance)
        log(f"demo: {'complete' if complete else 'incomplete'} after {time.monotonic() - start:.0f}s "
            f"(Dagster instance {os.environ.get('DAGSTER_HOME', '')})")
        return complete


def summary(settings: Settings) -> dict:
    """Totals per stage, read back from Delta and MongoDB (what a user would check by hand)."""
    from podcast_assets.common import storage
    from podcast_assets.recommendations.model_store import versions
    from podcast_assets.resources.factory import resources_outside_runs
    from podcast_assets.resources.mongo import UNAVAILABLE

    resources = resources_outside_runs(settings, "delta", "mongo")
    delta, mongo = resources["delta"], resources["mongo"]

    def rows(table, where=None):
        df = delta.pandas(table)
        return int(len(df.query(where))) if where and len(df) else int(len(df))

    out = {"trending_shows": rows("trending_podcasts"), "episodes": rows("episodes"), "followed_feeds": rows("feeds"),
           "feed_episodes": rows("feed_episodes"),
           "transcripts": rows("transcripts", "status == 'transcribed'"),
           "skipped_not_english": rows("transcripts", "status == 'skipped_not_english'"),
           "vectors": rows("vectors"), "passages": rows("transcript_passages"), "raw_events": rows("user_events_raw"),
           "daily_engagement_rows": rows("daily_engagement"),
           "model_versions": len(versions(storage.join(settings.storage_uri, "models", "als")))}
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
