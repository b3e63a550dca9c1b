"""Feeds as hosts publish them, and hostile ones: read by podcastparser over defusedxml."""

import json

import pytest

from podcast_assets.ingest.feed_xml import FeedRefused, parse_feed, plain_text
from podcast_assets.local.podcast_index_server import CATALOG_DIR
from podcast_assets.local.sample_feeds import SHAPES, hostile_feed, render_feed

BASE = "http://127.0.0.1:8765"
CATALOG = json.loads((CATALOG_DIR / "catalog.json").read_text().replace("{BASE}", BASE))


def show(feed_id: int):
    feed = next(f for f in CATALOG["feeds"] if f["id"] == feed_id)
    return feed, [e for e in CATALOG["episodes"] if e["feedId"] == feed_id]


@pytest.mark.parametrize("shape", SHAPES)
def test_every_shape_reads_as_the_same_show_and_items(shape):
    feed, items = show(920002)  # three items, one a trailer
    parsed = parse_feed(render_feed(feed, items, BASE, shape), f"{BASE}/feeds/920002.xml")
    assert parsed["title"].startswith("Orbit and Beyond") and parsed["language"] == "en"
    assert [i["guid"] for i in parsed["items"]] == [e["guid"] for e in sorted(items, key=lambda e: -e["datePublished"])]
    by_guid = {i["guid"]: i for i in parsed["items"]}
    for e in items:
        got = by_guid[e["guid"]]
        assert got["title"] == e["title"]  # HTML in titles (latin1) and double escaping (Atom) read as text
        assert got["episode_type"] == e["episodeType"] and got["published"] == e["datePublished"]
        assert got["enclosure_type"] == "audio/mpeg" and got["enclosure_length"] == e["enclosureLength"]
        if shape == "tracked":  # the tracking prefix stays: the download follows its redirect
            assert got["audio_url"].startswith(f"{BASE}/track/redirect.mp3/127.0.0.1:8765/audio/")
        else:  # relative enclosure URLs (latin1) resolved against the feed's own URL
            assert got["audio_url"] == e["enclosureUrl"]
        # Atom carries no itunes:duration; the tracked shape leaves it out, as many hosts do
        assert got["duration_sec"] == (0.0 if shape in ("atom", "tracked") else e["duration"])


def test_non_utf8_feeds_keep_their_characters():
    feed, items = show(920002)
    parsed = parse_feed(render_feed(feed, items, BASE, "cp1252"), f"{BASE}/f.xml")
    assert parsed["title"] == "Orbit and Beyond \u2013 weekly"
    latin = render_feed({**feed, "title": "Caf\u00e9 del Mar"}, items, BASE, "latin1")
    assert b"Caf\xe9" in latin and parse_feed(latin, f"{BASE}/f.xml")["title"] == "Caf\u00e9 del Mar"


def test_podcast_namespace_transcripts_and_chapters_with_their_types():
    feed, items = show(920004)
    items = [{**items[0], "chaptersUrl": f"{BASE}/chapters/1.json",
              "transcripts": [{"url": f"{BASE}/t.html", "type": "text/html"}] + items[0]["transcripts"]}]
    [item] = parse_feed(render_feed(feed, items, BASE, "rss"), f"{BASE}/f.xml")["items"]
    assert item["transcripts"] == [(f"{BASE}/t.html", "text/html"), (f"{BASE}/transcripts/920004-41000031.vtt", "text/vtt")]
    assert item["chapters_url"] == f"{BASE}/chapters/1.json"


def test_an_old_rss_091_doctype_is_read_but_never_fetched():
    body = (b'<?xml version="1.0"?>\n<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
            b'"http://127.0.0.1:9/rss-0.91.dtd"><rss version="0.91"><channel><title>Old</title><language>en</language>'
            b'<item><title>One</title><enclosure url="http://x.org/1.mp3" type="audio/mpeg" length="1"/></item>'
            b"</channel></rss>")
    parsed = parse_feed(body, "http://x.org/feed")  # port 9 answers nothing: a fetch would fail or hang
    assert parsed["title"] == "Old" and parsed["items"][0]["audio_url"] == "http://x.org/1.mp3"


@pytest.mark.parametrize(("body", "reason"), [
    (hostile_feed("bomb"), "declares an entity ('e0'); XML entities are not read"),
    (hostile_feed("entity"), "declares an external entity ('secret')"),
    (b"<html><body>Moved</body></html>", "not a podcast feed: the document is <html>"),
    (b"\x89PNG\r\n", "not XML"),
    (b"", "not XML"),
])
def test_hostile_or_broken_feeds_are_refused_in_one_line(body, reason):
    with pytest.raises(FeedRefused) as err:
        parse_feed(body, "http://x.org/feed")
    assert reason in str(err.value) and "\n" not in str(err.value) and "root:" not in str(err.value)


def test_plain_text_drops_markup_once_or_twice_escaped():
    assert plain_text("Ep 1: <b>Bold</b> &amp; more") == "Ep 1: Bold & more"
    assert plain_text("A &lt;i&gt;styled&lt;/i&gt;  title") == "A styled title"
