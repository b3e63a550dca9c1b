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
