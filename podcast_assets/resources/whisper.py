"""The transcription models as a resource: bundled faster-whisper models, int8 on the CPU."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from podcast_assets.resources.bundled_models import transcription_pipeline
from podcast_assets.settings import DEFAULTS as D
from podcast_assets.transcripts.pipeline import TranscriptionPipeline
from podcast_assets.transcripts.whisper import thread_share


class WhisperResource(dg.ConfigurableResource):
    model: str = D.WHISPER_MODEL
    language_model: str = D.LANGUAGE_MODEL
    compute_type: str = D.WHISPER_COMPUTE_TYPE
    beam_size: int = D.WHISPER_BEAM_SIZE
    batch_size: int = D.WHISPER_BATCH_SIZE
    threads: int = D.WHISPER_THREADS  # 0 = available cores / transcription_runs (all of them when alone)
    transcription_runs: int = D.TRANSCRIPTION_RUNS  # runs that may transcribe at once on this machine
    episodes_per_run: int = D.TRANSCRIBE_BATCH  # pending episodes one run takes (models loaded once)
    min_english_probability: float = D.MIN_ENGLISH_PROBABILITY
    use_publisher_transcript: bool = D.USE_PUBLISHER_TRANSCRIPT
    cache_dir: str  # where the multilingual model is assembled from its two bundled parts

    def thread_count(self, alone: bool = False) -> int:
        """Threads per run: the runs the queue lets transcribe together share the cores, none oversubscribed."""
        return thread_share(self.threads, self.transcription_runs, alone)

    def pipeline(self, alone: bool = False) -> TranscriptionPipeline:
        """``alone``: the only transcription on the machine (the CLI), so all cores are its own."""
        return transcription_pipeline(self.model, self.language_model, Path(self.cache_dir), self.compute_type,
                                      self.beam_size, self.batch_size, self.thread_count(alone),
                                      self.min_english_probability)
