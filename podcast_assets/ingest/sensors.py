"""The ingest job (trending shows and their episodes), and the feed sensor that polls the followed feeds.

The feed sensor asks each feed with the validators (ETag, Last-Modified) of the copy the last
``feed_episodes`` run read: an unchanged feed costs one 304 and no run. A changed one (or a server that
ignores validators and sends the same bytes, compared by SHA-256) is read by a ``feed_episodes`` run of the
changed feeds. What the sensor asked for is in its cursor, so a run still queued is not asked for again,
and a run that failed is asked for again after ``ASK_AGAIN``. The sensor looks every ``TICK_SECONDS`` and
asks each feed when it is due (every ``FEED_POLL_SECONDS``), so a feed just followed is asked at once. A feed
that keeps failing (unreachable, refused, or its runs never recording it) backs off: each failure in a row doubles
its wait, up to ``MAX_BACKOFF``, so it stops joining every run. A private feed's URL is resolved here, from the
deployment's list, and never leaves this process.
"""

import datetime as dt
import json
from concurrent.futures import ThreadPoolExecutor, wait

import dagster as dg
import pandas as pd

from podcast_assets.ingest.assets import feed_episodes
from podcast_assets.ingest.feed_items import feed_id
from podcast_assets.ingest.feed_tables import FEED_TABLES
from podcast_assets.ingest.followed import feed_name
from podcast_assets.ingest.private import is_ref
from podcast_assets.resources.delta import DeltaTables
from podcast_assets.resources.feeds import FeedFetcherResource, FeedListResource
from podcast_assets.transcripts.guarded_http import FetchError

ingest_job = dg.define_asset_job("ingest_job", selection=dg.AssetSelection.groups("ingest"),
                                 description="Trending shows and one episode each, and the followed feeds' new "
                                             "episodes, to Delta, Kafka and MongoDB.")
feed_episodes_job = dg.define_asset_job("feed_episodes_job", selection=dg.AssetSelection.assets(feed_episodes),
                                        description="The new episodes of the feeds that changed.")
ASK_AGAIN = dt.timedelta(minutes=10)
MAX_BACKOFF = dt.timedelta(hours=6)
TICK_SECONDS = 30
POLLS_AT_ONCE = 8  # feeds asked side by side: one slow feed (up to its deadline) does not hold up the rest
TICK_BUDGET_S = 40.0  # a tick ends well inside Dagster's 60 s: feeds still answering are asked again next tick


def held_validators(delta: DeltaTables) -> dict[str, dict]:
    """Per feed, the last run's poll: the ETag, Last-Modified and SHA-256 of the copy it read (or judged refused),
    its outcome, when, and whether it left new items to take at the next poll (``again``)."""
    polls = delta.pandas(FEED_TABLES["polls"])  # whole: tables older than ``again`` lack it
    if not len(polls):
        return {}
    latest = polls.sort_values("polled_at", kind="stable").drop_duplicates("feed_url", keep="last")
    return {r["feed_url"]: r for r in latest.to_dict("records")}


def _ask(fetcher: FeedFetcherResource, url, recorded: str, held: dict | None):
    if isinstance(url, Exception):  # a private feed no longer in the list, or a list that cannot be read
        return url
    try:
        return fetcher.feed(url, (held or {}).get("etag") or "", (held or {}).get("last_modified") or "",
                            private=is_ref(recorded))
    except FetchError as exc:
        return exc


def backoff(base: dt.timedelta, fails: int) -> dt.timedelta:
    """How long a feed that failed ``fails`` times in a row waits: doubling from ``base``, at most six hours."""
    return min(base * 2 ** min(fails, 16), max(base, MAX_BACKOFF))


def _due(entry: dict, now: dt.datetime, every: dt.timedelta) -> bool:
    return "polled" not in entry or now - dt.datetime.fromisoformat(entry["polled"]) >= backoff(every, entry.get("fails", 0))


def judge(entry: dict, answer, last: dict, now: dt.datetime) -> str:
    """What a poll's ``answer`` means for its feed (``failed``, ``same``, ``waiting`` for the run asked for, or
    ``changed``), given the feed's ``last`` recorded poll; ``entry`` (the feed's cursor) keeps its failures in a row.
    Any good answer resets them, except a feed whose last read was refused (asked less often until it changes)
    and bytes a run was asked for that no run recorded."""
    entry["polled"], fails = now.isoformat(), entry.get("fails", 0)
    if isinstance(answer, Exception):
        entry["fails"] = fails + 1
        return "failed"
    read = last.get("outcome", "read") == "read"
    current = answer.body is None or answer.sha256 == last.get("sha256")  # the last run read these bytes
    again = last.get("again") in (True,)  # numpy's True too; a row older than the column has None
    if current and not (read and again):
        entry["fails"] = 0 if read else fails + 1
        return "same"
    at = entry.get("at")
    ran = bool(at) and last.get("polled_at") is not None and pd.Timestamp(last["polled_at"]) >= pd.Timestamp(at)
    asked = entry.get("sha256") == answer.sha256 and not ran  # a run was asked for these bytes, none read them yet
    if asked and now - dt.datetime.fromisoformat(at) < backoff(ASK_AGAIN, fails):
        return "waiting"
    entry["fails"] = fails + 1 if asked else 0
    entry.update(sha256=answer.sha256, at=now.isoformat())
    return "changed"


def _resolved(private, recorded: str):
    try:
        return private.resolve(recorded)
    except (LookupError, FetchError) as exc:
        return exc
    except OSError as exc:  # FEEDS_OPML names a file that cannot be read now
        return FetchError(f"cannot read the feed list: {exc}")


def feed_poll_sensor(poll_seconds: int) -> dg.SensorDefinition:
    every = dt.timedelta(seconds=poll_seconds)

    @dg.sensor(name="feed_poll_sensor", job=feed_episodes_job, minimum_interval_seconds=min(TICK_SECONDS, poll_seconds),
               default_status=dg.DefaultSensorStatus.RUNNING,
               description="Polls every followed feed with a conditional GET; a run reads those that changed")
    def _sensor(context: dg.SensorEvaluationContext, feeds: FeedFetcherResource, feed_list: FeedListResource,
                delta: DeltaTables):
        followed = delta.pandas("feeds", ["feed_url"])["feed_url"].tolist()
        if not followed:
            return dg.SkipReason("no feeds followed (the feeds asset is empty or not materialised yet)")
        asked = json.loads(context.cursor or "{}")
        now = dt.datetime.now(dt.UTC)
        due = [u for u in followed if _due(asked.get(feed_id(u), {}), now, every)]
        if not due:
            return dg.SkipReason(f"{len(followed)} feeds followed, none due (each is asked every {poll_seconds} s, "
                                 "later after failures)")
        held, private = held_validators(delta), feed_list.private_feeds(feeds)
        urls = {u: _resolved(private, u) for u in due}  # here, before the threads: the list is read once
        pool = ThreadPoolExecutor(POLLS_AT_ONCE)
        futures = {pool.submit(_ask, feeds, urls[u], u, held.get(u)): u for u in due}
        finished, late = wait(futures, timeout=TICK_BUDGET_S)
        pool.shutdown(wait=False, cancel_futures=True)  # the late ones end at their own deadline
        verdicts = {"changed": [], "same": [], "failed": [], "waiting": []}
        for recorded, answer in ((futures[f], f.result()) for f in futures if f in finished):
            entry = asked.setdefault(feed_id(recorded), {})
            verdict = judge(entry, answer, held.get(recorded) or {}, now)
            verdicts[verdict].append(feed_id(recorded))
            if verdict == "failed":
                context.log.warning(f"feed {feed_name(recorded)}: {answer} (failed {entry['fails']} times in a row: "
                                    f"asked again in {backoff(every, entry['fails'])})")
        changed = verdicts["changed"]
        # keyed by feed id: a private feed's URL (its token) stays out of the cursor the UI shows
        ids = {feed_id(u) for u in followed}
        context.update_cursor(json.dumps({k: a for k, a in asked.items() if k in ids}))
        summary = (f"{len(due)} feeds polled: {len(changed)} changed, {len(verdicts['same'])} unchanged, "
                   f"{len(verdicts['waiting'])} with a run asked for already, {len(verdicts['failed'])} failed"
                   + (f", {len(late)} still answering" if late else ""))
        if not changed:
            return dg.SkipReason(summary)
        context.log.info(summary)
        return dg.RunRequest(run_key=None, tags={"feeds": str(len(changed))},
                             run_config={"ops": {feed_episodes.op.name: {"config": {"feed_ids": changed}}}})

    return _sensor
