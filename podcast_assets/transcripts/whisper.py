"""Chunked, parallel faster-whisper transcription.

Long audio is cut into chunks in the pauses between speech near each boundary (so words are not
split), the chunks are transcribed by a pool of worker processes that each load the model once, and
the pieces are stitched back in order with their times shifted.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np

from podcast_assets.transcripts.segments import SAMPLE_RATE, Segment, clean_spacing


@dataclass(frozen=True)
class WhisperOptions:
    model_path: str
    compute_type: str = "int8"
    beam_size: int = 1
    vad_filter: bool = True
    condition_on_previous_text: bool = True
    chunk_sec: float = 360.0
    workers: int = 0  # 0 = one per core

    def worker_count(self) -> int:
        return self.workers if self.workers > 0 else max(1, os.cpu_count() or 1)


def speech_gaps(audio: np.ndarray) -> list[int]:
    """Sample positions in the middle of the pauses between speech, by the Silero VAD of faster-whisper."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    spans = get_speech_timestamps(audio, VadOptions(min_silence_duration_ms=200))
    return [(a["end"] + b["start"]) // 2 for a, b in zip(spans, spans[1:])]


def chunk_bounds(audio: np.ndarray, chunk_sec: float, min_chunks: int = 1, gaps: list[int] | None = None,
                 search_sec: float = 10.0) -> list[tuple[int, int]]:
    """Sample ranges of at most ~``chunk_sec`` (at least ``min_chunks`` for audio over a minute), each
    cut placed in the pause between speech nearest the nominal boundary (else the quietest 50 ms)."""
    n = len(audio)
    seconds = n / SAMPLE_RATE
    count = max(math.ceil(seconds / chunk_sec), min_chunks if seconds > 60 else 1)
    if count <= 1:
        return [(0, n)]
    gaps = speech_gaps(audio) if gaps is None else gaps
    step, frame, radius = n / count, SAMPLE_RATE // 20, int(search_sec * SAMPLE_RATE)
    cuts = [0]
    for i in range(1, count):
        nominal = int(i * step)
        near = [g for g in gaps if abs(g - nominal) <= radius and g > cuts[-1]]
        if near:
            cuts.append(min(near, key=lambda g: abs(g - nominal)))
            continue
        lo, hi = max(cuts[-1] + frame, nominal - radius), min(n - frame, nominal + radius)
        frames = max(0, hi - lo) // frame
        if frames < 1:
            cuts.append(nominal)
            continue
        energy = (audio[lo:lo + frames * frame].reshape(frames, frame) ** 2).mean(axis=1)
        cuts.append(lo + int(np.argmin(energy)) * frame + frame // 2)
    cuts.append(n)
    return list(zip(cuts[:-1], cuts[1:]))


def stitch(pieces: list[tuple[float, list[Segment]]]) -> tuple[str, list[Segment]]:
    segments = [Segment(round(off + s.start, 2), round(off + s.end, 2), clean_spacing(s.text))
                for off, segs in sorted(pieces, key=lambda p: p[0]) for s in segs]
    segments = [s for s in segments if s.text]
    return clean_spacing(" ".join(s.text for s in segments)), segments


# -- worker processes -------------------------------------------------------------------------------
_MODEL = None
_OPTIONS: WhisperOptions | None = None


def _init_worker(options: WhisperOptions, threads: int) -> None:
    global _MODEL, _OPTIONS
    import ctranslate2
    from faster_whisper import WhisperModel

    # the temperature fallback samples: a fixed seed makes the same audio give the same text
    ctranslate2.set_random_seed(1234)

    _OPTIONS = options
    _MODEL = WhisperModel(options.model_path, device="cpu", compute_type=options.compute_type, cpu_threads=threads)


def _transcribe_piece(audio: np.ndarray, offset: float) -> tuple[float, list[Segment]]:
    segs, _ = _MODEL.transcribe(audio, language="en", beam_size=_OPTIONS.beam_size, vad_filter=_OPTIONS.vad_filter,
                                condition_on_previous_text=_OPTIONS.condition_on_previous_text)
    return offset, [Segment(s.start, s.end, s.text) for s in segs]


class Transcriber:
    """Holds the worker pool (and, for one-chunk audio, an in-process model) across calls."""

    def __init__(self, options: WhisperOptions, model_name: str = ""):
        self.options, self.model_name = options, model_name or options.model_path
        self._pool: ProcessPoolExecutor | None = None
        self._local = False

    def _ensure_local(self) -> None:
        if not self._local:
            _init_worker(self.options, threads=max(1, os.cpu_count() or 1))
            self._local = True

    def _ensure_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            workers = self.options.worker_count()
            threads = max(1, (os.cpu_count() or 1) // workers)
            # spawn: the parent may hold threads (Dagster, ctranslate2) that fork would copy broken
            self._pool = ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn"),
                                             initializer=_init_worker, initargs=(self.options, threads))
        return self._pool

    def transcribe(self, audio: np.ndarray, progress=None) -> tuple[str, list[Segment]]:
        bounds = chunk_bounds(audio, self.options.chunk_sec, min_chunks=self.options.worker_count())
        if len(bounds) == 1:
            self._ensure_local()
            return stitch([_transcribe_piece(audio, 0.0)])
        pool = self._ensure_pool()
        futures = [pool.submit(_transcribe_piece, audio[a:b], a / SAMPLE_RATE) for a, b in bounds]
        pieces = []
        for i, fut in enumerate(futures, 1):
            pieces.append(fut.result())
            if progress:
                progress(f"transcribed chunk {i}/{len(futures)}")
        return stitch(pieces)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None


def load_audio(path) -> np.ndarray:
    from faster_whisper import decode_audio

    return decode_audio(str(path), sampling_rate=SAMPLE_RATE)
