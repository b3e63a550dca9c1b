"""A Podcast Index API client: signed requests, a steady rate, retries (tenacity) that wait what a 429 or
503 asks in ``Retry-After``, otherwise exponential backoff with full jitter, both capped at ``backoff_cap``.

The local server in ``local/podcast_index_server.py`` speaks the same API. The key and secret never appear in an
error message: bodies quoted in errors are cut short and scrubbed of both.
"""

from __future__ import annotations

import hashlib
import threading
import time
from datetime import UTC
from email.utils import parsedate_to_datetime
from urllib.parse import urlencode

import requests
from tenacity import (
    RetryCallState,
    RetryError,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

USER_AGENT = "podcast-assets/0.1 (+https://github.com/podcast-assets)"
RETRY_STATUS = {429, 500, 502, 503, 504}
RETRY_AFTER_STATUS = {429, 503}


class PodcastIndexError(RuntimeError):
    pass


class PodcastIndexAuthError(PodcastIndexError):
    pass


class _Retryable(Exception):
    """One failed attempt worth another: what failed (no headers, so no secrets) and any wait the server asked."""

    def __init__(self, problem: str, retry_after: float | None = None):
        super().__init__(problem)
        self.problem, self.retry_after = problem, retry_after


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds from now: either form of RFC 9110 (delay-seconds or an HTTP-date)."""
    if not value or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # a "-0000" zone parses naive; an HTTP-date is GMT
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


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
        self._backoff = wait_random_exponential(multiplier=backoff_base, max=backoff_cap)
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

    def _wait(self, state: RetryCallState) -> float:
        # a longer Retry-After is cut to the cap too, so max_retries x backoff_cap still bounds a call
        asked = state.outcome.exception().retry_after
        return min(asked, self.backoff_cap) if asked is not None else self._backoff(state)

    def _log_retry(self, path: str, state: RetryCallState) -> None:
        if self.log:
            exc = state.outcome.exception()
            asked = " (Retry-After)" if exc.retry_after is not None else ""
            self.log(f"Podcast Index {path}: {exc.problem}, retry {state.attempt_number}/{self.max_retries} "
                     f"in {state.next_action.sleep:.1f}s{asked}")

    def get(self, path: str, params: dict | None = None, flags: tuple[str, ...] = ()) -> dict:
        url = f"{self.base_url}/{path.lstrip('/')}"
        query = "&".join([urlencode(params or {})] + list(flags)).strip("&")
        retrying = Retrying(stop=stop_after_attempt(self.max_retries + 1), wait=self._wait, sleep=self.sleep,
                            retry=retry_if_exception_type(_Retryable),
                            before_sleep=lambda state: self._log_retry(path, state))
        try:
            return retrying(self._attempt, path, f"{url}?{query}" if query else url)
        except RetryError as exc:
            problem = exc.last_attempt.exception().problem
            raise PodcastIndexError(f"Podcast Index {path} failed after {self.max_retries + 1} attempts: "
                                    f"{problem}") from None

    def _attempt(self, path: str, url: str) -> dict:
        self._pace()
        self.requests_made += 1
        try:
            resp = self.session.get(url, timeout=self.timeout,
                                    headers=auth_headers(self._key, self._secret, user_agent=self.user_agent))
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise _Retryable(type(exc).__name__) from None
        if resp.status_code == 401:
            raise PodcastIndexAuthError(
                f"Podcast Index rejected the credentials for {path} (HTTP 401: "
                f"{self._scrub(resp.text).strip()!r}); check PODCAST_INDEX_API_KEY / _SECRET and the clock")
        if resp.status_code in RETRY_STATUS:
            asked = retry_after_seconds(resp.headers.get("Retry-After")) \
                if resp.status_code in RETRY_AFTER_STATUS else None
            raise _Retryable(f"HTTP {resp.status_code}", asked)
        return self._parse(path, resp)

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
