"""Episode audio to WAV mono 16 kHz, which is also the check that the bytes are audio.

The static ffmpeg of imageio-ffmpeg decodes straight to 16 kHz mono WAV (that build has no
ffprobe, which pydub's generic ``from_file`` needs); pydub then reads the WAV natively.
"""

from __future__ import annotations

import os
import subprocess
import warnings
from pathlib import Path

from podcast_assets.transcripts.fetch import AudioError
from podcast_assets.transcripts.segments import SAMPLE_RATE


def to_wav16k(src: Path, dest: Path) -> float:
    """Decode any audio to WAV mono 16 kHz (atomically); returns its duration in seconds."""
    import imageio_ffmpeg

    with warnings.catch_warnings():  # pydub warns at import that ffmpeg is not on PATH: it reads WAV natively
        warnings.simplefilter("ignore", RuntimeWarning)
        from pydub import AudioSegment

    tmp = dest.with_name(f".{dest.name}.part.wav")
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y", "-i", str(src), "-vn",
           "-ac", "1", "-ar", str(SAMPLE_RATE), "-sample_fmt", "s16", "-f", "wav", str(tmp)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
        if proc.returncode != 0 or not tmp.exists() or tmp.stat().st_size <= 44:
            reason = (proc.stderr.strip().splitlines() or ["no audio stream"])[-1]
            raise AudioError(f"{src.name} is not decodable audio: {reason[:200]}")
        audio = AudioSegment.from_wav(tmp)  # pydub confirms the result and normalises the format
        if len(audio) < 100:
            raise AudioError(f"{src.name} decodes to {len(audio)} ms of audio: nothing to transcribe")
        audio.set_channels(1).set_frame_rate(SAMPLE_RATE).set_sample_width(2).export(tmp, format="wav")
        os.replace(tmp, dest)
        return len(audio) / 1000.0
    finally:
        tmp.unlink(missing_ok=True)
