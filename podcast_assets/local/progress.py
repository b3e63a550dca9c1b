"""The graph's progress, stage by stage, as the demo shows it while the daemon works.

Read only: the instance (materialisations, runs in flight), Delta, MongoDB and Kafka end offsets. A
stage is *done* when it has caught up with the one before it (every episode has an outcome, every
transcript its neighbours, the raw table the topic's end, engagement the newest raw commit, a model the
newest engagement); the graph is complete when every stage is done and no run is in flight.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import dagster as dg
import pandas as pd

from podcast_assets.recommendations.sensors import latest_storage_id
from podcast_assets.settings import Settings

EPISODE_JOBS = ("episode_download_job", "episode_transcription_job")
IN_FLIGHT = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
             dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]


@dataclass
class Stage:
    name: str
    line: str
    done: bool


class GraphWatch:
    """What the graph holds now, read from the instance, Delta, MongoDB and Kafka (never written)."""

    def __init__(self, settings: Settings, instance: dg.DagsterInstance):
        from podcast_assets.resources.factory import resources_outside_runs

        r = resources_outside_runs(settings, "delta", "mongo", "kafka", "embedder")
        self.s, self.instance = settings, instance
        self.delta, self.mongo, self.kafka, self.model = r["delta"], r["mongo"], r["kafka"], r["embedder"].model_name

    def latest(self, asset: str) -> int:
        return latest_storage_id(self.instance, asset) or 0

    def latest_metadata(self, asset: str) -> dict:
        records = self.instance.fetch_materializations(dg.AssetKey(asset), limit=1).records
        mat = records[0].asset_materialization if records else None
        return {k: v.value for k, v in mat.metadata.items()} if mat else {}

    def raw_commit_with_days(self) -> int:
        """The newest ``user_events_raw`` materialisation that touched a day (what engagement must follow)."""
        records = self.instance.fetch_materializations(dg.AssetKey("user_events_raw"), limit=100).records
        for record in records:
            days = record.asset_materialization.metadata.get("days_touched") if record.asset_materialization else None
            if days is not None and days.value:
                return record.storage_id
        return 0

    def in_flight(self, job: str | None = None) -> int:
        return len(self.instance.get_run_records(dg.RunsFilter(job_name=job, statuses=IN_FLIGHT)))

    def stages(self) -> tuple[list[Stage], dict[str, str]]:
        """Each stage's line and whether it is caught up; and the expected failures, keyed by what failed."""
        from podcast_assets.resources.mongo import UNAVAILABLE

        shows, feeds = self.delta.pandas("trending_podcasts", ["feed_id"]), self.delta.pandas("feeds", ["feed_url"])
        # trending episodes and the followed feeds' own (an episode in both has one id, in both tables)
        eps = pd.concat([self.delta.pandas(t, ["episode_id"]) for t in ("episodes", "feed_episodes")]).drop_duplicates()
        ingest_done = self.latest("episode_catalog") > self.latest("episodes") > self.latest("trending_podcasts") > 0
        out = [Stage("ingest", f"{len(shows)} trending shows, {len(feeds)} followed feeds, {len(eps)} episodes "
                               "(Delta, Kafka, MongoDB)", ingest_done)]

        t = self.delta.pandas("transcripts", ["episode_id", "episode_title", "status"])
        t = t[t["episode_id"].isin(set(eps["episode_id"]))]
        transcribed = set(t.loc[t["status"] == "transcribed", "episode_id"])
        skipped, failed = t[t["status"] == "skipped_not_english"], t[t["status"].str.startswith("failed")]
        failures = {f"episode {r.episode_id}": f"{r.episode_title!r}: {r.status}" for r in failed.itertuples()}
        failures |= {f"episode {r.episode_id}": f"{r.episode_title!r}: skipped, the audio is not English"
                     for r in skipped.itertuples()}
        transcripts_done = ingest_done and len(t) == len(eps) and not self.in_flight("episode_download_job") \
            and not self.in_flight("episode_transcription_job")
        out.append(Stage("transcripts", f"{len(t)}/{len(eps)} episodes: {len(transcribed)} transcribed, "
                                        f"{len(skipped)} not English, {len(failed)} failed", transcripts_done))

        embedded = set(self.delta.latest_vectors(self.model)["episode_id"])
        try:
            pairs = self.mongo.find(self.mongo.database, "similarities", {"model": self.model})
            anchors = {p["new_episode_id"] for p in pairs}
            line = (f"{len(embedded & transcribed)} embedded, {len(anchors & transcribed)} with neighbours in MongoDB "
                    f"({len(pairs)} pairs)")
        except UNAVAILABLE:
            anchors, line = set(), f"{len(embedded & transcribed)} embedded; MongoDB unreachable (Delta fallback)"
        out.append(Stage("similarities", line, transcripts_done and transcribed <= embedded
                         and (len(transcribed) < 2 or transcribed <= anchors)))

        passages = self.delta.pandas("transcript_passages", ["episode_id", "model"])
        searchable = set(passages.loc[passages["model"] == self.model, "episode_id"]) if len(passages) else set()
        out.append(Stage("search", f"{len(passages)} passages of {len(searchable & transcribed)} episodes",
                         transcripts_done and transcribed <= searchable))

        out += self._events_and_recommendations(failures)
        # failed runs of other jobs (an episode's failure is its outcome row, shown above)
        runs = self.delta.pandas("run_failures", ["run_id", "job_name", "reason"])
        failures |= {f"run {r.run_id[:8]} of {r.job_name}:": r.reason.split("\n")[0][:200]
                     for r in runs.itertuples() if r.job_name not in EPISODE_JOBS}
        return out, failures

    def _events_and_recommendations(self, failures: dict[str, str]) -> list[Stage]:
        from podcast_assets.events.exactly_once import read_state
        from podcast_assets.resources.kafka import KafkaUnavailable
        from podcast_assets.resources.mongo import UNAVAILABLE

        topic, raw = self.kafka.user_events_topic, self.delta.pandas("user_events_raw", ["event_id"])
        dead = self.delta.pandas("user_events_dead_letters", ["kafka_offset"])
        try:
            with self.kafka.reader() as reader:
                ends = reader.end_offsets(topic)
            state = read_state(self.delta.table("user_events_raw"), self.delta.uri("user_events_raw"), topic, ends)
            caught_up = all(state.committed.get(p, 0) == end for p, end in ends.items())
            line = f"{len(raw)} listener events in user_events_raw, {len(dead)} dead letters"
        except KafkaUnavailable:
            caught_up, line = False, "Kafka unreachable"
        generated = self.latest("user_events") > 0 or not self.s.SYNTHETIC_LISTENERS
        stages = [Stage("events", line, generated and caught_up)]

        engagement, raw_days = self.latest("daily_engagement"), self.raw_commit_with_days()
        daily = self.delta.pandas("daily_engagement", ["day"])
        stages.append(Stage("engagement", f"{len(daily)} rows over {daily['day'].nunique() if len(daily) else 0} days",
                            stages[-1].done and engagement >= raw_days))

        meta, model = self.latest_metadata("als_model"), self.latest("als_model")
        try:
            current = self.mongo.current_version(self.mongo.recommendations_database, "als_top_n")
        except UNAVAILABLE:
            current = None
        if not meta:
            line = "no model yet"
        else:
            version, als, pop = meta.get("model_version"), meta.get("als_ndcg@10", 0), meta.get("popularity_ndcg@10", 0)
            if current == version:
                verdict = "published"
            elif self.in_flight("recommendations_job"):
                verdict = "being checked and published"
            else:
                verdict = failures[f"model {version}"] = "kept, not published (it does not beat popularity)"
            line = f"model {version}: NDCG@10 {als:.3f} vs popularity {pop:.3f}: {verdict}"
        if current and current.startswith("popularity-"):
            line += "; users have the popularity lists"
        stages.append(Stage("recommendations", line, stages[-1].done and (engagement == 0 or (
            model > engagement and self.latest("popular_recommendations") > engagement and current is not None
            and not self.in_flight("recommendations_job")))))
        return stages


def watch(settings: Settings, instance: dg.DagsterInstance, timeout_s: float, log=print, poll_s: float = 3.0) -> bool:
    """Print each stage's progress until the graph is complete (True) or ``timeout_s`` passes (False)."""
    graph, shown, told, start = GraphWatch(settings, instance), {}, set(), time.monotonic()
    while True:
        elapsed = time.monotonic() - start
        try:
            stages, failures = graph.stages()
        except Exception as exc:  # a table mid-write, a service restarting: say so once, look again
            problem = f"{type(exc).__name__}: {str(exc)[:120]}"
            if shown.get("problem") != problem:
                log(f"  [{elapsed:>5.0f}s] progress not readable right now ({problem})")
                shown["problem"] = problem
            if elapsed > timeout_s:
                return False
            time.sleep(poll_s)
            continue
        for stage in stages:
            text = f"{stage.line}{'  (done)' if stage.done else ''}"
            if shown.get(stage.name) != text:
                log(f"  [{elapsed:>5.0f}s] {stage.name:<16} {text}")
                shown[stage.name] = text
        similar = next((st for st in stages if st.name == "similarities"), None)
        if similar is not None and similar.done and "neighbours" not in shown:
            shown["neighbours"] = f"{elapsed:.0f}s"
            log(f"  [{elapsed:>5.0f}s] time to neighbours: every transcript has its neighbours in MongoDB")
        for what in sorted(set(failures) - told):
            log(f"  ! {what} {failures[what]}")
            told.add(what)
        if all(s.done for s in stages) and not graph.in_flight():
            log(f"  the graph is complete ({elapsed:.0f}s; neighbours after {shown.get('neighbours', '?')})")
            return True
        if elapsed > timeout_s:
            log(f"  not complete after {elapsed:.0f}s: {', '.join(s.name for s in stages if not s.done)}")
            return False
        time.sleep(poll_s)
