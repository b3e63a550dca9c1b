"""One poll of several feeds: each on its own, a bad one costs only itself."""

from podcast_assets.ingest.feed_polling import FeedLimits, poll_feeds
from podcast_assets.resources.feeds import FeedAnswer
from podcast_assets.transcripts.address_policy import FetchError

GOOD = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>Good</title><language>en</language>'
        b'<item><title>One</title><guid>guid-good-0001</guid><enclosure url="https://g.org/1.mp3" type="audio/mpeg"/>'
        b"</item></channel></rss>")
LIMITS = FeedLimits(backlog=5, new_per_poll=20, new_per_day=50, language_prefix="en")


def test_a_feed_that_fails_in_any_way_is_its_own_outcome_and_the_others_land():
    def fetch(url, private=False):
        if url.endswith("dead"):
            raise FetchError("dead URL https://x.org/dead: HTTP 404")
        if url.endswith("odd"):
            raise RecursionError("maximum recursion depth exceeded")  # what nobody foresaw
        if url.endswith("notxml"):
            return FeedAnswer(b"<rss", "e", "", "sha-notxml")
        return FeedAnswer(GOOD, "etag-1", "", "sha-good")

    def resolve(recorded):
        if recorded.startswith("private-feed:"):
            raise LookupError("private feed feed-x is no longer in FEEDS or FEEDS_OPML")
        return recorded

    warned = []
    targets = ["https://x.org/dead", "https://x.org/odd", "https://x.org/notxml", "private-feed:feed-x", "https://g.org/rss"]
    got = poll_feeds(targets, fetch, resolve, {}, {}, LIMITS, warned.append)
    assert [e["episode_title"] for e in got.episodes] == ["One"]
    outcomes = {p["feed_url"]: p["outcome"] for p in got.polls}
    assert outcomes["https://g.org/rss"] == "read" and outcomes["https://x.org/odd"] == "unreadable feed (RecursionError)"
    assert outcomes["https://x.org/notxml"].startswith("not XML") and "no longer in FEEDS" in outcomes["private-feed:feed-x"]
    assert len(warned) == 4 and all("\n" not in w for w in warned)
    validators = {p["feed_url"]: p["sha256"] for p in got.polls}  # refused XML is judged; an unread feed is not
    assert validators["https://x.org/notxml"] == "sha-notxml" and validators["https://x.org/dead"] == ""
    noted = got.polls_with(got.episodes, {got.episodes[0]["episode_id"]: "refused by Kafka: Message size too large"})
    assert "refused by Kafka" in next(p["note"] for p in noted if p["feed_url"] == "https://g.org/rss")


def test_a_poll_is_judged_and_a_feed_that_keeps_failing_backs_off():
    import datetime as dt

    import pandas as pd

    from podcast_assets.ingest.sensors import ASK_AGAIN, MAX_BACKOFF, _due, backoff, judge

    every = dt.timedelta(seconds=300)
    assert [backoff(every, n).total_seconds() for n in range(4)] == [300, 600, 1200, 2400]
    assert backoff(every, 40) == MAX_BACKOFF
    now = dt.datetime.now(dt.UTC)
    polled = (now - dt.timedelta(seconds=700)).isoformat()
    assert _due({"polled": polled}, now, every) and _due({"polled": polled, "fails": 1}, now, every)
    assert not _due({"polled": polled, "fails": 2}, now, every)

    entry, read = {}, {"outcome": "read", "sha256": "a", "polled_at": pd.Timestamp(now - dt.timedelta(hours=1))}
    assert judge(entry, FetchError("dead"), read, now) == "failed" and entry["fails"] == 1
    assert judge(entry, FeedAnswer(b"x", sha256="a"), read, now) == "same" and entry["fails"] == 0
    assert judge(entry, FeedAnswer(b"y", sha256="b"), read, now) == "changed"
    assert judge(entry, FeedAnswer(b"y", sha256="b"), read, now + ASK_AGAIN / 2) == "waiting"
    later = now + ASK_AGAIN * 2  # the run asked for never recorded these bytes: asked again, as a failure
    assert judge(entry, FeedAnswer(b"y", sha256="b"), read, later) == "changed" and entry["fails"] == 1
    refused = {**read, "outcome": "refused: not XML", "sha256": "b"}
    assert judge(entry, FeedAnswer(b"y", sha256="b"), refused, later) == "same" and entry["fails"] == 2
    # a run that deferred items asks for the next poll, even with the same bytes (or a 304)
    deferred = {**read, "sha256": "b", "again": True, "polled_at": pd.Timestamp(later - dt.timedelta(seconds=1))}
    fresh = {}
    assert judge(fresh, FeedAnswer(None), deferred, later) == "changed"
    assert judge(fresh, FeedAnswer(None), deferred, later + dt.timedelta(seconds=30)) == "waiting"
