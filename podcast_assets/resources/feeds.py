"""What feeds point at (episode audio, publisher transcripts), fetched within this deployment's limits."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from podcast_assets.ingest.feed_items import item_key
from podcast_assets.ingest.feed_xml import parse_feed
from podcast_assets.ingest.followed import FollowedList, private_urls, read_list
from podcast_assets.ingest.private import PrivateFeeds
from podcast_assets.settings import DEFAULTS as D
from podcast_assets.transcripts.address_policy import address_problem
from podcast_assets.transcripts.fetch import download, fetch_text
from podcast_assets.transcripts.guarded_http import FetchPolicy, NotModified, fetch


@dataclass(frozen=True)
class FeedAnswer:
    """A feed's body (``None``: 304, what we hold is current), its validators and its SHA-256."""

    body: bytes | None
    etag: str = ""
    last_modified: str = ""
    sha256: str = ""


class FeedFetcherResource(dg.ConfigurableResource):
    """Feed URLs are untrusted: non-public addresses are refused unless their ``host:port`` is listed in
    ``allowed_hosts`` (``AUDIO_ALLOWED_HOSTS``; by default the local sample index)."""

    max_audio_bytes: int = D.AUDIO_MAX_BYTES
    audio_timeout_sec: float = D.AUDIO_TIMEOUT_SEC  # the whole download, retries and redirects included
    max_audio_minutes: float = D.AUDIO_MAX_MINUTES
    max_transcript_bytes: int = D.TRANSCRIPT_MAX_BYTES
    transcript_timeout_sec: float = 30.0
    max_feed_bytes: int = D.FEED_MAX_BYTES
    feed_timeout_sec: float = D.FEED_TIMEOUT_SEC
    allowed_hosts: list[str] = []

    def _policy(self, max_bytes: int, deadline_s: float, any_address: bool = False, private: bool = False) -> FetchPolicy:
        allowed = frozenset(h.strip().lower() for h in self.allowed_hosts if h.strip())
        return FetchPolicy(max_bytes=max_bytes, deadline_s=deadline_s, allowed=allowed, any_address=any_address,
                           private=private)

    def download_audio(self, url: str, dest: Path, deadline_s: float | None = None, private: bool = False) -> Path:
        """``deadline_s``: what is left of the episode's deadline after earlier tries (at most the whole).
        ``private``: a private feed's enclosure, named by its host only in messages."""
        deadline = self.audio_timeout_sec if deadline_s is None else max(0.0, min(deadline_s, self.audio_timeout_sec))
        return download(url, dest, self._policy(self.max_audio_bytes, deadline, private=private))

    def download_user_url(self, url: str, dest: Path) -> Path:
        """A URL the user typed (``podcast-assets transcribe URL``): any address, same caps and deadline."""
        return download(url, dest, self._policy(self.max_audio_bytes, self.audio_timeout_sec, any_address=True))

    def audio_address_problem(self, url: str) -> str:
        """Why a download of ``url`` would be refused now by the address policy, or ``""``."""
        return address_problem(url, self._policy(self.max_audio_bytes, self.audio_timeout_sec))

    def transcript_text(self, url: str, private: bool = False) -> tuple[str | None, str]:
        return fetch_text(url, self._policy(self.max_transcript_bytes, self.transcript_timeout_sec, private=private))

    def feed(self, url: str, etag: str = "", last_modified: str = "", private: bool = False) -> FeedAnswer:
        """GET a feed (RSS, Atom or OPML), conditional on the validators of the copy we hold. Raises the
        fetcher's ``FetchError`` (over the byte cap, past the deadline, refused address, dead URL)."""
        headers = {k: v for k, v in (("If-None-Match", etag), ("If-Modified-Since", last_modified)) if v}
        body, answered = io.BytesIO(), {}
        try:
            fetch(url, body, self._policy(self.max_feed_bytes, self.feed_timeout_sec, private=private),
                  headers=headers, answered=answered)
        except NotModified:
            return FeedAnswer(None, etag, last_modified)
        raw = body.getvalue()
        return FeedAnswer(raw, answered.get("etag", ""), answered.get("last-modified", ""),
                          hashlib.sha256(raw).hexdigest())


class FeedListResource(dg.ConfigurableResource):
    """The feeds this deployment follows beside trending, and how much of each it takes. ``urls`` and ``opml`` may
    name private feeds (their URL is a credential): they reach Dagster as ``dg.EnvVar`` when they come from the
    environment (``resources/factory.py``), so neither the UI nor the run storage holds them."""

    urls: str = ""  # feed URLs, comma separated (``FEEDS``); ``private:`` before one marks it private
    opml: str = ""  # an OPML file's path or URL (``FEEDS_OPML``); category="private" marks an outline private
    backlog: int = D.FEED_BACKLOG
    new_per_poll: int = D.FEED_NEW_PER_POLL
    new_per_day: int = D.FEED_NEW_PER_DAY
    language_prefix: str = D.LANGUAGE_PREFIX

    def read(self, fetcher: FeedFetcherResource, urls: str | None = None, opml: str | None = None) -> FollowedList:
        """The list as it reads now (``urls``/``opml``: a run's own list instead). Raises ``FetchError`` or
        ``OSError`` when the OPML cannot be fetched."""
        opml = self.opml if opml is None else opml
        return read_list(self.urls if urls is None else urls, opml, lambda: _opml_bytes(fetcher, opml))

    def private_feeds(self, fetcher: FeedFetcherResource) -> PrivateFeeds:
        """Resolves private references in this process (the sensor's, a run's, a worker's), from the list."""
        def parsed(url: str) -> dict:
            return parse_feed(fetcher.feed(url, private=True).body or b"", url)

        return PrivateFeeds(lambda: private_urls(self.read(fetcher)), parsed, item_key)


def _opml_bytes(fetcher: FeedFetcherResource, opml: str) -> bytes:
    if opml.startswith(("http://", "https://")):
        return fetcher.feed(opml, private=True).body or b""
    return Path(opml).read_bytes()
