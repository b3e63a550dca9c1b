"""An episode's chapters (``podcast:chapters``, the Podcasting 2.0 JSON chapters format), checked. Pure.

The file is the publisher's, so it is read as untrusted: JSON only, within a size cap and a nesting depth
(``untrusted_json.py``), finite non-negative numbers where times go, inside the episode, titles as short text,
at most ``MAX_CHAPTERS``; anything else is a one-line reason and the episode goes on without.
"""

from __future__ import annotations

import math

from podcast_assets.transcripts.untrusted_json import loads

MAX_CHAPTERS = 1000
MAX_TITLE = 200


def _time(value, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{what} is not a time in seconds: {str(value)[:40]!r}")
    return float(value)


def parse_chapters(text: str, duration: float | None = None) -> list[dict]:
    """``start``, ``end`` (None if the file does not say) and ``title`` of each chapter, in time order; with
    ``duration``, every time lies inside the episode. Raises ``ValueError`` with the reason."""
    doc = loads(text, "chapters file")
    chapters = doc.get("chapters") if isinstance(doc, dict) else None
    if not isinstance(chapters, list):
        raise ValueError("chapters file has no \"chapters\" list")
    if len(chapters) > MAX_CHAPTERS:
        raise ValueError(f"chapters file lists {len(chapters)} chapters, over {MAX_CHAPTERS}")
    out = []
    for i, c in enumerate(chapters):
        if not isinstance(c, dict):
            raise ValueError(f"chapter {i + 1} is not an object")
        if c.get("toc") is False:  # the spec's hidden chapters: not part of the table of contents
            continue
        start = _time(c.get("startTime"), f"chapter {i + 1}'s startTime")
        end = _time(c["endTime"], f"chapter {i + 1}'s endTime") if c.get("endTime") is not None else None
        if end is not None and end < start:
            raise ValueError(f"chapter {i + 1} ends before it starts")
        if duration is not None and start > duration:
            raise ValueError(f"chapter {i + 1} starts past the end of the {duration:.0f} s episode")
        if duration is not None and end is not None:  # a publisher's end may overrun the audio a little: cut to it
            end = min(end, duration)
        title = " ".join(str(c.get("title") or "").split())[:MAX_TITLE]
        out.append({"start": start, "end": end, "title": title})
    return sorted(out, key=lambda c: c["start"])
