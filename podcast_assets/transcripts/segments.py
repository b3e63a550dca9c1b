"""What a transcript is made of: timed segments, the whole text, and the audio it came from."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

SAMPLE_RATE = 16_000  # every decode in this stage is mono 16 kHz, what Whisper expects


@dataclass
class Segment:
    start: float
    end: float
    text: str


@dataclass
class Transcript:
    text: str
    segments: list[Segment]
    language: str
    language_probability: float
    duration: float
    model: str
    source: str = "whisper"

    def as_dict(self) -> dict:
        return {"language": self.language, "language_probability": self.language_probability,
                "duration": self.duration, "text": self.text, "segments": [asdict(s) for s in self.segments]}


def clean_spacing(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return re.sub(r"\s+([,.;:!?])", r"\1", text)


def short_pieces(segments: list[Segment], ratio: float, min_sec: float = 8.0) -> list[int]:
    """The pieces (one segment each) that Whisper decoded only in part: fewer words than ``ratio`` times the
    recording's median words per second over their length. Without timestamp tokens a piece's decode can end
    early, its last sentences never said (``bench/make_speech.py``'s long recordings show it)."""
    rates = sorted(len(s.text.split()) / (s.end - s.start) for s in segments if s.end - s.start >= min_sec)
    if not rates:
        return []
    median = rates[len(rates) // 2]
    return [i for i, s in enumerate(segments)
            if s.end - s.start >= min_sec and len(s.text.split()) < ratio * median * (s.end - s.start)]
