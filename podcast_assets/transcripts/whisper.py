"""faster-whisper transcription: one model per process, batched inference over one VAD pass.

``BatchedInferencePipeline`` finds the speech once (Silero VAD), merges it into pieces of at most
30 s cut in the pauses, and encodes and decodes ``batch_size`` pieces at a time, so the per-step work
is shared by the batch instead of paid per 30 s window. The settings were chosen on the
tuning recording (``bench/tune_transcribe.py``), not on the one the README reports (``bench/transcribe.py``).
The model is loaded once per ``Transcriber`` and kept across episodes; it runs on the cores this process
may use (affinity and cgroup quota), divided by the transcription runs that share the machine.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from podcast_assets.transcripts.segments import SAMPLE_RATE, Segment, clean_spacing

PROGRESS_EVERY_SEC = 300.0  # a log line per five minutes of audio transcribed


@dataclass(frozen=True)
class WhisperOptions:
    model_path: str
    compute_type: str = "int8"
    beam_size: int = 1
    batch_size: int = 16
    threads: int = 0  # 0 = available_cores()


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


def _clock(seconds: float) -> str:
    return f"{int(seconds // 60)}:{int(seconds % 60):02d}"


class Transcriber:
    """Holds one model across calls (a run that transcribes several episodes loads it once)."""

    def __init__(self, options: WhisperOptions, model_name: str = ""):
        self.options, self.model_name = options, model_name or options.model_path
        self._pipeline = None

    def threads(self) -> int:
        return self.options.threads if self.options.threads > 0 else available_cores()

    def _batched(self):
        if self._pipeline is None:
            import ctranslate2
            from faster_whisper import BatchedInferencePipeline, WhisperModel

            ctranslate2.set_random_seed(1234)  # the same audio gives the same text
            model = WhisperModel(self.options.model_path, device="cpu", compute_type=self.options.compute_type,
                                 cpu_threads=self.threads())
            self._pipeline = BatchedInferencePipeline(model)
        return self._pipeline

    def transcribe(self, audio: np.ndarray, progress=None) -> tuple[str, list[Segment]]:
        o = self.options
        # pieces of up to 30 s of speech, each padded to the model's 30 s window (a shorter window is
        # faster, but tiny.en then loses words: WER 0.26 instead of 0.12 on the tuning recording), one
        # segment per piece (timestamp tokens inside a piece cost the same: WER 0.26)
        pieces, _ = self._batched().transcribe(audio, language="en", beam_size=o.beam_size,
                                               batch_size=o.batch_size, without_timestamps=True, vad_filter=True)
        total, report_at, segments = len(audio) / SAMPLE_RATE, PROGRESS_EVERY_SEC, []
        for s in pieces:  # decoded a batch at a time, as the loop asks for them
            segments.append(Segment(round(s.start, 2), round(s.end, 2), clean_spacing(s.text)))
            if progress and s.end >= report_at and total > 2 * PROGRESS_EVERY_SEC:
                progress(f"transcribed {_clock(s.end)} of {_clock(total)}")
                report_at += PROGRESS_EVERY_SEC
        segments = [s for s in segments if s.text]
        return clean_spacing(" ".join(s.text for s in segments)), segments

    def close(self) -> None:
        self._pipeline = None
