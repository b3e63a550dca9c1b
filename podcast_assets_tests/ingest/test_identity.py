"""One episode, one id: across trending, feeds, tracking prefixes and polls."""

from podcast_assets.ingest.identity import audio_key, feed_episode_id, known_ids, resolve_ids


def test_audio_key_peels_tracking_prefixes_and_ignores_scheme_and_query():
    real = "media.example.com/shows/ep1.mp3"
    for url in ("https://media.example.com/shows/ep1.mp3?token=abc",
                "http://MEDIA.example.com:80/shows/ep1.mp3",
                "https://dts.podtrac.com/redirect.mp3/media.example.com/shows/ep1.mp3",
                "https://op3.dev/e/chrt.fm/track/ABC123/media.example.com/shows/ep1.mp3",
                "https://pdst.fm/e/dts.podtrac.com/redirect.mp3/media.example.com/shows/ep1.mp3"):
        assert audio_key(url) == real, url
    assert audio_key("http://127.0.0.1:8765/track/redirect.mp3/127.0.0.1:8765/audio/a.mp3") == "127.0.0.1:8765/audio/a.mp3"
    assert audio_key("https://cdn.example.com/ep.mp3/part.mp3") == "cdn.example.com/ep.mp3/part.mp3"  # not a host
    assert audio_key("") == audio_key("not a url") == ""


def test_a_feed_episode_id_is_stable_and_shaped_as_an_episode_id():
    a = feed_episode_id("urn:uuid:1234-5678", "https://x.org/1.mp3")
    assert a == feed_episode_id("urn:uuid:1234-5678", "https://other.org/moved.mp3")  # the guid decides
    assert a.startswith("rss-") and len(a) == 20 and a.replace("-", "").isalnum()
    # a short guid is not unique across feeds: the audio decides
    assert feed_episode_id("12", "https://x.org/1.mp3") == feed_episode_id("", "https://dts.podtrac.com/redirect.mp3/x.org/1.mp3")
    assert feed_episode_id("12", "https://x.org/1.mp3") != feed_episode_id("12", "https://y.org/1.mp3")


def test_the_first_published_id_wins_across_trending_and_feeds():
    trending = {"episode_id": "41000001", "guid": "guid-41000001", "audio_url": "http://h.example/audio/1.mp3"}
    known = known_ids([{**trending, "audio_key": audio_key(trending["audio_url"])}])
    by_guid = {"episode_id": "rss-aaaa", "guid": "guid-41000001", "audio_url": "http://elsewhere/1.mp3"}
    by_audio = {"episode_id": "rss-bbbb", "guid": "", "audio_url": "https://dts.podtrac.com/redirect.mp3/h.example/audio/1.mp3"}
    fresh = {"episode_id": "rss-cccc", "guid": "guid-new-episode", "audio_url": "http://h.example/audio/2.mp3"}
    out = resolve_ids([by_guid, fresh], known)
    assert [e["episode_id"] for e in out] == ["41000001", "rss-cccc"]
    assert [e["episode_id"] for e in resolve_ids([by_audio], known)] == ["41000001"]
    # the same new episode in two feeds of one poll: one record
    twin = {**fresh, "episode_id": "rss-dddd", "audio_url": "http://mirror/2.mp3"}
    assert [e["episode_id"] for e in resolve_ids([fresh, twin], {})] == ["rss-cccc"]
    # short guids ("1") of two shows do not join them
    one_a = {"episode_id": "rss-1a", "guid": "1", "audio_url": "http://a/1.mp3"}
    one_b = {"episode_id": "rss-1b", "guid": "1", "audio_url": "http://b/1.mp3"}
    assert len(resolve_ids([one_a, one_b], {})) == 2
