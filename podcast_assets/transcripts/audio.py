"""Episode audio to WAV mono 16 kHz, once, within bounds; which is also the check that the bytes are audio.

The file came from a feed, so ffmpeg may read nothing but that file (``-protocol_whitelist file``: an
HLS or concat playlist saved as ``.mp3`` cannot make it fetch other URLs or local files) and may use
only audio demuxers (``-format_whitelist``). Decoding stops just past ``max_minutes``; longer audio is
refused rather than held. The WAV is the one decode: the language check and Whisper read it as it is.
"""

from __future__ import annotations

import os
import subprocess
import wave
from pathlib import Path

import numpy as np

from podcast_assets.transcripts.fetch import AudioError
from podcast_assets.transcripts.segments import SAMPLE_RATE

# ffmpeg demuxer names: mp3, mp4/m4a (mov), aac (adts), ogg/opus, wav, flac, webm (matroska)
AUDIO_FORMATS = "mp3,mov,aac,ogg,wav,flac,matroska"


def to_wav16k(src: Path, dest: Path, max_minutes: float = 240.0) -> float:
    """Decode ``src`` to WAV mono 16 kHz at ``dest`` (atomically); returns its duration in seconds."""
    import imageio_ffmpeg

    limit = max_minutes * 60
    tmp = dest.with_name(f".{dest.name}.part.wav")
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
           "-protocol_whitelist", "file", "-format_whitelist", AUDIO_FORMATS, "-i", str(src), "-vn", "-sn", "-dn",
           "-t", f"{limit + 1:.3f}", "-ac", "1", "-ar", str(SAMPLE_RATE), "-sample_fmt", "s16", "-f", "wav", str(tmp)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=max(600.0, limit))
        if proc.returncode != 0 or not tmp.exists() or tmp.stat().st_size <= 44:
            reason = (proc.stderr.strip().splitlines() or ["no audio stream"])[-1]
            raise AudioError(f"{src.name} is not decodable audio: {reason[:200]}")
        with wave.open(str(tmp), "rb") as w:
            seconds = w.getnframes() / w.getframerate()
        if seconds > limit:
            raise AudioError(f"audio is longer than the {max_minutes:g} minute limit (AUDIO_MAX_MINUTES)")
        if seconds < 0.1:
            raise AudioError(f"{src.name} decodes to {seconds * 1000:.0f} ms of audio: nothing to transcribe")
        os.replace(tmp, dest)
        return seconds
    except subprocess.TimeoutExpired:
        raise AudioError(f"decoding {src.name} took too long") from None
    finally:
        tmp.unlink(missing_ok=True)


def read_wav16k(path: Path) -> np.ndarray:
    """The WAV ``to_wav16k`` wrote, as float32 samples in [-1, 1]: read, not decoded again."""
    with wave.open(str(path), "rb") as w:
        if (w.getnchannels(), w.getframerate(), w.getsampwidth()) != (1, SAMPLE_RATE, 2):
            raise AudioError(f"{path.name} is not WAV mono {SAMPLE_RATE} Hz 16-bit")
        frames = w.readframes(w.getnframes())
    return np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0
