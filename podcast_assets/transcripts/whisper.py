"""faster-whisper transcription: one model per process, batched inference over one VAD pass.

``BatchedInferencePipeline`` finds the speech once (Silero VAD), merges it into pieces of at most
30 s cut in the pauses, and encodes and decodes ``batch_size`` pieces at a time, so the per-step work
is shared by the batch instead of paid per 30 s window. The settings were chosen on the
tuning recording (``bench/tune_transcribe.py``), not on the one the README reports (``bench/transcribe.py``).
The models are loaded once per ``Transcriber`` and kept across episodes; they run on the cores this process
may use (affinity and cgroup quota), divided by the transcription runs that share the machine.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from podcast_assets.transcripts.segments import SAMPLE_RATE, Segment, clean_spacing, short_pieces
from podcast_assets.transcripts.split import quiet_cuts

PROGRESS_EVERY_SEC = 300.0  # a log line per five minutes of audio transcribed
MIN_SPLIT_SEC = 120.0  # shorter audio stays in one process (a worker's start costs more than it saves)


@dataclass(frozen=True)
class WhisperOptions:
    model_path: str
    compute_type: str = "int8"
    beam_size: int = 4  # chosen on the three tuning recordings: bench/tune_transcribe.py "project, beam"
    batch_size: int = 8
    threads: int = 0  # 0 = available_cores()
    # a piece with fewer words than this share of the median words per second is decoded again in halves
    # (0: never); chosen on bench/data/speech-tuning-long (0.5-0.9 all give WER 0.143 there; 0.7 the middle)
    redecode_ratio: float = 0.7


def _cgroup_cpus(root: Path = Path("/sys/fs/cgroup")) -> float | None:
    """The CPU quota of this process's cgroup (v2 ``cpu.max`` or v1 ``cfs_quota_us``), if there is one."""
    try:
        quota, period = (root / "cpu.max").read_text().split()[:2]
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError):
        pass
    try:
        quota = int((root / "cpu" / "cpu.cfs_quota_us").read_text())
        period = int((root / "cpu" / "cpu.cfs_period_us").read_text())
        return quota / period if quota > 0 and period > 0 else None
    except (OSError, ValueError):
        return None


def available_cores(cgroup_root: Path = Path("/sys/fs/cgroup")) -> int:
    """The CPUs this process may use: its affinity mask, capped by its cgroup's quota (a container that may
    use 2 of 64 cores gets 2, where ``os.cpu_count()`` says 64)."""
    n = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    quota = _cgroup_cpus(cgroup_root)
    return max(1, min(n, math.floor(quota))) if quota else max(1, n)


def thread_share(threads: int, runs: int, alone: bool = False) -> int:
    """Threads for one transcription: ``threads`` if set, else the available cores shared by the ``runs``
    that may transcribe at once (all of them when it is ``alone`` on the machine)."""
    return threads if threads > 0 else max(1, available_cores() // (1 if alone else max(1, runs)))


def _clock(seconds: float) -> str:
    return f"{int(seconds // 60)}:{int(seconds % 60):02d}"


def _load(options: WhisperOptions, threads: int):
    import ctranslate2
    from faster_whisper import BatchedInferencePipeline, WhisperModel

    ctranslate2.set_random_seed(1234)  # the same audio gives the same text
    return BatchedInferencePipeline(WhisperModel(options.model_path, device="cpu", compute_type=options.compute_type,
                                                 cpu_threads=threads))


def _decode(pipeline, options: WhisperOptions, audio: np.ndarray, offset: float, progress=None) -> list[Segment]:
    # pieces of up to 30 s of speech, each padded to the model's 30 s window (a shorter window is
    # faster, but tiny.en then loses words: WER 0.26 instead of 0.12 on the tuning recording), one
    # segment per piece (timestamp tokens inside a piece cost as much: WER 0.26)
    pieces, _ = pipeline.transcribe(audio, language="en", beam_size=options.beam_size,
                                    batch_size=options.batch_size, without_timestamps=True, vad_filter=True)
    total, report_at, segments = len(audio) / SAMPLE_RATE, PROGRESS_EVERY_SEC, []
    for s in pieces:  # decoded a batch at a time, as the loop asks for them
        segments.append(Segment(round(s.start, 2), round(s.end, 2), clean_spacing(s.text)))
        if progress and s.end >= report_at and total > 2 * PROGRESS_EVERY_SEC:
            progress(f"transcribed {_clock(s.end)} of {_clock(total)}")
            report_at += PROGRESS_EVERY_SEC
    segments = _redecode_short(pipeline, options, audio, segments)
    return [Segment(round(offset + s.start, 2), round(offset + s.end, 2), s.text) for s in segments]


def _redecode_short(pipeline, options: WhisperOptions, audio: np.ndarray, segments: list[Segment]) -> list[Segment]:
    """Each piece decoded only in part (``segments.short_pieces``) decoded again as two halves cut at its
    quietest moment, all in one batch; the halves replace it when they say more. On the second tuning
    recording this took WER from 0.161 to 0.143 (plain faster-whisper 0.131) for one piece decoded again."""
    short = short_pieces(segments, options.redecode_ratio) if options.redecode_ratio > 0 else []
    clips, owner = [], []
    for i in short:
        a, b = int(segments[i].start * SAMPLE_RATE), int(segments[i].end * SAMPLE_RATE)
        for c0, c1 in quiet_cuts(audio[a:b], 2, search_sec=min(5.0, (b - a) / SAMPLE_RATE / 4)):
            clips.append({"start": (a + c0) / SAMPLE_RATE, "end": (a + c1) / SAMPLE_RATE})
            owner.append(i)
    if not clips:
        return segments
    halves, _ = pipeline.transcribe(audio, language="en", beam_size=options.beam_size, batch_size=options.batch_size,
                                    without_timestamps=True, vad_filter=False, clip_timestamps=clips)
    again: dict[int, list[Segment]] = {}
    for s in halves:  # each names its clip by its start
        k = min(range(len(clips)), key=lambda j: abs(clips[j]["start"] - s.start))
        again.setdefault(owner[k], []).append(Segment(round(s.start, 2), round(s.end, 2), clean_spacing(s.text)))
    out = []
    for i, seg in enumerate(segments):
        new = again.get(i, [])
        said = sum(len(s.text.split()) for s in new)
        out += new if said > len(seg.text.split()) else [seg]
    return out


# -- worker processes: one single-threaded model each ------------------------------------------------
_WORKER: tuple | None = None


def _init_worker(options: WhisperOptions) -> None:
    global _WORKER
    _WORKER = (_load(options, 1), options)


def _ready() -> bool:
    return True


def _decode_part(audio: np.ndarray, offset: float) -> list[Segment]:
    pipeline, options = _WORKER
    return _decode(pipeline, options, audio, offset)


class Transcriber:
    """Holds its models across calls (a run that transcribes several episodes loads them once).

    With one thread the model runs in this process. With more, long audio is cut at its quietest
    moments into one part per thread, and each part goes to a worker process with a single-threaded
    model: ctranslate2's threads speed tiny.en up only 1.47x on 2 cores (``bench/tune_transcribe.py
    --threads 1``), while each process does its part at the one-thread speed."""

    def __init__(self, options: WhisperOptions, model_name: str = ""):
        self.options, self.model_name = options, model_name or options.model_path
        self._local, self._pool = None, None

    def threads(self) -> int:
        return self.options.threads if self.options.threads > 0 else available_cores()

    def _pool_of(self, workers: int) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn: the parent may hold threads (Dagster, ctranslate2) that fork would copy broken
            self._pool = ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn"),
                                             initializer=_init_worker, initargs=(self.options,))
        return self._pool

    def _splits(self, audio: np.ndarray) -> bool:
        return self.threads() > 1 and len(audio) >= MIN_SPLIT_SEC * SAMPLE_RATE

    def prepare(self, audio: np.ndarray) -> None:
        """Start the workers this audio will need, so they load their models while the caller does other
        work (the language check)."""
        if self._splits(audio) and self._pool is None:
            pool = self._pool_of(self.threads())
            for _ in range(self.threads()):
                pool.submit(_ready)

    def transcribe(self, audio: np.ndarray, progress=None) -> tuple[str, list[Segment]]:
        workers = self.threads()
        bounds = quiet_cuts(audio, workers) if self._splits(audio) else []
        if len(bounds) < 2:
            if self._local is None:
                self._local = _load(self.options, workers)
            segments = _decode(self._local, self.options, audio, 0.0, progress)
        else:
            pool = self._pool_of(workers)
            futures = [pool.submit(_decode_part, audio[a:b], a / SAMPLE_RATE) for a, b in bounds]
            segments = []
            for i, future in enumerate(futures, 1):
                segments += future.result()
                if progress:
                    progress(f"transcribed part {i} of {len(futures)} ({_clock(bounds[i - 1][1] / SAMPLE_RATE)} "
                             f"of {_clock(len(audio) / SAMPLE_RATE)})")
        segments = [s for s in segments if s.text]
        return clean_spacing(" ".join(s.text for s in segments)), segments

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
        self._local, self._pool = None, None
