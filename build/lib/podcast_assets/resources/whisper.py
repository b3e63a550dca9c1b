"""The transcription models as a resource: bundled faster-whisper models, int8 on the CPU."""

from __future__ import annotations

import dataclasses

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
        # the resource's fields are exactly the plain config's, so Dagster can show and set them
        return TranscriptionService(TranscriptionConfig(
            **{f.name: getattr(self, f.name) for f in dataclasses.fields(TranscriptionConfig)}))
