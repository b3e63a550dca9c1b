"""An episode's publisher files (its transcript, its chapters), fetched through the guarded fetcher; a private feed's
reference is resolved first, in this process. A file that cannot be had or read is dropped for that episode with
one line, and never fails it or another episode. Plain functions: the fetch and the resolution are callables."""

from __future__ import annotations

from podcast_assets.ingest.private import is_ref
from podcast_assets.transcripts.address_policy import FetchError, TransientFetchError
from podcast_assets.transcripts.chapters import parse_chapters


def resolved(url: str, resolve) -> tuple[str | None, str, bool]:
    """``url``, or what a private feed's reference stands for (its feed read again, here): the URL, or None, why
    and whether it is worth trying again (the feed could not be reached)."""
    try:
        return resolve(url), "", False
    except LookupError as exc:  # the feed left the list, or no longer lists the episode
        return None, str(exc), False
    except (FetchError, ValueError) as exc:  # the feed cannot be fetched now, or is refused (FeedRefused)
        return None, f"cannot read its private feed: {exc}", isinstance(exc, TransientFetchError)


def fetch_file(url: str, fetch_text, resolve) -> tuple[str | None, str]:
    """The file's text, or None and why. ``fetch_text(url, private=)``: the guarded GET within the caps."""
    real, why, _ = resolved(url, resolve)
    return fetch_text(real, private=is_ref(url)) if real is not None else (None, why)


def publisher_transcript(ep: dict, fetch_text, resolve) -> tuple[tuple[str, str] | None, str]:
    """The publisher's transcript as (text, type), or None and why (``""``: the episode offers none)."""
    if not ep.get("transcript_url"):
        return None, ""
    text, why = fetch_file(ep["transcript_url"], fetch_text, resolve)
    return ((text, ep.get("transcript_type") or ""), "") if text is not None else (None, why)


def publisher_chapters(ep: dict, fetch_text, resolve, duration: float) -> tuple[list[dict], str]:
    """The publisher's chapters (``podcast:chapters``) checked against the episode's ``duration``, or none and why."""
    if not ep.get("chapters_url"):
        return [], ""
    text, why = fetch_file(ep["chapters_url"], fetch_text, resolve)
    if text is None:
        return [], why
    try:
        return parse_chapters(text, duration), ""
    except ValueError as exc:
        return [], str(exc)
    except Exception as exc:  # whatever else a hostile file provokes is the file's fault, not the episode's
        return [], f"chapters file unreadable ({type(exc).__name__})"
