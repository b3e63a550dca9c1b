"""Private feeds: a feed whose URL is its password, and the references that stand for it everywhere else.

Paid and private feeds (Patreon, Supercast, Substack, private RSS) carry a token in the URL: in its userinfo,
its query, sometimes a path segment. Such a URL, path included, and every URL its items point at are
secrets. They rest only in the deployment's settings (``FEEDS``, ``FEEDS_OPML``); everywhere else (run config,
logs, metadata, Kafka, MongoDB, Delta, API answers) the feed is ``private-feed:<feed id>`` and an item's URL
``private-feed:<feed id>/<item hash>/<audio|transcript|chapters>``. The process that downloads turns such a
reference back into the URL by reading the feed again (``PrivateFeeds.resolve``). Pure functions.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from urllib.parse import parse_qsl, urlsplit

from podcast_assets.ingest.episodes import best_transcript

SCHEME = "private-feed:"
MARK = "private:"  # FEEDS=private:https://host/feed marks a feed private; in OPML, category="private"
# the words of a query key that name a credential (access_token, apiKey, sig, auth, X-Amz-Signature...): whole
# words, so author=, keywords= or passage= leave a public feed public
SECRET_WORDS = {"token", "key", "apikey", "auth", "authorization", "secret", "sig", "signature", "access",
                "accesstoken", "authtoken", "pass", "passwd", "password", "session", "sessionid", "credential",
                "credentials", "jwt"}
_WORDS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
_TOKENISH = re.compile(r"(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9_\-~%]{6,}|[A-Za-z0-9_\-~%]{16,}")


def looks_private(url: str) -> bool:
    """Whether the URL itself says it is a credential: userinfo, or a query key that names one."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return True  # unreadable: treat as secret, never echo it
    if "@" in parts.netloc:
        return True
    return any(secret_key(k) for k, _ in parse_qsl(parts.query, keep_blank_values=True))


def secret_key(key: str) -> bool:
    """Whether a query key names a credential: one of its words (split at ``_``, ``-`` and camelCase) does."""
    return any(w.lower() in SECRET_WORDS for w in _WORDS.findall(key)) or key.lower() in SECRET_WORDS


def feed_ref(feed_id: str) -> str:
    return f"{SCHEME}{feed_id}"


def item_hash(key: str) -> str:
    return hashlib.blake2b(key.encode(), digest_size=8).hexdigest()


def is_ref(value: str | None) -> bool:
    return str(value or "").startswith(SCHEME)


def parse_ref(ref: str) -> tuple[str, str, str]:
    """``(feed id, item hash, field)`` of a reference (item hash and field empty for a feed's own)."""
    parts = ref.removeprefix(SCHEME).split("/")
    return parts[0], (parts[1] if len(parts) > 1 else ""), (parts[2] if len(parts) > 2 else "")


def secret_parts(url: str) -> set[str]:
    """The pieces of a private URL that must not show anywhere: the URL, its userinfo, query values and
    token-like path segments (so a description that quotes them is scrubbed too)."""
    if not url:
        return set()
    try:
        parts = urlsplit(url)
    except ValueError:
        return {url}
    found = {url, parts.netloc.rsplit("@", 1)[0] if "@" in parts.netloc else ""}
    found |= {v for _, v in parse_qsl(parts.query, keep_blank_values=True) if len(v) >= 4}
    # token-like path segments, and their stems (podcastparser titles an untitled item by its file's stem)
    pieces = [p for seg in parts.path.split("/") for p in (seg, seg.split(".", 1)[0])]
    found |= {p for p in pieces if _TOKENISH.fullmatch(p)}
    return {s for s in found if s}


def scrub(text: str, secrets: set[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):  # the whole URL before its parts
        text = text.replace(secret, "[private]")
    return text


def chosen_transcript(item: dict) -> tuple[str, str]:
    """The publisher transcript an episode takes from a parsed item (its URL and type)."""
    return best_transcript({"transcripts": [{"url": u, "type": t} for u, t in item.get("transcripts") or []]})


def private_view(feed_id: str, feed_url: str, parsed: dict, key_of) -> dict:
    """The parsed feed as it may be recorded: each item's guid its hash, its URLs references, its link dropped
    and the secrets scrubbed from its text. ``key_of(item)``: the item's key (guid, else enclosure URL)."""
    items, feed_secrets = [], secret_parts(feed_url)
    for item in parsed["items"]:
        secrets = set(feed_secrets)
        for url in (item.get("audio_url"), item.get("chapters_url"), *(u for u, _ in item.get("transcripts") or [])):
            secrets |= secret_parts(url or "")
        h = item_hash(key_of(item))
        ref = f"{SCHEME}{feed_id}/{h}"
        _, kind = chosen_transcript(item)
        items.append({**item, "guid": f"private:{h}", "link": "",
                      "title": scrub(item.get("title") or "", secrets),
                      "description": scrub(item.get("description") or "", secrets),
                      "audio_url": f"{ref}/audio" if item.get("audio_url") else "",
                      "chapters_url": f"{ref}/chapters" if item.get("chapters_url") else "",
                      "transcripts": [(f"{ref}/transcript", kind)] if kind else []})
    return {**parsed, "title": scrub(parsed.get("title") or "", feed_secrets), "link": "", "image": "", "items": items}


class PrivateFeeds:
    """The private feeds of the deployment's list (feed id to URL), and references resolved by reading the feed
    again: ``read_feed(url)`` returns the parsed feed (the guarded fetch and the parser). A feed read once is
    kept ``ttl_s`` seconds, so a run of several episodes of one feed reads it once."""

    def __init__(self, urls, read_feed, key_of, ttl_s: float = 120.0):
        """``urls()``: feed id to URL of the list's private feeds, read when a reference first needs it."""
        self._urls, self.read_feed, self.key_of, self.ttl_s = urls, read_feed, key_of, ttl_s
        self.urls: dict[str, str] | None = None
        self._read: dict[str, tuple[float, dict]] = {}
        self._lock = threading.Lock()  # a run's downloads resolve side by side: the list and a feed read once

    def feed_url(self, feed_id: str) -> str:
        with self._lock:
            if self.urls is None:
                self.urls = self._urls()
        if feed_id not in self.urls:
            raise LookupError(f"private feed {feed_id} is no longer in FEEDS or FEEDS_OPML")
        return self.urls[feed_id]

    def resolve(self, value: str) -> str:
        """``value`` itself unless it is a reference; else the URL it stands for (``LookupError`` with one line)."""
        if not is_ref(value):
            return value
        feed_id, h, field = parse_ref(value)
        url = self.feed_url(feed_id)
        if not h:
            return url
        with self._lock:
            at, parsed = self._read.get(feed_id, (0.0, None))
            if parsed is None or time.monotonic() - at > self.ttl_s:
                parsed = self.read_feed(url)
                self._read[feed_id] = (time.monotonic(), parsed)
        item = next((i for i in parsed["items"] if item_hash(self.key_of(i)) == h), None)
        if item is None:
            raise LookupError(f"private feed {feed_id} no longer lists this episode")
        found = {"audio": item.get("audio_url"), "chapters": item.get("chapters_url"),
                 "transcript": chosen_transcript(item)[0]}.get(field)
        if not found:
            raise LookupError(f"private feed {feed_id}'s episode has no {field or 'such'} URL any more")
        return found
