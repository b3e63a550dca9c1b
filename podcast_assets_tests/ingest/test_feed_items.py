"""Which feeds are followed, and which of a feed's items become episodes."""

from podcast_assets.ingest.feed_items import (
    episode_record,
    feed_list,
    item_key,
    language_problem,
    new_items,
    read_items,
)

OPML = b"""<?xml version="1.0"?><opml version="2.0"><head><title>Subs</title></head><body>
<outline text="Tech"><outline type="rss" text="Show A" xmlUrl="http://a.org/feed.xml"/></outline>
<outline type="rss" text="Show B" xmlUrl="https://b.org/rss"/><outline type="rss" text="Again" xmlUrl="https://b.org/rss"/>
<outline type="rss" text="Bad" xmlUrl="file:///etc/passwd"/></body></opml>"""


def test_feed_lists_from_opml_or_urls():
    feeds, problems = feed_list(OPML)
    assert feeds == [{"feed_url": "http://a.org/feed.xml", "title": "Show A", "private": False},
                     {"feed_url": "https://b.org/rss", "title": "Show B", "private": False}]
    assert problems == ["entry 3 is not an http(s) feed URL"]  # never the entry itself: it may be a private URL
    feeds, problems = feed_list("https://a.org/1.xml, https://b.org/2.xml\n# a comment\nftp://c.org/3.xml\n")
    assert [f["feed_url"] for f in feeds] == ["https://a.org/1.xml", "https://b.org/2.xml"] and len(problems) == 1
    assert feed_list("") == ([], [])


def test_a_list_marks_private_feeds_and_a_byte_order_mark_is_not_content():
    opml = OPML.replace(b'text="Show B"', b'text="Show B" category="private"')
    assert [f["private"] for f in feed_list(b"\xef\xbb\xbf" + opml)[0]] == [False, True]
    feeds, _ = feed_list("private:https://a.org/x/feed.xml, https://b.org/rss?token=abc, https://u:p@c.org/f, "
                         "https://d.org/feed?page=2")
    assert [(f["feed_url"], f["private"]) for f in feeds] == [
        ("https://a.org/x/feed.xml", True), ("https://b.org/rss?token=abc", True), ("https://u:p@c.org/f", True),
        ("https://d.org/feed?page=2", False)]
    assert feed_list(b"\xef\xbb\xbf")[0] == [] and feed_list(b"<opml><body></body></opml>")[0] == []


def item(n: int, **kw) -> dict:
    return {"guid": f"guid-item-{n:04d}", "title": f"Ep {n}", "audio_url": f"https://x.org/{n}.mp3",
            "enclosure_type": "audio/mpeg", "published": 1000 + n, "episode_type": "full", **kw}


def test_first_poll_takes_the_backlog_later_polls_every_new_item():
    items = [item(5), item(4, episode_type="trailer"), item(3, enclosure_type="video/mp4"), item(2), item(1)]
    assert [i["guid"] for i in new_items(items, set(), True, 1, 20)] == ["guid-item-0005"]
    seen = {i["guid"] for i in items}
    later = [item(7), item(6, enclosure_type="", audio_url="https://x.org/6.m4a?x=1")] + items
    assert [i["guid"] for i in new_items(later, seen, False, 1, 20)] == ["guid-item-0007", "guid-item-0006"]
    assert len(new_items(later, seen, False, 1, 1)) == 1


def test_a_feed_in_another_language_is_skipped_before_download_and_its_items_are_seen():
    parsed = {"title": "Noticias", "language": "es-MX", "link": "", "items": [item(2), item(1)]}
    got = read_items("https://x.org/feed", parsed, set(), 1, 20, "en")
    assert got["episodes"] == [] and got["skipped"][0]["reason"] == "not English by the feed (language 'es-mx')"
    assert got["keys"] == ["guid-item-0001", "guid-item-0002"]  # the back catalogue never comes back as new
    assert language_problem({"language": ""}, {"language": ""}, "en") == ""  # unsaid: the audio check decides
    assert language_problem({"language": "de"}, {"language": "en-GB"}, "en") == ""  # the item's own wins


def test_new_items_over_a_cap_are_deferred_not_lost_and_a_rotating_feed_grows_the_seen_keys_by_its_cap():
    first = [item(n) for n in range(10, 0, -1)]
    parsed = {"title": "Show", "language": "en", "link": "", "items": first}
    got = read_items("https://x.org/feed", parsed, set(), 1, 3, "en", budget=5)
    assert len(got["episodes"]) == 1 and len(got["keys"]) == 10 and got["deferred"] == 0  # the back catalogue
    seen = set(got["keys"])
    rotated = {**parsed, "items": [item(n, guid=f"rot-{n}-a", audio_url=f"https://x.org/a/{n}.mp3") for n in range(10)]}
    got = read_items("https://x.org/feed", rotated, seen, 1, 3, "en", budget=5)
    assert len(got["episodes"]) == 3 and len(got["keys"]) == 3 and got["deferred"] == 7  # per poll: 3
    assert not got["daily_cap_reached"] and "per-poll cap" in got["skipped"][-1]["reason"]
    got = read_items("https://x.org/feed", rotated, seen, 1, 3, "en", budget=2)
    assert len(got["episodes"]) == 2 and len(got["keys"]) == 2 and got["daily_cap_reached"]
    got = read_items("https://x.org/feed", rotated, seen, 1, 3, "en", budget=0)
    assert got["episodes"] == [] and got["keys"] == [] and "daily cap" in got["skipped"][-1]["reason"]


def test_every_text_field_of_an_item_is_capped_and_says_it_was_cut():
    from podcast_assets.ingest.bounds import TEXT_CAPS

    parsed = {"title": "Show " * 1000, "language": "en", "link": "", "items": []}
    big = item(1, description="é" * 3_000_000, title="t" * 10_000, link="https://x.org/" + "p" * 5000)
    rec = episode_record("https://x.org/feed", parsed, big)
    for name in ("description", "episode_title", "podcast_title"):
        assert len(rec[name]) == TEXT_CAPS[name] and rec[name].endswith("characters in all]"), name
    assert rec["link"] == ""  # a URL is dropped, never cut (a cut one points elsewhere)
    long_guid = episode_record("https://x.org/feed", parsed, item(3, guid="g" * 5000))["guid"]
    assert long_guid.startswith("long:") and long_guid == item_key({"guid": "g" * 5000})  # one identity
    assert rec["description"].startswith("é" * 100) and "3000000 characters" in rec["description"]
    assert len(rec["description"].encode()) < 100_000
    long_audio = item(2, audio_url="https://x.org/" + "a" * 3000 + ".mp3")
    got = read_items("https://x.org/feed", {**parsed, "items": [long_audio]}, {"k"}, 1, 3, "en")
    assert got["episodes"] == [] and "audio URL is over" in got["skipped"][0]["reason"]


def test_a_feed_item_is_an_episode_of_the_same_contract():
    parsed = {"title": "Show", "language": "en", "link": "https://x.org", "items": []}
    rec = episode_record("https://x.org/feed", parsed, item(1, transcripts=[("https://x.org/1.html", "text/html"),
                                                                        ("https://x.org/1.vtt", "text/vtt")]))
    assert rec["episode_id"].startswith("rss-") and rec["podcast_id"].startswith("feed-")
    assert (rec["transcript_url"], rec["transcript_type"]) == ("https://x.org/1.vtt", "text/vtt")
    assert rec["published_at"] == "1970-01-01T00:16:41+00:00" and rec["feed_url"] == "https://x.org/feed"
    assert rec["duration_sec"] == 0.0  # no itunes:duration: unknown, not a guess
