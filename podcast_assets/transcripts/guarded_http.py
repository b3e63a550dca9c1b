"""GET a URL that a feed controls, within an address policy, a total deadline and a byte cap.

Anyone can publish an RSS feed, so its URLs may point at this machine's own services, at a private
network, or at a server that drips bytes for hours. The rules, applied to the URL and to every
redirect (at most ``MAX_REDIRECTS``):
- http and https only;
- every address the host resolves to is checked, and loopback, private, link-local, multicast,
  reserved, unspecified and other non-public addresses are refused, unless the URL's ``host:port``
  is in the policy's allowlist (the local sample index, say);
- the connection goes to the address that was checked (no second DNS lookup, so a rebinding DNS
  answer cannot slip in between check and use); TLS still verifies the host name;
- one deadline for everything (retries, redirects, the body): a watchdog shuts the socket when it
  passes, so neither a read size nor a socket timeout lets a trickle outlive it;
- a byte cap, on the declared length and on what actually arrives.
Transient failures (connection errors, 429 and 5xx answers) are retried by urllib3's ``Retry``,
honouring ``Retry-After`` within the deadline. Error messages name the URL without its query string
(signed tokens) and never carry a refused server's answer.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit, urlunsplit

import urllib3
from urllib3.util import Retry, Timeout

from podcast_assets.ingest.podcast_index import USER_AGENT

MAX_REDIRECTS = 5
_KINDS = (("loopback", "is_loopback"), ("unspecified", "is_unspecified"), ("link-local", "is_link_local"),
          ("multicast", "is_multicast"), ("private", "is_private"), ("reserved", "is_reserved"))


class FetchError(RuntimeError):
    """The URL cannot be fetched; the message says why in one line."""


class TransientFetchError(FetchError):
    """Worth trying again later (the network, or a server that asked us to come back)."""


class Refused(FetchError):
    """The policy forbids the address, the scheme or the redirect: nothing was sent there."""


@dataclass(frozen=True)
class FetchPolicy:
    max_bytes: int
    deadline_s: float
    allowed: frozenset[str] = field(default_factory=frozenset)  # "host:port" that may be non-public
    any_address: bool = False  # a URL the user typed (the CLI), not one a feed gave us
    retries: int = 2


def redact(url: str) -> str:
    """The URL without credentials, query string or fragment (signed tokens live there)."""
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "…" if parts.query else "", ""))


def non_public(address: str) -> str | None:
    """What kind of non-public address this is (``None`` for a public one)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    kind = next((name for name, test in _KINDS if getattr(ip, test)), None)
    return kind or (None if ip.is_global else "non-public")


def checked_addresses(host: str, port: int, policy: FetchPolicy) -> list[str]:
    """The addresses ``host`` resolves to, every one allowed by the policy (else ``Refused``)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise TransientFetchError(f"cannot resolve {host}: {exc.strerror}") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if policy.any_address or f"{host.lower()}:{port}" in policy.allowed:
        return addresses
    for address in addresses:
        kind = non_public(address)
        if kind:
            raise Refused(f"{host} resolves to a {kind} address")
    return addresses


def _pool(scheme: str, host: str, address: str, port: int, timeout: Timeout):
    """A connection pool to ``address`` itself, speaking to ``host`` (Host header, SNI, certificate)."""
    if scheme == "https":
        import certifi

        return urllib3.HTTPSConnectionPool(address, port, timeout=timeout, maxsize=1, server_hostname=host,
                                           assert_hostname=host, cert_reqs="CERT_REQUIRED", ca_certs=certifi.where())
    return urllib3.HTTPConnectionPool(address, port, timeout=timeout, maxsize=1)


def _open(url: str, policy: FetchPolicy, deadline: float, hop: int):
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise Refused(f"scheme {scheme or 'none'!r} (only http and https)")
    port = parts.port or (443 if scheme == "https" else 80)
    try:
        address = checked_addresses(parts.hostname, port, policy)[0]
    except Refused as exc:
        raise Refused(f"redirect to {redact(url)}: {exc}" if hop else str(exc)) from None
    remaining = max(0.1, deadline - time.monotonic())
    retry = Retry(total=policy.retries, read=0, redirect=False, status_forcelist=(429, 500, 502, 503, 504),
                  backoff_factor=1.0, backoff_max=min(30.0, remaining), respect_retry_after_header=True,
                  retry_after_max=int(min(60.0, remaining)), raise_on_status=False)
    host_header = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
    path = urlunsplit(("", "", parts.path or "/", parts.query, ""))
    pool = _pool(scheme, parts.hostname, address, port, Timeout(connect=min(10.0, remaining), read=min(30.0, remaining)))
    try:
        return pool.urlopen("GET", path, headers={"Host": host_header, "User-Agent": USER_AGENT},
                            retries=retry, redirect=False, preload_content=False, release_conn=False)
    except urllib3.exceptions.MaxRetryError as exc:
        raise TransientFetchError(f"cannot reach {redact(url)}: {type(exc.reason).__name__}") from None
    except urllib3.exceptions.HTTPError as exc:
        raise TransientFetchError(f"cannot reach {redact(url)}: {type(exc).__name__}") from None


def _watchdog(resp, deadline: float) -> threading.Timer:
    """Shut the response's socket when the deadline passes, whatever a read is waiting for."""
    def shut() -> None:
        sock = getattr(resp.connection, "sock", None) if resp.connection else None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    timer = threading.Timer(max(0.0, deadline - time.monotonic()), shut)
    timer.daemon = True
    timer.start()
    return timer


def fetch(url: str, out, policy: FetchPolicy) -> int:
    """Write the body of ``url`` to the binary file ``out``; returns its size in bytes."""
    deadline = time.monotonic() + policy.deadline_s
    for hop in range(MAX_REDIRECTS + 1):
        resp = _open(url, policy, deadline, hop)
        try:
            if resp.status in (301, 302, 303, 307, 308) and resp.headers.get("Location"):
                url = urljoin(url, resp.headers["Location"])
                continue
            if resp.status in (429, 500, 502, 503, 504):
                raise TransientFetchError(f"{redact(url)} answered HTTP {resp.status}")
            if resp.status >= 400:
                raise FetchError(f"dead URL {redact(url)}: HTTP {resp.status}")
            return _body(resp, out, url, policy, deadline)
        finally:
            resp.release_conn()
            resp.close()
    raise Refused(f"more than {MAX_REDIRECTS} redirects from {redact(url)}")


def _body(resp, out, url: str, policy: FetchPolicy, deadline: float) -> int:
    declared = int(resp.headers.get("Content-Length") or 0)
    if declared > policy.max_bytes:
        raise FetchError(f"{redact(url)} is {declared} bytes, over the cap of {policy.max_bytes}")
    size, timer = 0, _watchdog(resp, deadline)
    try:
        while True:
            try:
                block = resp.read1(1 << 16)
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                if time.monotonic() >= deadline:
                    break
                raise TransientFetchError(f"download of {redact(url)} broke off: {type(exc).__name__}") from None
            if not block or time.monotonic() >= deadline:
                break
            size += len(block)
            if size > policy.max_bytes:
                raise FetchError(f"{redact(url)} exceeds the cap of {policy.max_bytes} bytes")
            out.write(block)
    finally:
        timer.cancel()
    if time.monotonic() >= deadline:
        raise FetchError(f"{redact(url)} took longer than the {policy.deadline_s:g} s deadline")
    return size
