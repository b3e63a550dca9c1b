"""The events stage's contracts.

- ``user_events_raw``: exactly once, judged from the table's own commit log (``commit_history.py``) and rows:
  the commits' offset ranges follow on with no gap and no overlap, every offset of them is held by exactly
  one row of the raw or the dead-letter table, and an event id appears once a day.
- ``daily_engagement``: each day's rows are exactly the raw table's events of that day, counted and weighed
  (``engagement.weight``) pair by pair: a lost or an extra raw row, or a stale day, shows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from podcast_assets.common.contracts import EXAMPLES, Verdict, verdict
from podcast_assets.events.commit_history import RangeCommit, Ranges, spans
from podcast_assets.events.engagement import Weights, weight

KEY = ["day", "user_id", "new_episode_id"]


def engagement_matches_raw(daily: pd.DataFrame, raw: pd.DataFrame, w: Weights) -> Verdict:
    """``daily``: the table's rows of some days; ``raw``: the raw events of the same days."""
    if len(raw):
        raw = raw.assign(weight=[weight(e, r if pd.notna(r) else None, p, w)
                                 for e, r, p in zip(raw["event"], raw["rating"], raw["position_sec"])])
    expected = (raw.groupby(KEY).agg(raw_events=("event", "size"), raw_engagement=("weight", "sum"))
                if len(raw) else pd.DataFrame(columns=["raw_events", "raw_engagement"]))
    have = daily.set_index(KEY)[["events", "engagement"]] if len(daily) else pd.DataFrame(columns=["events", "engagement"])
    both = have.join(expected, how="outer")
    failures = []
    for (day, user, episode), row in both.iterrows():
        where = f"{day} user {user} episode {episode}"
        if pd.isna(row["events"]):
            failures.append(f"{where}: {int(row['raw_events'])} raw events, no engagement row")
        elif pd.isna(row["raw_events"]):
            failures.append(f"{where}: an engagement row of {int(row['events'])} events, no raw event")
        elif int(row["events"]) != int(row["raw_events"]):
            failures.append(f"{where}: {int(row['events'])} events counted, {int(row['raw_events'])} raw")
        elif abs(float(row["engagement"]) - float(row["raw_engagement"])) > 1e-6:
            failures.append(f"{where}: engagement {row['engagement']:.3f}, the raw events weigh "
                            f"{row['raw_engagement']:.3f}")
    return verdict(len(both), failures)


def ranges_follow_on(commits: list[RangeCommit], before: dict, after: dict) -> Verdict:
    """Each commit's range of each (epoch, partition) starts where the table's previous commits ended (0 in a new
    epoch): no gap, no overlap; and the offsets the table holds afterwards are where its commits end.
    ``before``/``after``: the next offset held before the first and after the last of ``commits``."""
    expected, failures, checked = dict(before), [], 0
    for c in commits:
        for (epoch, p), (a, b) in sorted(c.ranges.items()):
            checked += 1
            want = expected.get((epoch, p), 0)
            where = f"version {c.version}, epoch {epoch} partition {p} [{a}, {b})"
            if b <= a:
                failures.append(f"{where}: an empty range")
            elif a > want:
                failures.append(f"{where}: a gap, offsets {want}..{a - 1} were never committed")
            elif a < want:
                failures.append(f"{where}: overlaps earlier commits by {want - a} offsets (they ended at {want})")
            expected[(epoch, p)] = max(want, b)
    for (epoch, p) in sorted(spans(commits)):
        if after.get((epoch, p)) != expected[(epoch, p)]:
            failures.append(f"epoch {epoch} partition {p}: the table holds offset {after.get((epoch, p))}, "
                            f"its commits end at {expected[(epoch, p)]}")
    return verdict(checked, failures)


def offsets_held_once(ranges: Ranges, held: pd.DataFrame) -> Verdict:
    """Every offset of ``ranges`` is in exactly one row of ``held`` (columns ``kafka_epoch``, ``kafka_partition``,
    ``kafka_offset``, ``table``: the raw rows and the dead letters of those ranges): none lost, none twice."""
    failures, checked = [], 0
    for (epoch, p), (a, b) in sorted(ranges.items()):
        checked += b - a
        mine = held[(held["kafka_epoch"] == epoch) & (held["kafka_partition"] == p)]
        counts = mine.groupby("kafka_offset")["table"].agg(list)
        missing = np.setdiff1d(np.arange(a, b), counts.index.to_numpy())
        if len(missing):
            failures.append(f"epoch {epoch} partition {p}: {len(missing)} offsets of [{a}, {b}) in no table, "
                            f"the first {', '.join(map(str, missing[:EXAMPLES]))}")
        for offset, tables in counts[counts.map(len) > 1].items():
            failures.append(f"epoch {epoch} partition {p} offset {offset}: held {len(tables)} times "
                            f"({', '.join(sorted(tables))})")
    return verdict(checked, failures)


def event_ids_unique(events: pd.DataFrame) -> Verdict:
    """``events``: ``event_id`` and ``day`` of some days' raw rows; each id at most once."""
    counts = events.groupby(["day", "event_id"]).size()
    return verdict(len(events), (f"event {e} on {d}: {n} rows" for (d, e), n in counts[counts > 1].items()))
