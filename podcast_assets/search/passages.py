"""A transcript cut into passages that follow its segment times: consecutive segments grouped into about
``min_sec``..``max_sec`` seconds of speech, never splitting a segment. A passage is what search returns: a
place in an episode to jump to, long enough to carry a topic, short enough to point at the moment."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from podcast_assets.transcripts.segments import clean_spacing

MIN_SEC, MAX_SEC = 30.0, 60.0


@dataclass(frozen=True)
class Passage:
    start: float
    end: float
    text: str
    # where each segment starts, in seconds and in ``text``: a match inside the passage is timed to its segment
    segment_starts: tuple[float, ...] = ()
    segment_offsets: tuple[int, ...] = ()


def _passage(segments: list[dict]) -> Passage:
    texts = [clean_spacing(str(s["text"])) for s in segments]
    offsets = [sum(len(t) + 1 for t in texts[:i]) for i in range(len(texts))]
    return Passage(float(segments[0]["start"]), float(segments[-1]["end"]), " ".join(texts),
                   tuple(float(s["start"]) for s in segments), tuple(offsets))


def moment(text: str, segment_starts, segment_offsets, part: str) -> float | None:
    """When ``part`` of a passage's text is said: the start of the segment it begins in (None if absent)."""
    at = text.find(part)
    if at < 0 or not len(segment_starts):
        return None
    return float(next(start for start, offset in zip(reversed(list(segment_starts)), reversed(list(segment_offsets)))
                      if offset <= at))


def cut(segments: list[dict], min_sec: float = MIN_SEC, max_sec: float = MAX_SEC, overlap: bool = True) -> list[Passage]:
    """A passage closes once it holds ``min_sec`` of speech, or before a segment that would take it past
    ``max_sec`` (a single longer segment is a passage of its own). A short tail joins the passage before it
    when the two fit in ``max_sec``: an episode of 30 s is one passage. With ``overlap``, the next passage
    starts at the segment that holds the middle of the one before (never at the same segment), so a moment
    that straddles two passages is also whole in a third: the passages step by up to half their length.
    (Whisper's segments from the batched pipeline are up to 30 s long: without overlap a long episode's
    passages would be one or two segments side by side, and an answer could fall across the cut.)"""
    said = [s for s in segments if str(s.get("text", "")).strip()]
    groups: list[tuple[int, int]] = []  # [first, last) segment of each passage
    first = 0
    while first < len(said):
        last = first
        while last < len(said):
            if last > first and float(said[last]["end"]) - float(said[first]["start"]) > max_sec:
                break
            last += 1
            if float(said[last - 1]["end"]) - float(said[first]["start"]) >= min_sec:
                break
        if groups and last <= groups[-1][1]:  # nothing the passage before did not hold: go on from its end
            first = groups[-1][1]
            continue
        if last == len(said) and groups and float(said[-1]["end"]) - float(said[groups[-1][0]]["start"]) <= max_sec:
            groups[-1] = (groups[-1][0], last)  # a short tail joins the passage before
            break
        groups.append((first, last))
        if last == len(said):
            break
        middle = (float(said[first]["start"]) + float(said[last - 1]["end"])) / 2
        step = next((i for i in range(first + 1, last) if float(said[i]["end"]) > middle), last)
        first = step if overlap else last
    return [_passage(said[a:b]) for a, b in groups]


def mmss(seconds: float) -> str:
    """A start time as listeners read it: ``m:ss``, or ``h:mm:ss`` past the hour."""
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60:d}:{rest % 60:02d}"


def pending(transcripts: pd.DataFrame, passages: pd.DataFrame, model: str) -> tuple[list[str], list[str]]:
    """Episodes to cut and embed (transcribed, with no passages of ``model`` from their current transcript) and
    episodes whose passages must go (no longer transcribed)."""
    done = transcripts[transcripts["status"] == "transcribed"]
    have = passages[passages["model"] == model].groupby("episode_id")["transcript_created_at"].max()
    held = done["episode_id"].map(have)
    todo = done[held.isna() | (pd.to_datetime(done["created_at"], utc=True) > pd.to_datetime(held, utc=True))]
    gone = sorted(set(passages["episode_id"]) - set(done["episode_id"]))
    return todo["episode_id"].tolist(), gone
