"""What a feed points at: episode audio (capped, within a deadline, atomic) and publisher transcripts.

Both go through the guarded fetcher (``guarded_http.py``): the feed controls these URLs.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

from podcast_assets.transcripts.guarded_http import (
    FetchError,
    FetchPolicy,
    Refused,
    TransientFetchError,
    fetch,
    redact,
)


class AudioError(RuntimeError):
    """The episode's audio cannot be used; the message says why. Nothing partial is left behind."""


class TransientAudioError(AudioError):
    pass


def download(url: str, dest: Path, policy: FetchPolicy) -> Path:
    """``url`` streamed to a temporary file next to ``dest``, renamed into place when complete."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            fetch(url, out, policy)
        os.replace(tmp, dest)
        return dest
    except Refused as exc:
        raise AudioError(f"refused: {exc}") from None
    except TransientFetchError as exc:
        raise TransientAudioError(str(exc)) from None
    except FetchError as exc:
        raise AudioError(str(exc).replace("dead URL", "dead audio URL", 1)) from None
    finally:
        tmp.unlink(missing_ok=True)


def fetch_text(url: str, policy: FetchPolicy) -> tuple[str | None, str]:
    """A publisher transcript as text, or None and the reason it cannot be had (not fatal: the episode
    is transcribed instead). A body over the cap is refused, not truncated into broken JSON or VTT."""
    body = io.BytesIO()
    try:
        fetch(url, body, policy)
    except Refused as exc:
        return None, f"refused: {exc}"
    except FetchError as exc:
        return None, str(exc)
    return body.getvalue().decode("utf-8", errors="replace"), ""


__all__ = ["AudioError", "TransientAudioError", "download", "fetch_text", "redact"]
