"""Which feeds are followed, and which of a feed's items become episodes."""

from podcast_assets.ingest.feed_items import (
    episode_record,
    feed_list,
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
    assert feeds == [{"feed_url": "http://a.org/feed.xml", "title": "Show A"}, {"feed_url": "https://b.org/rss", "title": "Show B"}]
    assert problems == ["not an http(s) feed URL: 'file:///etc/passwd'"]
    feeds, problems = feed_list("https://a.org/1.xml, https://b.org/2.xml\n# a comment\nftp://c.org/3.xml\n")
    assert [f["feed_url"] for f in feeds] == ["https://a.org/1.xml", "https://b.org/2.xml"] and len(problems) == 1
    assert feed_list("") == ([], [])


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


def test_a_feed_item_is_an_episode_of_the_same_contract():
    parsed = {"title": "Show", "language": "en", "link": "https://x.org", "items": []}
    rec = episode_record("https://x.org/feed", parsed, item(1, transcripts=[("https://x.org/1.html", "text/html"),
                                                                        ("https://x.org/1.vtt", "text/vtt")]))
    assert rec["episode_id"].startswith("rss-") and rec["podcast_id"].startswith("feed-")
    assert (rec["transcript_url"], rec["transcript_type"]) == ("https://x.org/1.vtt", "text/vtt")
    assert rec["published_at"] == "1970-01-01T00:16:41+00:00" and rec["feed_url"] == "https://x.org/feed"
    assert rec["duration_sec"] == 0.0  # no itunes:duration: unknown, not a guess
