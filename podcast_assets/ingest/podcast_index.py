"""A Podcast Index API client: signed requests, a steady rate, retries with backoff and jitter.

The local server in ``local/podcast_index_server.py`` speaks the same API. The key and secret never appear in an
error message: bodies quoted in errors are cut short and scrubbed of both.
"""

from __future__ import annotations

import hashlib
import random
import threading
import time
from urllib.parse import urlencode

import requests

USER_AGENT = "podcast-assets/0.1 (+https://github.com/podcast-assets)"
RETRY_STATUS = {429, 500, 502, 503, 504}


class PodcastIndexError(RuntimeError):
    pass


class PodcastIndexAuthError(PodcastIndexError):
    pass


def auth_headers(key: str, secret: str, now: float | None = None, user_agent: str = USER_AGENT) -> dict:
    date = str(int(now if now is not None else time.time()))
    digest = hashlib.sha1((key + secret + date).encode()).hexdigest()
    return {"User-Agent": user_agent, "X-Auth-Key": key, "X-Auth-Date": date, "Authorization": digest}


class PodcastIndexClient:
    def __init__(self, base_url: str, key: str, secret: str, *, timeout: float = 15.0, max_retries: int = 5,
                 rate_per_sec: float = 1.0, backoff_base: float = 1.0, backoff_cap: float = 30.0,
                 user_agent: str = USER_AGENT, sleep=time.sleep, log=None):
        self.base_url = base_url.rstrip("/")
        self._key, self._secret = key, secret
        self.timeout, self.max_retries = timeout, max_retries
        self.min_interval = 1.0 / rate_per_sec if rate_per_sec > 0 else 0.0
        self.backoff_base, self.backoff_cap = backoff_base, backoff_cap
        self.user_agent, self.sleep, self.log = user_agent, sleep, log
        self._last = 0.0
        self._lock = threading.Lock()
        self.session = requests.Session()
        self.requests_made = 0

    def _scrub(self, text: str) -> str:
        for secret in (self._secret, self._key):
            if secret:
                text = text.replace(secret, "***")
        return text[:200]

    def _pace(self) -> None:
        with self._lock:
            wait = self._last + self.min_interval - time.monotonic()
            if wait > 0:
                self.sleep(wait)
            self._last = time.monotonic()

    def _backoff(self, attempt: int) -> float:
        return min(self.backoff_cap, self.backoff_base * 2 ** attempt) * random.uniform(0.5, 1.0)

    def get(self, path: str, params: dict | None = None, flags: tuple[str, ...] = ()) -> dict:
        url = f"{self.base_url}/{path.lstrip('/')}"
        query = "&".join([urlencode(params or {})] + list(flags)).strip("&")
        last_problem = ""
        for attempt in range(self.max_retries + 1):
            self._pace()
            self.requests_made += 1
            try:
                resp = self.session.get(f"{url}?{query}" if query else url, timeout=self.timeout,
                                        headers=auth_headers(self._key, self._secret, user_agent=self.user_agent))
            except (requests.ConnectionError, requests.Timeout) as exc:
                last_problem = f"{type(exc).__name__}"
            else:
                if resp.status_code == 401:
                    raise PodcastIndexAuthError(
                        f"Podcast Index rejected the credentials for {path} (HTTP 401: "
                        f"{self._scrub(resp.text).strip()!r}); check PODCAST_INDEX_API_KEY / _SECRET and the clock")
                if resp.status_code not in RETRY_STATUS:
                    return self._parse(path, resp)
                last_problem = f"HTTP {resp.status_code}"
            if attempt < self.max_retries:
                delay = self._backoff(attempt)
                if self.log:
                    self.log(f"Podcast Index {path}: {last_problem}, retry {attempt + 1}/{self.max_retries} "
                             f"in {delay:.1f}s")
                self.sleep(delay)
        raise PodcastIndexError(f"Podcast Index {path} failed after {self.max_retries + 1} attempts: {last_problem}")

    def _parse(self, path: str, resp: requests.Response) -> dict:
        if resp.status_code >= 400:
            raise PodcastIndexError(f"Podcast Index {path}: HTTP {resp.status_code}: {self._scrub(resp.text)!r}")
        try:
            body = resp.json()
        except ValueError:
            raise PodcastIndexError(
                f"Podcast Index {path} answered HTTP {resp.status_code} with a body that is not JSON "
                f"(Content-Type {resp.headers.get('Content-Type')!r}): {self._scrub(resp.text)!r}") from None
        if not isinstance(body, dict):
            raise PodcastIndexError(f"Podcast Index {path}: expected a JSON object, got {type(body).__name__}")
        if str(body.get("status", "true")).lower() != "true":
            raise PodcastIndexError(f"Podcast Index {path}: status false: {self._scrub(str(body.get('description')))!r}")
        return body

    # -- endpoints -----------------------------------------------------------------------------
    def trending(self, max_results: int = 50, lang: str | None = None, since: int | None = None) -> list[dict]:
        params = {"max": max(1, min(max_results, 1000))}
        if lang:
            params["lang"] = lang
        if since is not None:
            params["since"] = since
        return _list(self.get("podcasts/trending", params), "feeds")

    def episodes_by_feed_ids(self, feed_ids: list[int], max_results: int = 1000) -> list[dict]:
        items: list[dict] = []
        for i in range(0, len(feed_ids), 200):  # the API takes up to 200 ids per call
            ids = ",".join(str(f) for f in feed_ids[i:i + 200])
            body = self.get("episodes/byfeedid", {"id": ids, "max": max(1, min(max_results, 1000))}, ("fulltext",))
            items += _list(body, "items")
        return items


def _list(body: dict, field: str) -> list[dict]:
    value = body.get(field, [])
    if not isinstance(value, list):
        raise PodcastIndexError(f"Podcast Index: expected a list in {field!r}, got {type(value).__name__}")
    return [v for v in value if isinstance(v, dict)]
