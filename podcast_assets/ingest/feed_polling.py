"""One poll of the feeds a ``feed_episodes`` run reads: each feed fetched, parsed and its new items taken, each on
its own, so a feed that is refused, dead, dropped from the list or breaks the parser costs only itself. A private
feed is resolved from the deployment's list here and recorded only through its reference. Plain functions: the
fetch and the resolution come in as callables."""

from __future__ import annotations

from dataclasses import dataclass, field

from podcast_assets.ingest.feed_items import feed_id, item_key, read_items
from podcast_assets.ingest.feed_xml import FeedRefused, parse_feed
from podcast_assets.ingest.followed import feed_name
from podcast_assets.ingest.private import is_ref, private_view
from podcast_assets.transcripts.address_policy import FetchError


@dataclass(frozen=True)
class FeedLimits:
    backlog: int
    new_per_poll: int
    new_per_day: int
    language_prefix: str


@dataclass
class PollResult:
    episodes: list[dict] = field(default_factory=list)
    polls: list[dict] = field(default_factory=list)  # one row of ``feed_polls`` per feed
    keys: list[tuple[str, str, bool]] = field(default_factory=list)  # (feed, item key, on its first poll)
    skipped: list[dict] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)

    def polls_with(self, episodes: list[dict], refused: dict[str, str]) -> list[dict]:
        """The poll rows, each feed's note saying which of its items Kafka refused (the feed itself was read)."""
        by_feed: dict[str, list[str]] = {}
        for e in episodes:
            if e["episode_id"] in refused:
                by_feed.setdefault(e["feed_url"], []).append(f"episode {e['episode_id']} {refused[e['episode_id']]}")
        return [{**p, "note": "; ".join(filter(None, [p.get("note", ""), *by_feed.get(p["feed_url"], [])[:3]]))}
                for p in self.polls]


def _items(recorded: str, url: str, body: bytes, seen: set[str], budget: int, limits: FeedLimits) -> tuple:
    parsed = parse_feed(body, url)
    if is_ref(recorded):  # from here on, the private feed is its reference and hashes
        parsed = private_view(feed_id(recorded), url, parsed, item_key)
    return parsed, read_items(recorded, parsed, seen, limits.backlog, limits.new_per_poll, limits.language_prefix,
                              budget)


def poll_feeds(targets: list[str], fetch, resolve, seen: dict[str, set[str]], used: dict[str, int],
               limits: FeedLimits, warn) -> PollResult:
    """``targets``: recorded feeds (URLs or references); ``fetch(url, private=)`` the guarded GET; ``resolve(feed)``
    a reference's URL; ``seen``/``used``: each feed's seen item keys and the items its daily cap spent."""
    out = PollResult()
    for recorded in targets:
        answer = None
        try:
            url = resolve(recorded)  # a private feed's URL, from the list, in this process only
            answer = fetch(url, private=is_ref(recorded))
            parsed, got = _items(recorded, url, answer.body or b"", seen.get(recorded, set()),
                                 limits.new_per_day - used.get(recorded, 0), limits)
        except (FetchError, FeedRefused, LookupError) as exc:
            reason = str(exc)
        except Exception as exc:  # what no parser foresaw is this feed's failure, not the run's
            reason = f"unreadable feed ({type(exc).__name__})"
        else:
            out.episodes += got["episodes"]
            out.skipped += [{**x, "feed_url": feed_name(x["feed_url"])} for x in got["skipped"]]
            out.keys += [(recorded, k, got["first"]) for k in got["keys"]]
            # items deferred by the per-poll cap are taken at the next poll (``again``); those over the daily cap
            # wait for the feed to change
            out.polls.append({"feed_url": recorded, "etag": answer.etag, "last_modified": answer.last_modified,
                              "sha256": answer.sha256, "items": len(parsed["items"]), "new": len(got["episodes"]),
                              "outcome": "read", "again": bool(got["deferred"]) and not got["daily_cap_reached"],
                              "note": f"{got['deferred']} new items deferred" if got["deferred"] else ""})
            continue
        out.failed.append({"feed_url": feed_name(recorded), "reason": reason})
        warn(f"feed {feed_name(recorded)}: {reason}")
        # refused XML is judged (its validators kept: asked for again once it changes); a feed not fetched
        # keeps none, so the sensor reads it in full next time
        judged = answer is not None
        out.polls.append({"feed_url": recorded, "etag": answer.etag if judged else "",
                          "last_modified": answer.last_modified if judged else "",
                          "sha256": answer.sha256 if judged else "", "items": 0, "new": 0, "outcome": reason})
    return out
