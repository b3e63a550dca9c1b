"""Which addresses a feed URL may reach, and how a URL is named in messages.

Anyone can publish an RSS feed, so its URLs may point at this machine's own services or a private
network. Every address a host resolves to is checked: loopback, unspecified, link-local, multicast,
private, reserved and any other non-global address (6to4 and mapped IPv4 included) is refused unless
the URL's ``host:port`` is in the policy's allowlist (the local sample index, say).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

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
    private: bool = False  # a private feed's URL: messages name its host only (its path may be a token)

    def name(self, url: str) -> str:
        """How a message names ``url`` under this policy."""
        return redact(url, self.private)


def redact(url: str, private: bool = False) -> str:
    """The URL without credentials, query string or fragment (signed tokens live there); ``private``: its host
    only (a private feed's path may be its token)."""
    try:
        parts = urlsplit(url)
        netloc = parts.hostname or ""
        if ":" in netloc:
            netloc = f"[{netloc}]"
        if parts.port:
            netloc += f":{parts.port}"
    except ValueError:
        return "a malformed URL"
    if private:
        return urlunsplit((parts.scheme, netloc, "/…", "", "")) + " (private)"
    return urlunsplit((parts.scheme, netloc, parts.path, "…" if parts.query else "", ""))


def non_public(address: str) -> str | None:
    """What kind of non-public address this is (``None`` for a public one)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6 and (ip.ipv4_mapped or ip.sixtofour):
        ip = ip.ipv4_mapped or ip.sixtofour
    kind = next((name for name, test in _KINDS if getattr(ip, test)), None)
    return kind or (None if ip.is_global else "non-public")


def checked_addresses(host: str, port: int, policy: FetchPolicy) -> list[str]:
    """The addresses ``host`` resolves to, every one allowed by the policy (else ``Refused``)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise TransientFetchError(f"cannot resolve {host}: {exc.strerror}") from None
    except (UnicodeError, ValueError):
        raise FetchError(f"malformed host name {host[:80]!r}") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if policy.any_address or f"{host.lower()}:{port}" in policy.allowed:
        return addresses
    for address in addresses:
        kind = non_public(address)
        if kind:
            raise Refused(f"{host} resolves to a {kind} address")
    return addresses


def target(url: str, policy: FetchPolicy) -> tuple:
    """The URL's parts, scheme, host (IDNA) and port; ``FetchError`` when it does not parse, ``Refused`` for a
    scheme other than http and https."""
    try:
        parts = urlsplit(url)
        scheme, port = parts.scheme.lower(), parts.port
        host = (parts.hostname or "").encode("idna").decode("ascii")
    except (ValueError, UnicodeError):
        raise FetchError(f"malformed URL {policy.name(url)}") from None
    if scheme not in ("http", "https") or not host:
        raise Refused(f"scheme {scheme or 'none'!r} (only http and https)")
    return parts, scheme, host, port or (443 if scheme == "https" else 80)


def address_problem(url: str, policy: FetchPolicy) -> str:
    """Why the policy would not fetch ``url`` now (its scheme, or what its host resolves to), or ``""``."""
    try:
        checked_addresses(*target(url, policy)[2:], policy)
    except FetchError as exc:
        return str(exc)
    return ""
