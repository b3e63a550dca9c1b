"""Publishers on loopback for the live test: honest and hostile items in one feed, a feed that rotates its guids
and enclosure paths on every read, a private feed that answers only with its tokens, and an OPML list that
comes back empty once told to."""

from __future__ import annotations

import json
import secrets
import threading
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape, quoteattr

from podcast_assets.local.podcast_index_server import CATALOG_DIR

AUDIO = {name: CATALOG_DIR / "audio" / f"{name}.mp3" for name in (
    "920001-41000001", "920005-41000041", "920009-41000081", "920013-41000121", "920003-41000021",
    "920007-41000061", "920011-41000101")}
PODCAST = "https://podcastindex.org/namespace/1.0"


def token() -> str:
    return "tk" + secrets.token_hex(12)  # letters and digits, found nowhere by chance


def _item(guid: str, title: str | None, audio: str, when: int, description: str = "", extra: str = "") -> str:
    named = f"<title>{escape(title)}</title>" if title is not None else ""  # untitled: named by its file
    return (f"<item>{named}<guid isPermaLink=\"false\">{escape(guid)}</guid>"
            f"<pubDate>{formatdate(when, usegmt=True)}</pubDate><description>{escape(description)}</description>"
            f"<enclosure url={quoteattr(audio)} length=\"100000\" type=\"audio/mpeg\"/>{extra}</item>")


def _feed(title: str, items: list[str]) -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" xmlns:podcast="{PODCAST}"><channel>'
            f"<title>{escape(title)}</title><language>en</language>{''.join(items)}</channel></rss>").encode()


class Publishers:
    """The servers' state and their URLs; ``opml_empty`` makes the OPML answer empty from then on."""

    def __init__(self, when: int):
        self.when, self.rotations, self.opml_empty, self.requests = when, 0, False, []
        self.tokens = {"path": token(), "query": token(), "enclosure": token(), "signature": token(), "file": token()}
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://{self.host}{path}"

    @property
    def private_feed(self) -> str:
        return self.url(f"/private/{self.tokens['path']}/feed.xml?token={self.tokens['query']}")

    def _private_media(self, name: str) -> str:
        return self.url(f"/media/{self.tokens['enclosure']}/{name}?sig={self.tokens['signature']}")

    def honest(self) -> bytes:
        w = self.when
        return _feed("Honest and Hostile FM", [
            _item("hh-honest-0001", "An honest episode about Jupiter", self.url("/audio/h1.mp3"), w),
            _item("hh-long-description-0002", "A very long description", self.url("/audio/h2.mp3"), w - 60,
                  "words " * 600_000),  # 3.6 MB of text, cut to its cap
            _item("hh-deep-chapters-0003", "Chapters nested 100,000 deep", self.url("/audio/h3.mp3"), w - 120,
                  extra=f'<podcast:chapters url="{self.url("/deep-chapters.json")}" type="application/json+chapters"/>'),
            _item("hh-nan-transcript-0004", "A transcript with NaN times", self.url("/audio/h4.mp3"), w - 180,
                  extra=f'<podcast:transcript url="{self.url("/nan-transcript.json")}" type="application/json"/>'),
            _item("hh-refused-by-kafka-0005", "Too large for the broker", self.url("/audio/h5.mp3"), w - 240,
                  "\u00e9" * 3_000_000),  # cut to 20,000 characters, still 40 KB: over the test broker's limit
        ])

    def rotating(self) -> bytes:
        self.rotations += 1
        n = self.rotations
        return _feed("Rotating FM", [_item(f"rot-{n}-{i}-guid", f"Rotating episode {i}", self.url(f"/audio/rot{n}/r{i}.mp3"),
                                           self.when - i * 60) for i in (1, 2)])

    def private(self) -> bytes:
        chapters = self._private_media("chapters.json")
        return _feed("Patrons Only", [
            _item("pp-private-0001", "For patrons: the bread episode", self._private_media("p1.mp3"), self.when),
            _item("pp-private-0002", "For patrons: the budget episode", self._private_media("p2.mp3"), self.when - 60,
                  extra=f"<podcast:chapters url={quoteattr(chapters)} type=\"application/json+chapters\"/>"),
            _item("pp-private-0003", None, self._private_media(f"{self.tokens['file']}.mp3"), self.when - 120),
        ])

    def opml(self) -> bytes:
        if self.opml_empty:
            return b""
        outlines = "".join(f'<outline type="rss" text="{t}" xmlUrl="{self.url(p)}"/>'
                           for t, p in (("Honest and Hostile FM", "/honest.xml"), ("Rotating FM", "/rotating.xml")))
        return b"\xef\xbb\xbf" + f'<?xml version="1.0"?><opml version="2.0"><body>{outlines}</body></opml>'.encode()

    def answer(self, path: str, query: dict) -> tuple[int, bytes, str]:
        mp3 = {"/audio/h1.mp3": "920001-41000001", "/audio/h2.mp3": "920009-41000081",
               "/audio/h3.mp3": "920013-41000121", "/audio/h4.mp3": "920003-41000021",
               "/audio/h5.mp3": "920011-41000101"}
        if path in mp3:
            return 200, AUDIO[mp3[path]].read_bytes(), "audio/mpeg"
        if path.startswith("/audio/rot"):
            return 200, AUDIO["920007-41000061"].read_bytes(), "audio/mpeg"
        if path == "/honest.xml":
            return 200, self.honest(), "application/rss+xml"
        if path == "/rotating.xml":
            return 200, self.rotating(), "application/rss+xml"
        if path == "/list.opml":
            return 200, self.opml(), "text/x-opml"
        if path == "/deep-chapters.json":
            return 200, ("[" * 100_000 + "]" * 100_000).encode(), "application/json"
        if path == "/nan-transcript.json":
            body = {"version": "1.0.0", "segments": [{"startTime": float("nan"), "endTime": 2.0, "body": "hello"},
                                                     {"startTime": -5, "endTime": -1, "body": "from before time"}]}
            return 200, json.dumps(body).encode(), "application/json"  # json writes NaN, as a careless publisher's would
        t = self.tokens
        if path == f"/private/{t['path']}/feed.xml":
            return (200, self.private(), "application/rss+xml") if query.get("token") == [t["query"]] else (403, b"", "")
        if path.startswith(f"/media/{t['enclosure']}/") and query.get("sig") == [t["signature"]]:
            name = path.rsplit("/", 1)[1]
            if name == "chapters.json":
                return 200, json.dumps({"version": "1.2.0", "chapters": [
                    {"startTime": 0, "title": "Opening"}, {"startTime": 10, "title": "The budget"}]}).encode(), \
                    "application/json+chapters"
            audio = {"p1.mp3": "920005-41000041", "p2.mp3": "920009-41000081"}.get(name, "920013-41000121")
            return 200, AUDIO[audio].read_bytes(), "audio/mpeg"
        return 404, b"", ""

    def _handler(self):
        publishers = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                parts = urlsplit(self.path)
                status, body, kind = publishers.answer(parts.path, parse_qs(parts.query))
                publishers.requests.append((parts.path.split("/")[1], status))
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                if kind:
                    self.send_header("Content-Type", kind)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_):
                pass

        return Handler

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
