"""The feeds a user follows, and which of a feed's items become episodes. Pure functions.

A feed list is an OPML file (read by ``listparser``) or URLs, one per line or separated by commas.
On the first poll of a feed its newest ``backlog`` episodes are taken (following a show does not
transcribe its whole back catalogue); later, every item not seen in the feed before.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import PurePosixPath
from urllib.parse import urlsplit

import listparser

from podcast_assets.ingest.episodes import best_transcript
from podcast_assets.ingest.identity import feed_episode_id

EPISODE_COLUMNS = ["episode_id", "podcast_id", "podcast_title", "episode_title", "audio_url", "enclosure_type",
                   "enclosure_length", "description", "published_at", "duration_sec", "language", "link", "feed_url",
                   "trend_score", "categories", "transcript_url", "transcript_type", "guid", "chapters_url"]
AUDIO_SUFFIXES = {".mp3", ".m4a", ".aac", ".ogg", ".oga", ".opus", ".wav", ".flac", ".mp4a"}


def _http(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def feed_list(body: bytes | str) -> tuple[list[dict], list[str]]:
    """The ``feed_url`` and ``title`` of each feed in an OPML document or a list of URLs (deduplicated, in
    order), and what could not be read."""
    raw = body.encode() if isinstance(body, str) else body
    if raw.lstrip().startswith(b"<"):
        parsed = listparser.parse(raw)  # bytes: listparser reads them, it fetches nothing
        entries = [(f.get("url") or "", f.get("title") or "") for f in parsed.feeds]
        problems = [f"OPML: {parsed.bozo_exception}"] if parsed.bozo and not entries else []
    else:
        text = raw.decode("utf-8", errors="replace")
        entries = [(u.strip(), "") for line in text.splitlines() if not line.strip().startswith("#")
                   for u in line.split(",") if u.strip()]
        problems = []
    feeds, seen = [], set()
    for url, title in entries:
        if not _http(url):
            problems.append(f"not an http(s) feed URL: {url[:120]!r}")
        elif url not in seen:
            seen.add(url)
            feeds.append({"feed_url": url, "title": title})
    return feeds, problems


def feed_id(feed_url: str) -> str:
    return "feed-" + hashlib.blake2b(feed_url.strip().encode(), digest_size=6).hexdigest()


def item_key(item: dict) -> str:
    return item.get("guid") or item.get("audio_url") or ""


def is_audio(item: dict) -> bool:
    kind = (item.get("enclosure_type") or "").lower()
    if kind:
        return kind.startswith("audio/")
    return PurePosixPath(urlsplit(item.get("audio_url") or "").path).suffix.lower() in AUDIO_SUFFIXES


def new_items(items: list[dict], seen: set[str], first_poll: bool, backlog: int, most: int) -> list[dict]:
    """The items (newest first) to turn into episodes: full audio ones (no trailers), not seen in this feed
    before."""
    audio = [i for i in items if i.get("audio_url") and is_audio(i) and item_key(i) not in seen
             and (i.get("episode_type") or "full") == "full"]
    return audio[:max(0, backlog)] if first_poll else audio[:most]


def language_problem(feed: dict, item: dict, prefix: str) -> str:
    """Why an item is not English by its feed's metadata (item language first), or ``""``. A feed that does
    not say is read: the audio's own language check decides after download."""
    lang = (item.get("language") or feed.get("language") or "").strip().lower()
    if lang and not lang.startswith(prefix.lower()):
        return f"not English by the feed (language {lang!r})"
    return ""


def episode_record(feed_url: str, feed: dict, item: dict) -> dict:
    """A feed item in the ``episode-metadata`` contract, the same fields as a trending episode's."""
    transcript_url, transcript_type = best_transcript(
        {"transcripts": [{"url": u, "type": t} for u, t in item.get("transcripts") or []]})
    return {
        "episode_id": feed_episode_id(item.get("guid") or "", item.get("audio_url") or ""),
        "podcast_id": feed_id(feed_url),
        "podcast_title": feed.get("title") or "",
        "episode_title": item.get("title") or "",
        "audio_url": item.get("audio_url") or "",
        "enclosure_type": item.get("enclosure_type") or "",
        "enclosure_length": int(item.get("enclosure_length") or 0),
        "description": item.get("description") or "",
        "published_at": dt.datetime.fromtimestamp(int(item.get("published") or 0), dt.UTC).isoformat(),
        "duration_sec": float(item.get("duration_sec") or 0.0),
        "language": item.get("language") or feed.get("language") or "",
        "link": item.get("link") or feed.get("link") or "",
        "feed_url": feed_url,
        "trend_score": 0.0,
        "categories": "",
        "transcript_url": transcript_url,
        "transcript_type": transcript_type,
        "guid": item.get("guid") or "",
        "chapters_url": item.get("chapters_url") or "",
    }


def read_items(feed_url: str, parsed: dict, seen: set[str], backlog: int, most: int, prefix: str) -> dict:
    """One poll of a parsed feed: the ``episodes`` to publish, the item ``keys`` to remember as seen (all of
    the feed's items, so its back catalogue never comes back as new) and what was ``skipped``, and why."""
    first = not seen
    chosen = new_items(parsed["items"], seen, first, backlog, most)
    episodes, skipped = [], []
    for item in chosen:
        problem = language_problem(parsed, item, prefix)
        if problem:
            skipped.append({"feed_url": feed_url, "title": item["title"], "reason": problem})
        else:
            episodes.append(episode_record(feed_url, parsed, item))
    keys = sorted({item_key(i) for i in parsed["items"] if item_key(i)} - seen)
    return {"episodes": episodes, "keys": keys, "skipped": skipped}
