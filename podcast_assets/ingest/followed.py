"""The followed feeds as the deployment lists them (``FEEDS``, then the OPML of ``FEEDS_OPML``), and how each is
recorded: a public feed by its URL, a private one by its reference (``private.py``). Pure functions."""

from __future__ import annotations

from dataclasses import dataclass, field

from podcast_assets.ingest.feed_items import feed_id, feed_list
from podcast_assets.ingest.private import feed_ref, is_ref, looks_private
from podcast_assets.transcripts.address_policy import redact


@dataclass
class FollowedList:
    feeds: list[dict] = field(default_factory=list)  # feed_url, title, private, source ("FEEDS" or "OPML")
    problems: list[str] = field(default_factory=list)  # entries that could not be read, one line each
    opml_empty: str = ""  # why the OPML gave no feed at all ("" when it gave some, or there is none)


def read_list(urls: str, opml: str, opml_bytes) -> FollowedList:
    """``urls`` (comma separated) and, when ``opml`` names one, the OPML that ``opml_bytes()`` returns (it raises
    when the file cannot be had). Deduplicated, in order; an OPML that lists nothing is said, not followed."""
    found, problems = feed_list(urls)
    listed = FollowedList([{**f, "source": "FEEDS"} for f in found], [f"FEEDS {p}" for p in problems])
    if not opml:
        return listed
    body = opml_bytes() or b""
    more, bad = feed_list(body)
    listed.problems += [f"FEEDS_OPML {p}" for p in bad]
    if not more:
        listed.opml_empty = "the OPML answer is empty" if not body.strip() else (
            f"the OPML lists no http(s) feed ({bad[0] if bad else 'no outline with an xmlUrl'})")
    have = {f["feed_url"] for f in listed.feeds}
    listed.feeds += [{**f, "source": "OPML"} for f in more if f["feed_url"] not in have]
    return listed


FEED_COLUMNS = ["feed_id", "feed_url", "title", "private", "source"]


def list_rows(listed: FollowedList, before: list[dict]) -> list[dict]:
    """The ``feeds`` table: a row per listed feed (a private one by its reference, never its URL); when the OPML
    gave no feed at all, the rows it gave before (``before``: the table as it was) are kept."""
    rows = [{"feed_id": feed_id(f["feed_url"]), "feed_url": recorded_url(f), "title": f["title"],
             "private": bool(f["private"]), "source": f["source"]} for f in listed.feeds]
    have = {r["feed_url"] for r in rows}
    # rows written before the table said where each came from may be the OPML's: kept too
    kept = [r for r in before if r.get("source") in ("OPML", None) and r["feed_url"] not in have] \
        if listed.opml_empty else []
    return rows + [{k: (bool(r.get(k)) if k == "private" else r.get(k)) for k in FEED_COLUMNS} for r in kept]


def recorded_url(feed: dict) -> str:
    """What the tables, topics and logs hold for a feed: its URL, or its reference when it is private."""
    return feed_ref(feed_id(feed["feed_url"])) if feed.get("private") else feed["feed_url"]


def private_urls(listed: FollowedList) -> dict[str, str]:
    """Feed id to URL of each private feed of the list: what a reference resolves through."""
    return {feed_id(f["feed_url"]): f["feed_url"] for f in listed.feeds if f.get("private")}


def feed_name(recorded: str) -> str:
    """How a message names a recorded feed: its reference, or its URL without query string or credentials."""
    return recorded if is_ref(recorded) else redact(recorded)


RUN_CONFIG_PRIVATE = ("a private feed in run config is not read: run config is stored with the run, so private "
                      "feeds go in FEEDS or FEEDS_OPML")


def public_only(urls: list[str]) -> tuple[list[str], list[str]]:
    """A run's own feed URLs without the private ones, and the one-line problem if any was left out."""
    kept = [u for u in urls if not looks_private(u)]
    return kept, [RUN_CONFIG_PRIVATE] if len(kept) < len(urls) else []
