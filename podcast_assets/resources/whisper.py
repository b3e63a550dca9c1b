"""The transcription models as a resource: bundled faster-whisper models, int8 on the CPU."""

from __future__ import annotations

import dagster as dg

from podcast_assets.resources.bundled_models import whisper_model_path
from podcast_assets.settings import DEFAULTS as D
from podcast_assets.transcripts.pipeline import TranscriptionPipeline
from podcast_assets.transcripts.whisper import WhisperOptions


class WhisperResource(dg.ConfigurableResource):
    model: str = D.WHISPER_MODEL
    language_model: str = D.LANGUAGE_MODEL
    compute_type: str = D.WHISPER_COMPUTE_TYPE
    beam_size: int = D.WHISPER_BEAM_SIZE
    chunk_minutes: float = D.CHUNK_MINUTES
    workers: int = D.TRANSCRIBE_WORKERS  # 0 = one per core
    min_english_probability: float = D.MIN_ENGLISH_PROBABILITY
    use_publisher_transcript: bool = D.USE_PUBLISHER_TRANSCRIPT
    cache_dir: str  # where the multilingual model is assembled from its two bundled parts

    def pipeline(self) -> TranscriptionPipeline:
        from pathlib import Path

        cache = Path(self.cache_dir)
        options = WhisperOptions(whisper_model_path(self.model, cache), compute_type=self.compute_type,
                                 beam_size=self.beam_size, chunk_sec=self.chunk_minutes * 60, workers=self.workers)
        return TranscriptionPipeline(options, whisper_model_path(self.language_model, cache), self.model,
                                     self.compute_type, self.min_english_probability)
