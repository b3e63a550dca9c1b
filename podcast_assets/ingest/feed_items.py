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

from podcast_assets.ingest.bounds import TEXT_CAPS, URL_CAP, bounded, cut, long_key
from podcast_assets.ingest.identity import feed_episode_id
from podcast_assets.ingest.private import MARK, chosen_transcript, is_ref, looks_private, parse_ref

EPISODE_COLUMNS = ["episode_id", "podcast_id", "podcast_title", "episode_title", "audio_url", "enclosure_type",
                   "enclosure_length", "description", "published_at", "duration_sec", "language", "link", "feed_url",
                   "trend_score", "categories", "transcript_url", "transcript_type", "guid", "chapters_url"]
PRIVATE_TAG = "private"  # an OPML outline's category that marks its feed private
AUDIO_SUFFIXES = {".mp3", ".m4a", ".aac", ".ogg", ".oga", ".opus", ".wav", ".flac", ".mp4a"}


def _http(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _entries(raw: bytes) -> tuple[list[tuple[str, str, bool]], list[str]]:
    """(url, title, marked private) of each entry of an OPML document or a list of URLs, and what is unreadable."""
    if raw.lstrip().startswith(b"<"):
        parsed = listparser.parse(raw)  # bytes: listparser reads them, it fetches nothing
        entries = [(f.get("url") or "", f.get("title") or "", PRIVATE_TAG in (t.lower() for t in f.get("tags") or []))
                   for f in parsed.feeds]
        return entries, ([f"OPML: {str(parsed.bozo_exception)[:200]}"] if parsed.bozo and not entries else [])
    text = raw.decode("utf-8", errors="replace")
    urls = [u.strip() for line in text.splitlines() if not line.strip().startswith("#") for u in line.split(",")]
    return [(u.removeprefix(MARK).strip(), "", u.startswith(MARK)) for u in urls if u], []


def feed_list(body: bytes | str) -> tuple[list[dict], list[str]]:
    """The ``feed_url``, ``title`` and ``private`` of each feed in an OPML document or a list of URLs (deduplicated,
    in order), and what could not be read. A feed is private when the list marks it (``private:`` before a URL,
    ``category="private"`` in OPML) or its URL carries a credential (``private.looks_private``). A problem line
    never quotes the entry: it may be a private URL."""
    raw = body.encode() if isinstance(body, str) else body
    for bom in (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"):  # a byte order mark is not content
        if raw.startswith(bom):
            raw = raw.decode("utf-16" if bom != b"\xef\xbb\xbf" else "utf-8-sig", errors="replace").encode()
            break
    entries, problems = _entries(raw)
    feeds, seen = [], set()
    for n, (url, title, marked) in enumerate(entries, 1):
        if not _http(url):
            problems.append(f"entry {n} is not an http(s) feed URL")
        elif len(url) > URL_CAP:
            problems.append(f"entry {n}: its URL is over {URL_CAP} characters")
        elif url not in seen:
            seen.add(url)
            feeds.append({"feed_url": url, "title": cut(title, TEXT_CAPS["title"]),
                          "private": marked or looks_private(url)})
    return feeds, problems


def feed_id(feed_url: str) -> str:
    """A feed's id: a hash of its URL (a private feed's reference names it)."""
    if is_ref(feed_url):
        return parse_ref(feed_url)[0]
    return "feed-" + hashlib.blake2b(feed_url.strip().encode(), digest_size=6).hexdigest()


def item_key(item: dict) -> str:
    """What a feed's item is known by among its items: its guid, else its enclosure URL (a long one hashed, as
    the guid of its record is: ``bounds.long_key``)."""
    return long_key(item.get("guid") or item.get("audio_url") or "")


def is_audio(item: dict) -> bool:
    kind = (item.get("enclosure_type") or "").lower()
    if kind:
        return kind.startswith("audio/")
    return PurePosixPath(urlsplit(item.get("audio_url") or "").path).suffix.lower() in AUDIO_SUFFIXES


def candidates(items: list[dict], seen: set[str]) -> list[dict]:
    """The items (newest first) that may become episodes: full audio ones (no trailers), not seen in this feed
    before."""
    return [i for i in items if i.get("audio_url") and is_audio(i) and item_key(i) not in seen
            and (i.get("episode_type") or "full") == "full"]


def new_items(items: list[dict], seen: set[str], first_poll: bool, backlog: int, most: int) -> list[dict]:
    """The candidates to take now: the newest ``backlog`` on a feed's first poll, else the newest ``most``."""
    return candidates(items, seen)[:max(0, backlog if first_poll else most)]


def language_problem(feed: dict, item: dict, prefix: str) -> str:
    """Why an item is not English by its feed's metadata (item language first), or ``""``. A feed that does
    not say is read: the audio's own language check decides after download."""
    lang = (item.get("language") or feed.get("language") or "").strip().lower()
    if lang and not lang.startswith(prefix.lower()):
        return f"not English by the feed (language {lang!r})"
    return ""


def episode_record(feed_url: str, feed: dict, item: dict) -> dict:
    """A feed item in the ``episode-metadata`` contract, the same fields as a trending episode's."""
    transcript_url, transcript_type = chosen_transcript(item)
    return bounded({
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
    })[0]


def read_items(feed_url: str, parsed: dict, seen: set[str], backlog: int, most: int, prefix: str,
               budget: int | None = None) -> dict:
    """One poll of a parsed feed: the ``episodes`` to publish, the item ``keys`` to remember as seen and what was
    ``skipped``, and why. The first poll remembers every item (the back catalogue never comes back as new) and
    takes the newest ``backlog``; a later one takes the newest ``most`` new items, at most ``budget`` (what is
    left of the feed's daily cap) and remembers only those, so a feed that rotates its guids cannot grow the
    table of seen items faster than its cap. New items over a cap are ``deferred``: not seen, taken later."""
    first = not seen
    fresh = candidates(parsed["items"], seen)
    limit = backlog if first else most
    # the daily cap binds later polls (a first poll is bounded by its backlog, and its items are not counted)
    by_day = not first and budget is not None and budget < limit
    chosen = fresh[:max(0, min(limit, budget) if by_day else limit)]
    episodes, skipped = [], []
    for item in chosen:
        problem = language_problem(parsed, item, prefix)
        if not problem and len(item.get("audio_url") or "") > URL_CAP:
            problem = f"its audio URL is over {URL_CAP} characters"
        if problem:
            skipped.append({"feed_url": feed_url, "title": cut(item["title"], 200), "reason": problem})
        else:
            episodes.append(episode_record(feed_url, parsed, item))
    taken = parsed["items"] if first else chosen
    keys = sorted({item_key(i) for i in taken if item_key(i)} - seen)
    deferred = 0 if first else len(fresh) - len(chosen)
    if deferred:
        skipped.append({"feed_url": feed_url, "title": f"{deferred} new items", "reason": "deferred: the feed's "
                        f"{'daily' if by_day else 'per-poll'} cap is reached (taken on a later poll)"})
    return {"episodes": episodes, "keys": keys, "skipped": skipped, "deferred": deferred, "first": first,
            "daily_cap_reached": bool(deferred) and by_day}
