"""The client against the local server, which verifies the auth headers as the real API does."""

import time

import pytest
import requests

from podcast_assets.ingest.podcast_index import (
    PodcastIndexAuthError,
    PodcastIndexClient,
    PodcastIndexError,
    auth_headers,
    retry_after_seconds,
)
from podcast_assets_tests.helpers import control


def client(settings, secret=None, **kw):
    return PodcastIndexClient(settings.podcast_index_url, settings.PODCAST_INDEX_API_KEY,
                              secret or settings.PODCAST_INDEX_API_SECRET, rate_per_sec=0, backoff_base=0.01,
                              **kw)


def test_auth_headers_are_the_documented_signature():
    h = auth_headers("KEY", "SECRET", now=1700000000)
    assert h["X-Auth-Key"] == "KEY" and h["X-Auth-Date"] == "1700000000"
    # sha1 of key + secret + unix time, hex; computed outside the project: printf '%s' KEYSECRET1700000000 | sha1sum
    assert h["Authorization"] == "5f8983664e541a83aaae7f3a47f1957fbca48aec"
    assert h["User-Agent"].startswith("podcast-assets/")


def test_server_verifies_the_headers_it_receives(settings):
    control(settings, reset=True)
    feeds = client(settings).trending(5)
    assert len(feeds) == 5  # the server checked the client's key, date window and signature, and let it in
    base = settings.podcast_index_url.rsplit("/api/", 1)[0]
    # the server's request log holds paths only: the headers carry the key and the signature
    assert requests.get(f"{base}/__requests", timeout=5).json()[-1] == {"path": "/podcasts/trending"}
    # the same request unsigned, or from a generic library agent, is refused
    assert requests.get(f"{settings.podcast_index_url}/podcasts/trending", timeout=5).status_code == 403
    stale = auth_headers(settings.PODCAST_INDEX_API_KEY, settings.PODCAST_INDEX_API_SECRET, now=time.time() - 600)
    assert requests.get(f"{settings.podcast_index_url}/podcasts/trending", headers=stale, timeout=5).status_code == 401


def test_retries_after_429_and_500(settings):
    control(settings, reset=True, faults=[{"status": 429}, {"status": 500}, {"status": 503}])
    warnings = []
    c = client(settings, log=warnings.append)
    assert len(c.trending(3)) == 3
    assert c.requests_made == 4
    assert [w.split(":")[1].split(",")[0].strip() for w in warnings] == ["HTTP 429", "HTTP 500", "HTTP 503"]


def test_retry_after_of_429_and_503_is_waited_and_capped(settings):
    control(settings, reset=True, faults=[{"status": 429, "retry_after": "1"}, {"status": 503, "retry_after": "2"},
                                          {"status": 500, "retry_after": "7"}, {"status": 429, "retry_after": "3600"}])
    waits, warnings = [], []
    c = client(settings, sleep=waits.append, log=warnings.append, backoff_cap=5.0)
    assert len(c.trending(3)) == 3 and c.requests_made == 5
    # the server's ask on 429 and 503; a 500's Retry-After is not one (backoff: at most 0.01 * 2**2);
    # an hour is cut to the cap
    assert waits[:2] == [1.0, 2.0] and 0 <= waits[2] <= 0.04 and waits[3] == 5.0
    assert warnings[0] == "Podcast Index podcasts/trending: HTTP 429, retry 1/5 in 1.0s (Retry-After)"
    assert not any(settings.PODCAST_INDEX_API_KEY in w or settings.PODCAST_INDEX_API_SECRET in w for w in warnings)


def test_retry_after_reads_seconds_and_http_dates():
    assert retry_after_seconds("1") == 1.0 and retry_after_seconds(" 120 ") == 120.0
    # Tue, 14 Nov 2023 22:13:20 GMT is unix time 1700000000
    assert retry_after_seconds("Tue, 14 Nov 2023 22:13:30 GMT", now=1700000000) == 10.0
    assert retry_after_seconds("Tue, 14 Nov 2023 22:13:00 GMT", now=1700000000) == 0.0  # already past
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None and retry_after_seconds("-1") is None


def test_gives_up_with_a_clear_error_after_the_retries(settings):
    control(settings, reset=True, faults=[{"status": 500}] * 3)
    with pytest.raises(PodcastIndexError, match="failed after 3 attempts: HTTP 500"):
        client(settings, max_retries=2).trending(3)
    control(settings, reset=True)


def test_malformed_json_is_a_clear_error(settings):
    control(settings, reset=True, faults=[{"status": "malformed"}])
    with pytest.raises(PodcastIndexError, match="not JSON"):
        client(settings).trending(3)


def test_slow_answer_times_out_and_is_retried(settings):
    control(settings, reset=True, faults=[{"slow": 1.5}])
    c = client(settings, timeout=0.5)
    assert len(c.trending(2)) == 2
    assert c.requests_made == 2


def test_401_names_the_problem_but_never_the_secret(settings):
    control(settings, reset=True)
    secret = "wrong-" + settings.PODCAST_INDEX_API_SECRET
    with pytest.raises(PodcastIndexAuthError) as err:
        client(settings, secret=secret).trending(3)
    message = str(err.value)
    assert "401" in message and "bad signature" in message
    assert secret not in message and settings.PODCAST_INDEX_API_SECRET not in message
