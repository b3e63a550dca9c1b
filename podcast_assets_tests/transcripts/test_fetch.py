"""The guarded fetcher and the bounded decode, against real servers: the local index, a hostile publisher
that feeds may use, and a forbidden server that counts every request it gets (it must get none)."""

import time

import pytest

from podcast_assets.transcripts.address_policy import FetchError, FetchPolicy, non_public, redact
from podcast_assets.transcripts.audio import to_wav16k
from podcast_assets.transcripts.fetch import AudioError, download, fetch_text
from podcast_assets_tests.transcripts.hostile import Servers


@pytest.fixture(scope="module")
def servers():
    s = Servers()
    yield s
    s.close()


def policy(servers, **kw):
    return FetchPolicy(**{"max_bytes": 10_000_000, "deadline_s": 30, "allowed": frozenset({servers.allowed}), **kw})


def base(settings):
    return settings.podcast_index_url.rsplit("/api/", 1)[0]


@pytest.mark.parametrize("url, reason", [
    ("http://{forbidden}/count/direct.mp3", "refused: 127.0.0.1 resolves to a loopback address"),
    ("http://localhost:{port}/count/by-name.mp3", "refused: localhost resolves to a loopback address"),
    ("{allowed}/redirect-to-loopback.mp3", "refused: redirect to http://127.0.0.1:{port}/count/redirected: "
                                            "127.0.0.1 resolves to a loopback address"),
    ("{allowed}/redirect-chain.mp3", "refused: more than 5 redirects"),
    ("file:///etc/passwd", "refused: scheme 'file' (only http and https)"),
])
def test_refused_urls_reach_nothing(servers, tmp_path, url, reason):
    port = servers.forbidden.rsplit(":", 1)[1]
    url = url.format(forbidden=servers.forbidden, port=port, allowed=f"http://{servers.allowed}")
    with pytest.raises(AudioError) as err:
        download(url, tmp_path / "x.mp3", policy(servers))
    assert str(err.value).startswith(reason.format(port=port)), str(err.value)
    assert servers.hits == [] and list(tmp_path.iterdir()) == []


def test_a_playlist_disguised_as_mp3_is_not_followed(servers, tmp_path):
    raw = download(servers.url("/playlist.mp3"), tmp_path / "x.download", policy(servers))
    with pytest.raises(AudioError, match="not decodable audio"):
        to_wav16k(raw, tmp_path / "x.wav")
    assert servers.hits == [] and not (tmp_path / "x.wav").exists()


def test_a_dripping_server_is_cut_off_at_the_deadline(servers, tmp_path):
    start = time.monotonic()
    with pytest.raises(AudioError, match="took longer than the 4 s deadline"):
        download(servers.url("/drip.mp3"), tmp_path / "x.mp3", policy(servers, deadline_s=4))
    assert time.monotonic() - start < 4 + 5
    assert list(tmp_path.iterdir()) == []


def test_a_server_that_drips_its_headers_is_cut_off_at_the_deadline_too(servers, tmp_path):
    start = time.monotonic()
    with pytest.raises(AudioError, match="took longer than the 3 s deadline"):
        download(servers.url("/slow-headers.mp3"), tmp_path / "x.mp3", policy(servers, deadline_s=3))
    assert time.monotonic() - start < 3 + 5


@pytest.mark.parametrize("url", ["http://[::1/a.mp3", "http://127.0.0.1:99999/a.mp3", f"http://{'a' * 64}.com/a.mp3",
                                 "http://例え.jp/a.mp3", "http://a..b/a.mp3"])
def test_malformed_urls_fail_in_one_line(tmp_path, url):
    with pytest.raises(AudioError):  # an AudioError with its reason, never a ValueError or UnicodeError traceback
        download(url, tmp_path / "x.mp3", FetchPolicy(max_bytes=100, deadline_s=3, retries=0))


def test_an_unusable_content_length_is_ignored_and_the_bytes_counted(servers, tmp_path):
    raw = download(servers.url("/bad-length.mp3"), tmp_path / "x.mp3", policy(servers))
    assert raw.stat().st_size > 100_000


def test_an_oversize_body_is_cut_off_at_the_cap(servers, tmp_path):
    with pytest.raises(AudioError, match="exceeds the cap of 1000000 bytes"):
        download(servers.url("/huge.mp3"), tmp_path / "x.mp3", policy(servers, max_bytes=1_000_000))
    with pytest.raises(AudioError, match="over the cap"):  # declared too long: nothing is read
        download(servers.url("/ok.mp3"), tmp_path / "x.mp3", policy(servers, max_bytes=10_000))
    assert list(tmp_path.iterdir()) == []


def test_retry_after_is_honoured_then_the_audio_decodes_once(servers, tmp_path):
    raw = download(servers.url("/busy.mp3?token=s3cret"), tmp_path / "x.download", policy(servers))
    assert servers.publisher.RequestHandlerClass.attempts["/busy.mp3?token=s3cret"] == 2
    seconds = to_wav16k(raw, tmp_path / "x.wav")
    assert seconds > 20 and (tmp_path / "x.wav").stat().st_size > 16000 * 2 * 20


def test_audio_over_the_length_limit_is_refused_at_decode(servers, tmp_path):
    raw = download(servers.url("/ok.mp3"), tmp_path / "x.download", policy(servers))
    with pytest.raises(AudioError, match="longer than the 0.1 minute limit"):
        to_wav16k(raw, tmp_path / "x.wav", max_minutes=0.1)
    assert not (tmp_path / "x.wav").exists()


def test_messages_never_carry_query_strings_or_credentials(settings, tmp_path):
    with pytest.raises(AudioError) as err:
        download(f"{base(settings)}/audio/missing-episode.mp3?sig=s3cret", tmp_path / "x.mp3",
                 FetchPolicy(max_bytes=1000, deadline_s=10, any_address=True))
    assert "dead audio URL" in str(err.value) and "HTTP 404" in str(err.value) and "s3cret" not in str(err.value)
    assert redact("https://user:pw@cdn.example/a.mp3?sig=s3cret#t") == "https://cdn.example/a.mp3?…"


def test_a_url_with_userinfo_is_sent_as_basic_auth_and_a_private_one_is_named_by_its_host(servers):
    import io

    from podcast_assets.transcripts.guarded_http import fetch

    body = io.BytesIO()
    fetch(f"http://member:s3cret%20pw@{servers.allowed}/members/feed.xml", body, policy(servers))
    assert body.getvalue() == b"<rss/>"
    with pytest.raises(FetchError) as err:
        fetch(f"http://{servers.allowed}/members/tkPath123abc/feed.xml?token=tkQ", io.BytesIO(), policy(servers, private=True))
    assert str(err.value) == f"dead URL http://{servers.allowed}/… (private): HTTP 401"


def test_address_kinds():
    assert non_public("127.0.0.1") == "loopback" and non_public("::1") == "loopback"
    assert non_public("10.0.0.5") == "private" and non_public("169.254.169.254") == "link-local"
    assert non_public("::ffff:127.0.0.1") == "loopback" and non_public("0.0.0.0") == "unspecified"
    assert non_public("100.64.0.1") == "non-public" and non_public("93.184.216.34") is None
    assert non_public("2002:7f00:1::1") == "loopback"  # 6to4 of 127.0.0.1


def test_unreachable_host_is_a_transient_failure(tmp_path):
    from podcast_assets.transcripts.fetch import TransientAudioError

    with pytest.raises(TransientAudioError, match="cannot reach"):
        download("http://127.0.0.1:9/a.mp3", tmp_path / "x", FetchPolicy(max_bytes=100, deadline_s=5, any_address=True,
                                                                        retries=1))


def test_publisher_transcripts_are_capped_and_guarded(settings, servers):
    allowed = FetchPolicy(max_bytes=5_000_000, deadline_s=10, any_address=True)
    url = f"{base(settings)}/transcripts/920004-41000031.vtt"
    text, _ = fetch_text(url, allowed)
    assert text.startswith("WEBVTT") and len(text) > 200
    assert fetch_text(url, FetchPolicy(max_bytes=100, deadline_s=10, any_address=True))[0] is None  # not truncated
    assert fetch_text(f"{base(settings)}/transcripts/missing.vtt", allowed)[0] is None  # not fatal: None
    text, why = fetch_text(f"http://{servers.forbidden}/count/t.vtt", policy(servers))
    assert text is None and why.startswith("refused:") and servers.hits == []


def test_the_connection_goes_to_the_checked_address(servers, tmp_path, monkeypatch):
    """DNS rebinding: the name answers a public address when checked and loopback afterwards. The fetcher
    asks once and connects to what it checked, so the loopback server hears nothing."""
    import socket

    real, answers = socket.getaddrinfo, iter(["93.184.216.34", "127.0.0.1", "127.0.0.1"])

    def rebinding(host, port, *args, **kwargs):
        if host != "rebind.example":
            return real(host, port, *args, **kwargs)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    port = servers.forbidden.rsplit(":", 1)[1]
    with pytest.raises(AudioError, match="cannot reach"):
        download(f"http://rebind.example:{port}/count/x.mp3", tmp_path / "x", policy(servers, deadline_s=3, retries=0))
    assert servers.hits == []
