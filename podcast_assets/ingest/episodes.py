"""Choosing trending English shows and their newest full audio episodes. Pure functions."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from podcast_assets.ingest.bounds import URL_CAP, bounded

TRANSCRIPT_PREFERENCE = ("text/vtt", "application/x-subrip", "application/srt", "text/srt", "application/json")


def split_by_language(feeds: list[dict], prefix: str, limit: int) -> tuple[list[dict], list[dict]]:
    """The first ``limit`` feeds whose language starts with ``prefix``; the rest that were not English."""
    kept, skipped = [], []
    for feed in feeds:
        lang = str(feed.get("language") or "").lower()
        if lang.startswith(prefix.lower()):
            if len(kept) < limit:
                kept.append(feed)
        else:
            skipped.append({"feed_id": feed.get("id"), "title": feed.get("title"),
                            "reason": f"not English by metadata (language {lang or 'missing'!r})"})
    return kept, skipped


FEED_COLUMNS = ["feed_id", "title", "author", "language", "trend_score", "url", "categories",
                "newest_item_publish_time"]


def feed_rows(feeds: list[dict]) -> pd.DataFrame:
    """The ``trending_podcasts`` table: one typed row per feed of the API's answer, each text within its cap."""
    return pd.DataFrame([bounded({
        "feed_id": int(f["id"]), "title": str(f.get("title") or ""), "author": str(f.get("author") or ""),
        "language": str(f.get("language") or ""), "trend_score": float(f.get("trendScore") or 0),
        "url": str(f.get("url") or ""), "categories": ", ".join(sorted((f.get("categories") or {}).values())),
        "newest_item_publish_time": int(f.get("newestItemPublishTime") or 0)})[0] for f in feeds], columns=FEED_COLUMNS)


def is_full_audio(item: dict) -> bool:
    etype = (item.get("episodeType") or "full").lower()
    return etype == "full" and str(item.get("enclosureType") or "").lower().startswith("audio/") \
        and bool(item.get("enclosureUrl"))


def choose_episodes(items: list[dict], per_show: int = 1) -> tuple[list[dict], str]:
    """The newest ``per_show`` full episodes with an audio enclosure, or why there are none."""
    if not items:
        return [], "no episodes"
    full = sorted((i for i in items if is_full_audio(i)), key=lambda i: i.get("datePublished") or 0, reverse=True)
    if full:
        return full[:per_show], ""
    if all((i.get("episodeType") or "full").lower() == "trailer" for i in items):
        return [], "trailer only"
    types = sorted({str(i.get("enclosureType") or "none") for i in items})
    return [], f"no full episode with an audio enclosure (enclosures: {', '.join(types)})"


def best_transcript(item: dict) -> tuple[str, str]:
    offered = {t.get("type"): t.get("url") for t in item.get("transcripts") or [] if t.get("url")}
    for kind in TRANSCRIPT_PREFERENCE:
        if kind in offered:
            return offered[kind], kind
    return "", ""


def episode_record(feed: dict, item: dict) -> dict:
    """The notes' episode fields (``podcast_title, episode_title, audio_url, description, episode_id``) and more,
    each text within its cap (``bounds.py``)."""
    published = int(item.get("datePublished") or 0)
    transcript_url, transcript_type = best_transcript(item)
    categories = feed.get("categories") or ""
    if isinstance(categories, dict):  # the API gives {id: name}; our Delta rows a joined string
        categories = ", ".join(sorted(categories.values()))
    return bounded({
        "episode_id": str(item["id"]),
        "podcast_id": str(feed.get("id") or item.get("feedId")),
        "podcast_title": str(feed.get("title") or item.get("feedTitle") or ""),
        "episode_title": str(item.get("title") or ""),
        "audio_url": str(item.get("enclosureUrl") or ""),
        "enclosure_type": str(item.get("enclosureType") or ""),
        "enclosure_length": int(item.get("enclosureLength") or 0),
        "description": str(item.get("description") or ""),
        "published_at": dt.datetime.fromtimestamp(published, dt.UTC).isoformat(),
        "duration_sec": float(item.get("duration") or 0.0),
        "language": str(feed.get("language") or item.get("feedLanguage") or ""),
        "link": str(item.get("link") or ""),
        "feed_url": str(feed.get("url") or item.get("feedUrl") or ""),
        "trend_score": float(feed.get("trendScore") or 0.0),
        "categories": str(categories),
        "transcript_url": transcript_url,
        "transcript_type": transcript_type,
        "guid": str(item.get("guid") or ""),
        "chapters_url": str(item.get("chaptersUrl") or ""),
    })[0]


def select_episodes(feeds: list[dict], items: list[dict], per_show: int = 1) -> tuple[list[dict], list[dict]]:
    by_feed: dict = {}
    for item in items:
        by_feed.setdefault(item.get("feedId"), []).append(item)
    chosen, skipped = [], []
    for feed in feeds:
        found, reason = choose_episodes(by_feed.get(feed["id"], []), per_show)
        if not found:
            skipped.append({"feed_id": feed["id"], "title": feed.get("title"), "reason": reason})
        for rec in (episode_record(feed, item) for item in found):
            if rec["audio_url"]:
                chosen.append(rec)
            else:  # dropped by its cap: a cut URL would point elsewhere
                skipped.append({"feed_id": feed["id"], "title": feed.get("title"),
                                "reason": f"episode {rec['episode_id']}: its audio URL is over {URL_CAP} characters"})
    return chosen, skipped
