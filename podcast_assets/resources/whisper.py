"""The transcription models as a resource: bundled faster-whisper models, int8 on the CPU."""

from __future__ import annotations

import dagster as dg

from podcast_assets.core.transcription import TranscriptionConfig, TranscriptionService


class WhisperResource(dg.ConfigurableResource):
    model: str = "tiny.en"
    language_model: str = "base"
    compute_type: str = "int8"
    beam_size: int = 5
    chunk_minutes: float = 6.0
    workers: int = 0
    min_english_probability: float = 0.5
    cache_dir: str

    def service(self) -> TranscriptionService:
        return TranscriptionService(TranscriptionConfig(
            model=self.model, language_model=self.language_model, compute_type=self.compute_type,
            beam_size=self.beam_size, chunk_minutes=self.chunk_minutes, workers=self.workers,
            min_english_probability=self.min_english_probability, cache_dir=self.cache_dir))
