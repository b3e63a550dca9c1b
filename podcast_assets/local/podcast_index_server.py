"""A local server that speaks the Podcast Index API over the bundled sample catalog.

It checks the auth headers and the ±3 minute date window as the real service does, blocks
generic library user agents with an HTML page, and serves the catalog's audio and transcripts.
It also serves the catalog's shows as RSS and Atom feeds (``/feeds/<id>.xml``, ``?shape=`` another of
``sample_feeds.SHAPES``; ``/feeds.opml`` lists them) with ETag and Last-Modified, answering 304 to a
conditional GET of an unchanged feed; ``/track/<host>/<path>`` redirects as tracking prefixes do; ``/audio/<any folders>/<file>`` is a catalog
recording at another address (a re-upload, for a new feed item);
``/hostile/<bomb|entity|huge|endless>.xml`` are feeds to refuse (``endless`` never ends).
Tests steer it through ``POST /__control`` (JSON): ``{"faults": [{"status": 429}, ...]}`` makes the
next API requests fail in order (``"status": "malformed"`` answers broken JSON, ``"slow": seconds``
delays, ``"retry_after": "1"`` adds that header), ``{"feed_item": {...}}`` adds an item (catalog fields,
``{BASE}`` allowed) to its ``feedId``'s feed, ``{"reset": true}`` clears faults, added items and the logs.
``GET /__feed_requests`` lists the feed requests and their statuses.
Run: ``python -m podcast_assets.local.podcast_index_server``.
"""

from __future__ import annotations

import argparse
import collections
import email.utils
import hashlib
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from podcast_assets.local.sample_feeds import SHAPES, hostile_feed, render_feed, render_opml, shape_of

CATALOG_DIR = Path(__file__).parent / "sample_catalog"
REQUEST_LOG = 200
API_PREFIX = "/api/1.0"
GENERIC_AGENTS = ("python-requests", "python-urllib", "curl", "wget", "go-http-client")


def load_catalog(base: str) -> dict:
    raw = (CATALOG_DIR / "catalog.json").read_text().replace("{BASE}", base)
    return json.loads(raw)


def public(item: dict) -> dict:
    """The API view of a catalog entry: without the test-only labels."""
    return {k: v for k, v in item.items() if k not in ("script", "topic", "audio_language")}


class Api:
    def __init__(self, catalog: dict, key: str, secret: str):
        self.feeds = catalog["feeds"]
        self.episodes = catalog["episodes"]
        self.key, self.secret = key, secret
        self.faults: list[dict] = []
        self.lock = threading.Lock()
        # what tests may ask of the server: the paths it was asked for, the last few only (never headers,
        # which carry the API key and signature)
        self.requests: collections.deque = collections.deque(maxlen=REQUEST_LOG)
        self.feed_requests: collections.deque = collections.deque(maxlen=REQUEST_LOG)
        self.added: list[dict] = []

    def feed(self, base: str, name: str, shape: str | None) -> tuple[bytes, str] | None:
        """A show's feed and its Last-Modified (the newest item's date), or None for an unknown show."""
        feed = next((f for f in self.feeds if f"{f['id']}.xml" == name), None)
        if feed is None:
            return None
        with self.lock:
            items = [e for e in self.episodes + self.added if e["feedId"] == feed["id"]]
        shape = shape if shape in SHAPES else shape_of(self.feeds, feed["id"])
        newest = max((e["datePublished"] for e in items), default=0)
        return render_feed(feed, items, base, shape), email.utils.formatdate(newest, usegmt=True)

    def check_auth(self, headers) -> str | None:
        agent = (headers.get("User-Agent") or "").lower()
        if not agent or agent.startswith(GENERIC_AGENTS):
            return "agent"
        key, date, sig = headers.get("X-Auth-Key"), headers.get("X-Auth-Date"), headers.get("Authorization")
        if not key or not date or not sig:
            return "Authorization header not found"
        if key != self.key:
            return "Authorization failed: unknown key"
        if not date.isdigit() or abs(int(date) - time.time()) > 180:
            return "Authorization failed: X-Auth-Date outside the allowed window"
        if hashlib.sha1((self.key + self.secret + date).encode()).hexdigest() != sig:
            return "Authorization failed: bad signature"
        return None

    def answer(self, path: str, q: dict) -> dict | None:
        one = lambda name, default=None: (q.get(name) or [default])[0]  # noqa: E731
        if path == "/podcasts/trending":
            langs = [x.strip().lower() for x in (one("lang") or "").split(",") if x.strip()]
            feeds = sorted(self.feeds, key=lambda f: -f["trendScore"])
            if langs:
                feeds = [f for f in feeds if any(f["language"].lower().startswith(x) for x in langs)]
            feeds = [public(f) for f in feeds[: int(one("max", 10))]]
            return {"status": "true", "feeds": feeds, "count": len(feeds), "max": one("max"), "since": one("since"),
                    "description": "Found matching feeds"}
        if path == "/episodes/byfeedid":
            ids = {int(x) for x in (one("id") or "").split(",") if x.strip().isdigit()}
            if not ids:
                return {"status": "false", "description": "Invalid parameters"}
            items = sorted((e for e in self.episodes if e["feedId"] in ids), key=lambda e: -e["datePublished"])
            items = [public({k: v for k, v in e.items() if k != "feedTitle"}) for e in items][: int(one("max", 10))]
            return {"status": "true", "items": items, "liveItems": [], "count": len(items), "query": one("id"),
                    "description": "Found matching items"}
        if path == "/episodes/byid":
            found = next((public(e) for e in self.episodes if str(e["id"]) == one("id")), [])
            return {"status": "true", "id": one("id"), "episode": found, "description": "Found matching item"}
        if path == "/podcasts/byfeedid":
            found = next((public(f) for f in self.feeds if str(f["id"]) == one("id")), [])
            return {"status": "true", "query": {"id": one("id")}, "feed": found, "description": "Found matching feed"}
        return None


def make_handler(api: Api):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):  # quiet: tests and the stack log enough
            pass

        def _send(self, status: int, body: bytes, ctype: str, headers: dict | None = None) -> None:
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                try:
                    self.wfile.write(body)
                except OSError:  # the client gave up (a body over its cap, say): nothing to tell it
                    self.close_connection = True

        def _file(self, body: bytes, ctype: str) -> None:
            """The whole file, or the byte range asked for, as podcast hosts answer (a player seeks with them)."""
            asked = re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("Range", "").strip())
            if not asked or not body or asked.group(1) == asked.group(2) == "":
                return self._send(200, body, ctype, {"Accept-Ranges": "bytes"})
            first, last = asked.groups()
            if first == "":  # the last N bytes
                first, last = max(len(body) - int(last), 0), len(body) - 1
            else:
                first, last = int(first), min(int(last) if last else len(body) - 1, len(body) - 1)
            if first >= len(body) or first > last:
                return self._send(416, b"", ctype, {"Content-Range": f"bytes */{len(body)}"})
            return self._send(206, body[first:last + 1], ctype,
                              {"Accept-Ranges": "bytes", "Content-Range": f"bytes {first}-{last}/{len(body)}"})

        def _feeds(self, url):
            base = f"http://{self.headers.get('Host')}"
            status = self._feed_answer(url, base)
            with api.lock:
                api.feed_requests.append({"path": url.path + (f"?{url.query}" if url.query else ""), "status": status})

        def _feed_answer(self, url, base: str) -> int:
            if url.path.startswith("/track/"):  # a tracking prefix: the real host and path follow it
                rest = url.path.split("/", 3)[3] if url.path.count("/") >= 3 else ""
                self._send(302, b"", "text/plain", {"Location": f"http://{rest}"})
                return 302
            if url.path == "/feeds.opml":
                self._send(200, render_opml(api.feeds, base), "text/x-opml")
                return 200
            name = url.path.rsplit("/", 1)[-1]
            if url.path.startswith("/hostile/"):
                kind = name.removesuffix(".xml")
                if kind == "endless":  # a feed that never ends: a line every half second, for two minutes
                    self.send_response(200)
                    self.send_header("Content-Type", "application/rss+xml")
                    self.end_headers()
                    try:
                        self.wfile.write(b'<?xml version="1.0"?>\n<rss version="2.0"><channel>')
                        for _ in range(240):
                            self.wfile.write(b"<item><title>more</title></item>\n")
                            self.wfile.flush()
                            time.sleep(0.5)
                    except OSError:
                        pass
                    self.close_connection = True
                    return 200
                body = hostile_feed(kind)
                if body is None:
                    self._send(404, b"not found", "text/plain")
                    return 404
                self._send(200, body, "application/rss+xml")
                return 200
            found = api.feed(base, name, (parse_qs(url.query).get("shape") or [None])[0])
            if found is None:
                self._send(404, b"<html>404 Not Found</html>", "text/html")
                return 404
            body, modified = found
            etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
            if self.headers.get("If-None-Match") == etag or (
                    not self.headers.get("If-None-Match") and self.headers.get("If-Modified-Since") == modified):
                self._send(304, b"", "application/rss+xml", {"ETag": etag, "Last-Modified": modified})
                return 304
            self._send(200, body, "application/rss+xml", {"ETag": etag, "Last-Modified": modified})
            return 200

        def do_POST(self):
            if self.path != "/__control":
                return self._send(404, b"not found", "text/plain")
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            with api.lock:
                if body.get("reset"):
                    api.faults.clear()
                    api.requests.clear()
                    api.feed_requests.clear()
                    api.added.clear()
                api.faults.extend(body.get("faults", []))
                if body.get("feed_item"):
                    base = f"http://{self.headers.get('Host')}"
                    api.added.append(json.loads(json.dumps(body["feed_item"]).replace("{BASE}", base)))
            self._send(200, b'{"ok": true}', "application/json")

        def do_HEAD(self):
            self.do_GET()

        def do_GET(self):
            url = urlparse(self.path)
            if url.path == "/__requests":
                with api.lock:
                    return self._send(200, json.dumps(list(api.requests)).encode(), "application/json")
            if url.path == "/__feed_requests":
                with api.lock:
                    return self._send(200, json.dumps(list(api.feed_requests)).encode(), "application/json")
            if url.path.startswith(("/feeds", "/hostile/", "/track/")):
                return self._feeds(url)
            for prefix, folder, ctype in (("/audio/", "audio", "audio/mpeg"), ("/transcripts/", "transcripts", "text/vtt"),
                                          ("/chapters/", "chapters", "application/json+chapters")):
                if url.path.startswith(prefix):
                    name = Path(url.path[len(prefix):]).name
                    f = CATALOG_DIR / folder / name
                    if not name or not f.is_file():
                        return self._send(404, b"<html>404 Not Found</html>", "text/html")
                    return self._file(f.read_bytes(), ctype)
            if not url.path.startswith(API_PREFIX):
                return self._send(404, b"not found", "text/plain")
            path = url.path[len(API_PREFIX):]
            with api.lock:
                api.requests.append({"path": path})
                fault = api.faults.pop(0) if api.faults else None
            problem = api.check_auth(self.headers)
            if problem == "agent":
                return self._send(403, b"<html><body>Access denied</body></html>", "text/html")
            if problem:
                return self._send(401, problem.encode(), "text/plain")
            if fault:
                time.sleep(float(fault.get("slow", 0)))
                if fault.get("status") == "malformed":
                    return self._send(200, b'{"status": "true", "feeds": [', "application/json")
                if isinstance(fault.get("status"), int):
                    extra = {"Retry-After": str(fault["retry_after"])} if "retry_after" in fault else None
                    return self._send(fault["status"], b"<html>error</html>", "text/html", extra)
            body = api.answer(path, parse_qs(url.query, keep_blank_values=True))
            if body is None:
                return self._send(404, b"not found", "text/plain")
            self._send(400 if body["status"] == "false" else 200, json.dumps(body).encode(), "application/json")

    return Handler


def make_server(host: str, port: int, key: str, secret: str) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer((host, port), None)
    base = f"http://{host}:{server.server_address[1]}"
    server.RequestHandlerClass = make_handler(Api(load_catalog(base), key, secret))
    return server


def main() -> None:
    from podcast_assets.settings import settings_from_env

    s = settings_from_env()
    parser = argparse.ArgumentParser(description="local Podcast Index API over the sample catalog")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    server = make_server(args.host, args.port, s.PODCAST_INDEX_API_KEY, s.PODCAST_INDEX_API_SECRET)
    print(f"local Podcast Index on http://{args.host}:{server.server_address[1]}{API_PREFIX}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
