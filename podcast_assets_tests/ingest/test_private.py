"""Private feeds: which are private, how they are recorded, and how a reference is resolved again."""

import pytest

from podcast_assets.ingest.feed_items import feed_id, item_key, read_items
from podcast_assets.ingest.followed import (
    feed_name,
    list_rows,
    public_only,
    read_list,
    recorded_url,
)
from podcast_assets.ingest.private import PrivateFeeds, is_ref, looks_private, parse_ref, private_view

FEED = "https://host.example/feed/tkPathA1b2C3d4E5/rss.xml?token=tkQueryZ9y8X7"
ENCLOSURE = "https://cdn.example/m/tkEnclQ1w2E3r4/ep1.mp3?sig=tkSigP0o9I8"


def parsed() -> dict:
    return {"title": "Patrons", "language": "en", "link": FEED, "image": "", "items": [
        {"guid": ENCLOSURE, "title": "Ep 1", "audio_url": ENCLOSURE, "enclosure_type": "audio/mpeg",
         "description": f"Your feed: {FEED}. Token tkQueryZ9y8X7.", "published": 2000, "link": FEED,
         "transcripts": [(ENCLOSURE + ".vtt", "text/vtt")], "chapters_url": "", "episode_type": "full"}]}


@pytest.mark.parametrize(("url", "private"), [
    ("https://a.org/feed.xml", False), ("https://a.org/feed?page=2&format=rss", False),
    ("https://u:p@a.org/feed", True), ("https://a.org/feed?token=x", True), ("https://a.org/f?access_token=x", True),
    ("https://a.org/f?X-Amz-Signature=x", True), ("https://a.org/f?apikey=1", True), ("https://a.org/f?auth=1", True),
])
def test_a_url_that_carries_a_credential_is_private(url, private):
    assert looks_private(url) is private


def test_a_private_feed_is_recorded_by_reference_and_its_tokens_are_nowhere_in_its_items():
    fid = feed_id(FEED)
    view = private_view(fid, FEED, parsed(), item_key)
    got = read_items(f"private-feed:{fid}", view, set(), 5, 20, "en")
    record = got["episodes"][0]
    text = repr(record) + repr(got["keys"])
    for secret in ("tkPathA1b2C3d4E5", "tkQueryZ9y8X7", "tkEnclQ1w2E3r4", "tkSigP0o9I8", "host.example", "cdn.example"):
        assert secret not in text, secret
    assert record["feed_url"] == f"private-feed:{fid}" and record["link"] == ""
    assert parse_ref(record["audio_url"])[::2] == (fid, "audio") and is_ref(record["transcript_url"])
    assert record["guid"].startswith("private:") and "[private]" in record["description"]
    assert feed_id(record["feed_url"]) == fid and feed_name(record["feed_url"]) == record["feed_url"]
    assert recorded_url({"feed_url": FEED, "private": True}) == f"private-feed:{fid}"


def test_a_reference_resolves_to_the_url_by_reading_the_feed_again_once_per_run():
    fid, reads = feed_id(FEED), []
    view = private_view(fid, FEED, parsed(), item_key)
    record = read_items(f"private-feed:{fid}", view, set(), 5, 20, "en")["episodes"][0]

    def read_feed(url):
        reads.append(url)
        return parsed()

    feeds = PrivateFeeds(lambda: {fid: FEED}, read_feed, item_key)
    assert feeds.resolve(record["audio_url"]) == ENCLOSURE
    assert feeds.resolve(record["transcript_url"]) == ENCLOSURE + ".vtt"
    assert feeds.resolve(f"private-feed:{fid}") == FEED and feeds.resolve("https://public/x.mp3") == "https://public/x.mp3"
    assert reads == [FEED]  # kept for the run's other episodes
    with pytest.raises(LookupError, match="no longer lists this episode"):
        feeds.resolve(f"private-feed:{fid}/0000000000000000/audio")
    with pytest.raises(LookupError, match="is no longer in FEEDS or FEEDS_OPML"):
        PrivateFeeds(dict, read_feed, item_key).resolve(record["audio_url"])


def test_the_list_keeps_private_feeds_out_of_run_config_and_an_empty_opml_keeps_what_it_listed():
    assert public_only(["https://a.org/f", "https://a.org/f?token=1"])[0] == ["https://a.org/f"]
    opml = b'<opml version="2.0"><body><outline type="rss" text="A" xmlUrl="https://a.org/rss"/></body></opml>'
    listed = read_list("private:https://p.org/x", "list.opml", lambda: opml)
    rows = list_rows(listed, [])
    assert [(r["feed_url"], r["source"], r["private"]) for r in rows] == [
        (f"private-feed:{feed_id('https://p.org/x')}", "FEEDS", True), ("https://a.org/rss", "OPML", False)]
    empty = read_list("", "list.opml", lambda: b"")
    assert empty.opml_empty == "the OPML answer is empty" and list_rows(empty, rows) == rows[1:]
    broken = read_list("", "list.opml", lambda: b"<html>not a list")
    assert broken.opml_empty.startswith("the OPML lists no http(s) feed")
