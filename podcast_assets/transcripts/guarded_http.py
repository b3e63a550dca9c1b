"""GET a URL that a feed controls: within the address policy, one total deadline and a byte cap.

- http and https only; the host and every redirect (at most ``MAX_REDIRECTS``) go through the address
  policy (``address_policy.py``);
- the connection goes to an address that was checked (no second DNS lookup, so a rebinding DNS answer
  cannot slip in between check and use); TLS still verifies the host name;
- one deadline for everything: connecting, the TLS handshake, headers, retries, redirects and the
  body. A watchdog shuts whichever socket is open when it passes, and no connection is opened after
  it, so neither a read size nor a socket timeout lets a trickle outlive it;
- a byte cap, on the declared length and on what actually arrives.
Transient failures (connection errors, 429 and 5xx answers) are retried by urllib3's ``Retry``,
honouring ``Retry-After`` within the deadline. Messages name the URL without its query string and
never carry a refused server's answer.
"""

from __future__ import annotations

import base64
import logging
import socket
import threading
import time
from urllib.parse import unquote, urljoin, urlunsplit

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.util import Retry, Timeout

from podcast_assets.ingest.podcast_index import USER_AGENT
from podcast_assets.transcripts.address_policy import (
    FetchError,
    FetchPolicy,
    Refused,
    TransientFetchError,
    checked_addresses,
    redact,
    target,
)

MAX_REDIRECTS = 5
TRANSIENT = (429, 500, 502, 503, 504)
__all__ = ["FetchError", "FetchPolicy", "NotModified", "Refused", "TransientFetchError", "fetch", "redact"]


class NotModified(Exception):  # an answer, not a failure
    """The server answered 304 to a conditional GET: what we hold is current (nothing was written)."""


class Deadline:
    """The fetch's one deadline: shuts the open socket when it passes, and refuses new connections."""

    def __init__(self, seconds: float):
        self.at, self.sock, self.lock = time.monotonic() + seconds, None, threading.Lock()
        self.timer = threading.Timer(seconds, self._shut)
        self.timer.daemon = True
        self.timer.start()

    def left(self) -> float:
        return max(0.0, self.at - time.monotonic())

    def register(self, sock) -> None:
        with self.lock:
            self.sock = sock
        if not self.left():
            self._shut()

    def _shut(self) -> None:
        with self.lock:
            sock = self.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _seconds(value: float) -> str:
    """A deadline as a person reads it: 4, 1.5, 600 (what is left of one after earlier tries, 3.99999, says 4)."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _connection_class(base, deadline: Deadline):
    def _new_conn(self):
        if not deadline.left():
            raise urllib3.exceptions.ConnectTimeoutError(self, "the download deadline has passed")
        sock = base._new_conn(self)
        deadline.register(sock)  # the raw socket: shutting it also ends a TLS handshake in progress
        return sock

    return type(f"Deadline{base.__name__}", (base,), {"_new_conn": _new_conn})


class DeadlineRetry(Retry):
    """urllib3's retries, whose waits (backoff, ``Retry-After``) never reach past the deadline."""

    deadline: Deadline | None = None

    def new(self, **kw) -> DeadlineRetry:
        retry = super().new(**kw)
        retry.deadline = self.deadline
        return retry

    def get_backoff_time(self) -> float:
        return min(super().get_backoff_time(), self.deadline.left() if self.deadline else 0.0)

    def get_retry_after(self, response) -> float | None:
        after = super().get_retry_after(response)
        return None if after is None else min(after, self.deadline.left() if self.deadline else 0.0)


def _open(url: str, policy: FetchPolicy, deadline: Deadline, hop: int, extra: dict | None = None):
    """The response to GET ``url`` from the first checked address that answers, and its pool."""
    parts, scheme, host, port = target(url, policy)
    try:
        addresses = checked_addresses(host, port, policy)
    except Refused as exc:
        raise Refused(f"redirect to {policy.name(url)}: {exc}" if hop else str(exc)) from None
    named = f"[{host}]" if ":" in host else host
    headers = {**(extra or {}), "Host": named if parts.port is None else f"{named}:{port}", "User-Agent": USER_AGENT}
    if parts.username is not None:  # a private feed's user:password@ (sent only to the host its URL names)
        pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
    path = urlunsplit(("", "", parts.path or "/", parts.query, ""))
    failure = None
    for address in addresses:
        if not deadline.left():
            break
        timeout = Timeout(connect=min(10.0, deadline.left()), read=min(30.0, deadline.left()))
        retry = DeadlineRetry(total=policy.retries, read=0, redirect=False, status_forcelist=TRANSIENT,
                              backoff_factor=1.0, respect_retry_after_header=True, raise_on_status=False)
        retry.deadline = deadline
        kw = {"timeout": timeout, "maxsize": 1, "retries": retry}
        if scheme == "https":
            import certifi

            pool = urllib3.HTTPSConnectionPool(address, port, server_hostname=host, assert_hostname=host,
                                               cert_reqs="CERT_REQUIRED", ca_certs=certifi.where(), **kw)
            pool.ConnectionCls = _connection_class(HTTPSConnection, deadline)
        else:
            pool = urllib3.HTTPConnectionPool(address, port, **kw)
            pool.ConnectionCls = _connection_class(HTTPConnection, deadline)
        try:
            return pool.urlopen("GET", path, headers=headers, redirect=False, preload_content=False,
                                release_conn=False), pool
        except urllib3.exceptions.HTTPError as exc:
            pool.close()
            failure = type(getattr(exc, "reason", None) or exc).__name__
    if not deadline.left():
        raise FetchError(f"{policy.name(url)} took longer than the {_seconds(policy.deadline_s)} s deadline")
    raise TransientFetchError(f"cannot reach {policy.name(url)}: {failure}")


def fetch(url: str, out, policy: FetchPolicy, headers: dict | None = None, answered: dict | None = None) -> int:
    """Write the body of ``url`` to the binary file ``out``; returns its size in bytes. ``headers`` are sent
    with every hop (``If-None-Match``, say); ``answered`` receives the final answer's headers. A 304 raises
    ``NotModified``."""
    # urllib3 warns of each retry with the request's path and query: a signed or private URL's token
    logging.getLogger("urllib3.connectionpool").setLevel(logging.ERROR)
    deadline = Deadline(policy.deadline_s)
    try:
        for hop in range(MAX_REDIRECTS + 1):
            resp, pool = _open(url, policy, deadline, hop, headers)
            try:
                if resp.status in (301, 302, 303, 307, 308) and resp.headers.get("Location"):
                    url = urljoin(url, resp.headers["Location"])
                    continue
                if answered is not None:
                    answered.clear()
                    answered.update({k.lower(): v for k, v in resp.headers.items()})
                if resp.status == 304:
                    raise NotModified(policy.name(url))
                if resp.status in TRANSIENT:
                    raise TransientFetchError(f"{policy.name(url)} answered HTTP {resp.status}")
                if resp.status >= 400:
                    raise FetchError(f"dead URL {policy.name(url)}: HTTP {resp.status}")
                return _body(resp, out, url, policy, deadline)
            finally:
                resp.close()
                pool.close()
        raise Refused(f"more than {MAX_REDIRECTS} redirects from {policy.name(url)}")
    finally:
        deadline.timer.cancel()


def _body(resp, out, url: str, policy: FetchPolicy, deadline: Deadline) -> int:
    try:
        declared = int(resp.headers.get("Content-Length") or 0)
    except ValueError:
        declared = 0  # unusable: the bytes that arrive are counted anyway
    if declared > policy.max_bytes:
        raise FetchError(f"{policy.name(url)} is {declared} bytes, over the cap of {policy.max_bytes}")
    size = 0
    while deadline.left():
        try:
            block = resp.read1(1 << 16)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            if not deadline.left():
                break
            raise TransientFetchError(f"download of {policy.name(url)} broke off: {type(exc).__name__}") from None
        if not block:
            if not deadline.left():  # the watchdog closed the socket: the body is cut short
                break
            return size
        size += len(block)
        if size > policy.max_bytes:
            raise FetchError(f"{policy.name(url)} exceeds the cap of {policy.max_bytes} bytes")
        out.write(block)
    raise FetchError(f"{policy.name(url)} took longer than the {_seconds(policy.deadline_s)} s deadline")
