"""Servers a hostile feed could point at, on loopback: one that feeds are allowed to use (it plays the
hostile publisher) and a *forbidden* one that counts every request, to prove nothing reached it."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from podcast_assets.local.podcast_index_server import CATALOG_DIR

REAL_MP3 = CATALOG_DIR / "audio" / "920001-41000001.mp3"


class Counting(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):
        type(self).hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *_):
        pass


def publisher(forbidden: str):
    """Handler of the allowed (hostile) publisher; ``forbidden`` is the counting server's host:port."""

    class Publisher(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        attempts: dict[str, int] = {}

        def _send(self, status: int, body: bytes = b"", headers: dict | None = None):
            self.send_response(status)
            for k, v in {"Content-Length": str(len(body)), **(headers or {})}.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            n = type(self).attempts[self.path] = type(self).attempts.get(self.path, 0) + 1
            path = self.path.split("?", 1)[0]
            if path == "/ok.mp3":
                return self._send(200, REAL_MP3.read_bytes(), {"Content-Type": "audio/mpeg"})
            if path.startswith("/members/"):  # a private feed's host: user:password@ in its URL, as Basic
                ok = self.headers.get("Authorization") == "Basic bWVtYmVyOnMzY3JldCBwdw=="  # member:s3cret pw
                return self._send(200, b"<rss/>") if ok else self._send(401, b"", {"WWW-Authenticate": "Basic"})
            if path == "/long.mp3":  # the same clip four times over: valid MP3, four times as long
                return self._send(200, REAL_MP3.read_bytes() * 4, {"Content-Type": "audio/mpeg"})
            if path == "/redirect-to-loopback.mp3":
                return self._send(302, headers={"Location": f"http://{forbidden}/count/redirected"})
            if path.startswith("/redirect-chain.mp3"):
                return self._send(302, headers={"Location": "/redirect-chain.mp3?again"})
            if path == "/playlist.mp3":  # an HLS playlist saved as .mp3: segments elsewhere and on disk
                body = (f"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nhttp://{forbidden}/count/segment.ts\n"
                        "#EXTINF:10,\n/etc/hostname\n#EXT-X-ENDLIST\n").encode()
                return self._send(200, body, {"Content-Type": "audio/mpeg"})
            if path == "/drip.mp3":  # one byte every 2 s, for ever (well, 10 minutes)
                self.send_response(200)
                self.send_header("Content-Length", "300")
                self.end_headers()
                try:
                    for _ in range(300):
                        self.wfile.write(b"\xff")
                        self.wfile.flush()
                        time.sleep(2)
                except (BrokenPipeError, ConnectionResetError):  # the fetcher's deadline closed the socket
                    pass
                return None
            if path == "/slow-headers.mp3":  # the status line itself, a byte every 2 s
                for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx":
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(2)
                return None
            if path == "/bad-length.mp3":  # a Content-Length that is not a number
                return self._send(200, REAL_MP3.read_bytes(), {"Content-Length": "lots", "Connection": "close"})
            if path == "/huge.mp3":  # no declared length, more than the cap
                self.send_response(200)
                self.end_headers()
                for _ in range(64):
                    self.wfile.write(b"\0" * 65536)
                return None
            if path.startswith("/busy.mp3"):  # asks us to come back once, then serves
                if n == 1:
                    return self._send(503, b"busy", {"Retry-After": "1"})
                return self._send(200, REAL_MP3.read_bytes())
            return self._send(404, b"no")

        def log_message(self, *_):
            pass

    return Publisher


class Servers:
    """The forbidden counting server and the allowed publisher, each on its own loopback port."""

    def __init__(self):
        Counting.hits = []
        self.counting = ThreadingHTTPServer(("127.0.0.1", 0), Counting)
        self.forbidden = f"127.0.0.1:{self.counting.server_address[1]}"
        self.publisher = ThreadingHTTPServer(("127.0.0.1", 0), publisher(self.forbidden))
        self.publisher.daemon_threads = True
        self.allowed = f"127.0.0.1:{self.publisher.server_address[1]}"
        for server in (self.counting, self.publisher):
            threading.Thread(target=server.serve_forever, daemon=True).start()

    @property
    def hits(self) -> list[str]:
        return list(Counting.hits)

    def url(self, path: str) -> str:
        return f"http://{self.allowed}{path}"

    def close(self) -> None:
        for server in (self.counting, self.publisher):
            server.shutdown()
            server.server_close()
