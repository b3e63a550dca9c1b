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


def _passage(segments: list[dict]) -> Passage:
    return Passage(float(segments[0]["start"]), float(segments[-1]["end"]),
                   clean_spacing(" ".join(str(s["text"]) for s in segments)))


def cut(segments: list[dict], min_sec: float = MIN_SEC, max_sec: float = MAX_SEC) -> list[Passage]:
    """A passage closes once it holds ``min_sec`` of speech, or before a segment that would take it past
    ``max_sec`` (a single longer segment is a passage of its own). A short tail joins the passage before it
    when the two fit in ``max_sec``: an episode of 30 s is one passage."""
    groups: list[list[dict]] = []
    current: list[dict] = []
    for segment in (s for s in segments if str(s.get("text", "")).strip()):
        if current and float(segment["end"]) - float(current[0]["start"]) > max_sec:
            groups.append(current)
            current = []
        current.append(segment)
        if float(current[-1]["end"]) - float(current[0]["start"]) >= min_sec:
            groups.append(current)
            current = []
    if current:
        if groups and float(current[-1]["end"]) - float(groups[-1][0]["start"]) <= max_sec:
            groups[-1] = groups[-1] + current
        else:
            groups.append(current)
    return [_passage(g) for g in groups]


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
