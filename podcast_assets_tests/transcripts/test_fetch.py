"""Fetching what feeds point at, against the local server's real files."""

import pytest

from podcast_assets.transcripts.fetch import AudioError, download, fetch_text


def base(settings):
    return settings.podcast_index_url.rsplit("/api/", 1)[0]


def test_dead_url_fails_clearly_and_leaves_nothing(settings, tmp_path):
    with pytest.raises(AudioError, match="dead audio URL .* HTTP 404"):
        download(f"{base(settings)}/audio/missing-episode.mp3", tmp_path / "x.mp3", max_bytes=10_000_000)
    assert list(tmp_path.iterdir()) == []


def test_oversized_file_fails_and_leaves_nothing(settings, tmp_path):
    with pytest.raises(AudioError, match="over the cap|exceeds the cap"):
        download(f"{base(settings)}/audio/920001-41000001.mp3", tmp_path / "x.mp3", max_bytes=10_000)
    assert list(tmp_path.iterdir()) == []


def test_only_http_and_https(tmp_path):
    with pytest.raises(AudioError, match="only http and https"):
        download("file:///etc/passwd", tmp_path / "x", max_bytes=100)


def test_unreachable_host_is_retried_then_reported(tmp_path):
    with pytest.raises(AudioError, match="cannot reach"):
        download("http://127.0.0.1:9/a.mp3", tmp_path / "x", max_bytes=100, timeout=1, retries=1, backoff=0.01)


def test_publisher_transcript_is_read_up_to_its_cap(settings):
    url = f"{base(settings)}/transcripts/920004-41000031.vtt"
    whole = fetch_text(url, max_bytes=5_000_000)
    assert whole.startswith("WEBVTT") and len(whole) > 200
    assert fetch_text(url, max_bytes=100) == whole[:100]
    assert fetch_text(f"{base(settings)}/transcripts/missing.vtt", max_bytes=1000) is None  # not fatal: None
    assert fetch_text("file:///etc/passwd", max_bytes=1000) is None
