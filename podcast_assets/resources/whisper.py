"""The transcription models as a resource: bundled faster-whisper models, int8 on the CPU."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import dagster as dg

from podcast_assets.resources.bundled_models import transcription_pipeline
from podcast_assets.settings import DEFAULTS as D
from podcast_assets.transcripts.pipeline import TranscriptionPipeline
from podcast_assets.transcripts.whisper import thread_share

# this process's pipelines, by their settings, and the run that made each: a process that runs step after step (a
# celery worker, runs/workers.py) loads its models once; a run worker ends with its run, and the models with it
_KEPT: dict[tuple, tuple[TranscriptionPipeline, str]] = {}


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

    def kept_pipeline(self, run_id: str) -> tuple[TranscriptionPipeline, dict]:
        """This process's pipeline for these settings, made by the first step that asks and kept for the next; and
        where it lives: the process, and the run whose step made it (its models load on first use)."""
        key = (self.model, self.language_model, self.cache_dir, self.compute_type, self.beam_size, self.batch_size,
               self.thread_count(), self.min_english_probability)
        if key not in _KEPT:
            _KEPT[key] = (self.pipeline(), run_id)
        pipeline, made_by = _KEPT[key]
        return pipeline, {"process": f"{socket.gethostname()}:{os.getpid()}", "models_loaded_by_run": made_by}

    @staticmethod
    def discard(pipeline: TranscriptionPipeline) -> None:
        """Drop a pipeline that failed in a way its models or processes may not survive; the next step makes anew."""
        for key, (kept, _) in list(_KEPT.items()):
            if kept is pipeline:
                del _KEPT[key]
        pipeline.close()
