"""The ``episodes`` contract: one row per episode id, each with an http(s) audio URL or a private feed's
reference to one."""

from __future__ import annotations

from urllib.parse import urlsplit

import pandas as pd

from podcast_assets.common.contracts import Verdict, verdict
from podcast_assets.ingest.private import is_ref, parse_ref
from podcast_assets.transcripts.address_policy import redact


def _audio_url_problem(url: str) -> str | None:
    if not url:
        return "no audio URL"
    if is_ref(url):  # a private feed's enclosure, resolved where it is downloaded
        feed, item, what = parse_ref(url)
        return None if feed and item and what == "audio" else "a private reference that names no audio"
    try:
        parts = urlsplit(url)
    except ValueError:
        return "an audio URL that does not parse"
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return f"audio URL {redact(url)!r} is not http(s)"
    return None


def episode_rows(df: pd.DataFrame) -> Verdict:
    ids = df["episode_id"].astype(str)
    counts = ids.value_counts()
    duplicated = [f"episode {e}: {n} rows" for e, n in counts[counts > 1].items()]
    bad_urls = [f"episode {e}: {problem}" for e, url in zip(ids, df["audio_url"].fillna("").astype(str))
                if (problem := _audio_url_problem(url))]
    return verdict(len(df), duplicated, bad_urls)


def feeds_readable(latest_polls: list[dict], followed: list[str]) -> Verdict:
    """Each followed feed that was polled: its latest poll read it (not refused, not failed)."""
    polled = [p for p in latest_polls if p["feed_url"] in set(followed)]
    failing = [f"{redact(p['feed_url'])}: {p['outcome']}" for p in polled if p["outcome"] != "read"]
    return verdict(len(polled), failing)
