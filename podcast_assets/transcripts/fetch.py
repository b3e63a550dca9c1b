"""Fetching what a feed points at: episode audio (streamed, capped, atomic) and publisher transcripts."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

import requests

from podcast_assets.ingest.podcast_index import USER_AGENT


class AudioError(RuntimeError):
    """The episode's audio cannot be used; the message says why. Nothing partial is left behind."""


class TransientAudioError(AudioError):
    pass


def download(url: str, dest: Path, *, max_bytes: int, timeout: float = 30.0, retries: int = 3,
             backoff: float = 1.0) -> Path:
    """Stream ``url`` to a temporary file next to ``dest`` and rename it into place when complete."""
    scheme = urlparse(url).scheme.lower()
    if scheme not in ("http", "https"):
        raise AudioError(f"refusing audio URL with scheme {scheme or 'none'!r}: only http and https")
    dest.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(retries + 1):
        try:
            return _download_once(url, dest, max_bytes, timeout)
        except TransientAudioError:
            if attempt == retries:
                raise
            time.sleep(backoff * 2 ** attempt)
    raise AssertionError("unreachable")


def _download_once(url: str, dest: Path, max_bytes: int, timeout: float) -> Path:
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                resp = requests.get(url, stream=True, timeout=timeout, headers={"User-Agent": USER_AGENT})
            except (requests.ConnectionError, requests.Timeout) as exc:
                raise TransientAudioError(f"cannot reach {url}: {type(exc).__name__}") from exc
            with resp:
                if resp.status_code in (429, 500, 502, 503, 504):
                    raise TransientAudioError(f"{url} answered HTTP {resp.status_code}")
                if resp.status_code >= 400:
                    raise AudioError(f"dead audio URL {url}: HTTP {resp.status_code}")
                declared = int(resp.headers.get("Content-Length") or 0)
                if declared > max_bytes:
                    raise AudioError(f"audio at {url} is {declared} bytes, over the cap of {max_bytes}")
                size = 0
                try:
                    for block in resp.iter_content(1 << 16):
                        size += len(block)
                        if size > max_bytes:
                            raise AudioError(f"audio at {url} exceeds the cap of {max_bytes} bytes")
                        out.write(block)
                except (requests.ConnectionError, requests.Timeout) as exc:
                    raise TransientAudioError(f"download of {url} broke off: {type(exc).__name__}") from exc
        os.replace(tmp, dest)
        return dest
    finally:
        tmp.unlink(missing_ok=True)


def fetch_text(url: str, *, max_bytes: int, timeout: float = 15.0) -> str | None:
    """A publisher transcript as text, read up to ``max_bytes``; None when it cannot be had (not fatal:
    the episode is transcribed instead)."""
    if urlparse(url).scheme.lower() not in ("http", "https"):
        return None
    try:
        with requests.get(url, stream=True, timeout=timeout, headers={"User-Agent": USER_AGENT}) as resp:
            resp.raise_for_status()
            body = bytearray()
            for block in resp.iter_content(1 << 16):
                body += block
                if len(body) >= max_bytes:
                    break
            return bytes(body[:max_bytes]).decode(resp.encoding or "utf-8", errors="replace")
    except requests.RequestException:
        return None
