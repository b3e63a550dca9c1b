"""From a WAV file to a Transcript: audio language check, then publisher transcript or Whisper."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from podcast_assets.core.models import whisper_model_path
from podcast_assets.core.transcribe import (
    LanguageDetector, Transcriber, Transcript, WhisperOptions, clean_spacing, load_audio)
from podcast_assets.core.transcript_formats import parse_transcript


class NotEnglishAudio(Exception):
    def __init__(self, language: str, probability: float):
        super().__init__(f"audio language is {language!r} (p={probability:.2f}), not English")
        self.language, self.probability = language, probability


@dataclass(frozen=True)
class TranscriptionConfig:
    model: str = "tiny.en"
    language_model: str = "base"
    compute_type: str = "int8"
    beam_size: int = 5
    chunk_minutes: float = 6.0
    workers: int = 0
    min_english_probability: float = 0.5
    cache_dir: str = "./data/models"


class TranscriptionService:
    def __init__(self, config: TranscriptionConfig):
        self.config = config
        cache = Path(config.cache_dir)
        self.model_path = whisper_model_path(config.model, cache)
        self._transcriber: Transcriber | None = None
        self._detector = LanguageDetector(whisper_model_path(config.language_model, cache), config.compute_type)

    @property
    def transcriber(self) -> Transcriber:
        if self._transcriber is None:
            c = self.config
            self._transcriber = Transcriber(WhisperOptions(
                self.model_path, compute_type=c.compute_type, beam_size=c.beam_size,
                chunk_sec=c.chunk_minutes * 60, workers=c.workers), model_name=c.model)
        return self._transcriber

    def transcribe(self, wav: Path, publisher: tuple[str, str] | None = None, progress=None) -> Transcript:
        """Raises NotEnglishAudio for audio in another language (nothing is transcribed then)."""
        audio = load_audio(wav)
        duration = round(len(audio) / 16000, 2)
        language, probability = self._detector.detect(audio)
        if language != "en" or probability < self.config.min_english_probability:
            raise NotEnglishAudio(language, probability)
        if publisher:
            from podcast_assets.core.transcript_formats import TranscriptFormatError

            text, kind = publisher
            try:
                segments = parse_transcript(text, kind)
                return Transcript(clean_spacing(" ".join(s.text for s in segments)), segments, language,
                                  probability, duration, model=f"publisher:{kind}", source="publisher")
            except TranscriptFormatError as exc:
                if progress:
                    progress(f"publisher transcript unusable ({exc}); transcribing instead")
        text, segments = self.transcriber.transcribe(audio, progress=progress)
        return Transcript(text, segments, language, probability, duration, model=self.config.model)

    def close(self) -> None:
        if self._transcriber is not None:
            self._transcriber.close()
