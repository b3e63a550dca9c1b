"""Transcript formats: read publisher transcripts (WebVTT, SRT, Podcasting 2.0 JSON), write our own."""

from __future__ import annotations

import json
import math
import re

from podcast_assets.transcripts.segments import Segment, clean_spacing
from podcast_assets.transcripts.untrusted_json import loads

_TIME = re.compile(r"(?:(\d+):)?(\d{1,2}):(\d{2})[.,](\d{1,3})")


class TranscriptFormatError(ValueError):
    pass


def _seconds(stamp: str) -> float:
    m = _TIME.fullmatch(stamp.strip().split(" ")[0])
    if not m:
        raise TranscriptFormatError(f"bad timestamp {stamp!r}")
    h, mnt, s, frac = m.groups()
    return int(h or 0) * 3600 + int(mnt) * 60 + int(s) + int(frac.ljust(3, "0")) / 1000


def parse_cues(text: str) -> list[Segment]:
    """WebVTT and SRT share the cue shape: ``start --> end`` then text lines until a blank line."""
    segments: list[Segment] = []
    for block in re.split(r"\r?\n\s*\r?\n", text.replace("\ufeff", "")):
        lines = [ln for ln in block.strip().splitlines() if ln.strip()]
        arrow = next((i for i, ln in enumerate(lines) if "-->" in ln), None)
        if arrow is None:
            continue
        start, end = lines[arrow].split("-->")
        body = clean_spacing(" ".join(re.sub(r"<[^>]+>", "", ln) for ln in lines[arrow + 1:]))
        if body:
            segments.append(Segment(_seconds(start), _seconds(end), body))
    if not segments:
        raise TranscriptFormatError("no cues found")
    return segments


def parse_podcast_json(text: str) -> list[Segment]:
    try:
        data = loads(text, "transcript file")
        segments = [Segment(float(s["startTime"]), float(s.get("endTime", s["startTime"])), clean_spacing(s["body"]))
                    for s in data["segments"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise TranscriptFormatError(f"not a Podcasting 2.0 JSON transcript: {exc}") from exc
    return [s for s in segments if s.text]


def parse_transcript(text: str, kind: str) -> list[Segment]:
    if kind == "application/json":
        return parse_podcast_json(text)
    return parse_cues(text)


SLACK_S = 2.0  # a publisher's times may run a little past the audio we decoded


def check_times(segments: list[Segment], duration: float) -> list[Segment]:
    """A publisher's segments when their times are sound (finite, non-negative, each ending after it starts, in
    order, inside the episode's ``duration``); else ``TranscriptFormatError`` naming the first that is not."""
    last = 0.0
    for i, s in enumerate(segments, 1):
        if not (math.isfinite(s.start) and math.isfinite(s.end)) or s.start < 0 or s.end < s.start:
            raise TranscriptFormatError(f"segment {i} has unusable times ({s.start!r} to {s.end!r})")
        if s.start < last:
            raise TranscriptFormatError(f"segment {i} starts before the one ahead of it")
        if s.end > duration + SLACK_S:
            raise TranscriptFormatError(f"segment {i} ends past the {duration:.0f} s of audio")
        last = s.start
    return segments


def _stamp(t: float) -> str:
    ms = int(round(t * 1000))
    return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def _lines(text: str, width: int = 65) -> list[str]:
    out, cur = [], ""
    for word in text.split():
        if cur and len(cur) + 1 + len(word) > width:
            out.append(cur)
            cur = word
        else:
            cur = f"{cur} {word}".strip()
    return out + ([cur] if cur else [])


def to_vtt(segments: list[Segment]) -> str:
    """WebVTT with lines of at most ~65 characters, two lines per cue at most."""
    out = ["WEBVTT", ""]
    for s in segments:
        lines = _lines(s.text)
        groups = [lines[i:i + 2] for i in range(0, len(lines), 2)] or [[""]]
        span = (s.end - s.start) / len(groups)
        for i, g in enumerate(groups):
            out += [f"{_stamp(s.start + i * span)} --> {_stamp(s.start + (i + 1) * span)}", *g, ""]
    return "\n".join(out)


def to_podcast_json(segments: list[Segment]) -> str:
    return json.dumps({"version": "1.0.0", "segments": [
        {"startTime": round(s.start, 3), "endTime": round(s.end, 3), "body": s.text} for s in segments]}, indent=1)
