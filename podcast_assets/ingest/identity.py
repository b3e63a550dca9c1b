"""One episode, one id: wherever it is found (trending, any number of feeds) and however often it is polled.

An episode is known by its guid and by its audio URL. The same episode in two feeds, or in a feed and in
the trending list, shares at least one of them, and keeps the id it was first published under. A feed
item never seen before gets an id made from its guid (else its audio URL), so polling the feed again
gives the same id. Pure functions.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import unquote, urlsplit

# tracking prefixes (Podtrac, Chartable, OP3, Podscribe, ...) put the real host and path after their own
# path: https://dts.podtrac.com/redirect.mp3/media.example.com/ep1.mp3 is media.example.com/ep1.mp3
_HOST = re.compile(r"^(?:[a-z0-9-]+\.)+[a-z][a-z0-9-]*(?::\d+)?$|^\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?$")
_NOT_TLD = {"mp3", "m4a", "mp4", "aac", "ogg", "oga", "opus", "wav", "flac", "xml", "json", "html", "php"}
MIN_GUID = 8  # shorter guids ("1", "ep12") are not unique across feeds; only the audio URL joins those


def _embedded_host(segment: str) -> bool:
    return bool(_HOST.match(segment)) and segment.split(":")[0].rsplit(".", 1)[-1] not in _NOT_TLD


def audio_key(url: str) -> str:
    """The audio URL as a key: no scheme, query or fragment, lower-case host, tracking prefixes peeled."""
    try:
        parts = urlsplit((url or "").strip())
    except ValueError:
        return ""
    if not parts.netloc:
        return ""
    host = parts.netloc.rsplit("@", 1)[-1].lower()
    segments = [s for s in unquote(parts.path).split("/") if s]
    # peel from the left while a later segment names a host (prefixes may be chained)
    for _ in range(4):
        at = next((i for i, s in enumerate(segments[:-1]) if _embedded_host(s.lower())), None)
        if at is None:
            break
        host, segments = segments[at].lower(), segments[at + 1:]
    host = host.removesuffix(":80").removesuffix(":443")
    return f"{host}/{'/'.join(segments)}"


def guid_key(guid: str) -> str:
    guid = (guid or "").strip()
    return guid if len(guid) >= MIN_GUID else ""


def feed_episode_id(guid: str, audio_url: str) -> str:
    """The id of a feed item never published before: stable across polls and feeds."""
    basis = guid_key(guid) or audio_key(audio_url) or (guid or "").strip()
    return "rss-" + hashlib.blake2b(basis.encode(), digest_size=8).hexdigest()


def known_ids(published: list[dict]) -> dict[str, str]:
    """``guid:<guid>`` and ``audio:<key>`` to the episode id it was published under (the first one wins)."""
    known: dict[str, str] = {}
    for row in published:
        for key in (f"guid:{guid_key(row.get('guid') or '')}", f"audio:{row.get('audio_key') or ''}"):
            if not key.endswith(":"):
                known.setdefault(key, str(row["episode_id"]))
    return known


def resolve_ids(records: list[dict], known: dict[str, str]) -> list[dict]:
    """``records`` with the id each was published under, if any; duplicates within them dropped."""
    out, seen, ids = [], dict(known), set()
    for r in records:
        keys = [k for k in (f"guid:{guid_key(r.get('guid') or '')}", f"audio:{audio_key(r.get('audio_url') or '')}")
                if not k.endswith(":")]
        episode_id = next((seen[k] for k in keys if k in seen), r["episode_id"])
        if episode_id in ids:
            continue
        ids.add(episode_id)
        for k in keys:
            seen.setdefault(k, episode_id)
        out.append({**r, "episode_id": episode_id})
    return out
