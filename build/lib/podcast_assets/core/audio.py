"""Getting episode audio: a streamed, capped, atomic download; a decode check; WAV mono 16 kHz.

pydub does the audio work with the static ffmpeg of imageio-ffmpeg. That build has no ffprobe,
which pydub's generic ``from_file`` needs, so ffmpeg decodes straight to 16 kHz mono WAV (which
is also the check that the bytes are audio) and pydub reads the WAV natively.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

import warnings

import imageio_ffmpeg
import requests

with warnings.catch_warnings():  # pydub warns at import that ffmpeg is not on PATH; we set it below
    warnings.simplefilter("ignore", RuntimeWarning)
    from pydub import AudioSegment

from podcast_assets.core.podcast_index import USER_AGENT

SAMPLE_RATE = 16_000
AudioSegment.converter = imageio_ffmpeg.get_ffmpeg_exe()


class AudioError(RuntimeError):
    """The episode's audio cannot be used; the message says why. Nothing partial is left behind."""


class TransientAudioError(AudioError):
    pass


def download(url: str, dest: Path, *, max_bytes: int, timeout: float = 30.0, retries: int = 3,
             backoff: float = 1.0) -> Path:
    """Stream ``url`` to a temporary file next to ``dest`` and rename it into place when complete."""
    scheme = urlparse(url).scheme.lower()
    if scheme not in ("http", "https"):
        raise AudioError(f"refusing audio URL with scheme {scheme or 'none'!r}: only http and https")
    dest.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(retries + 1):
        try:
            return _download_once(url, dest, max_bytes, timeout)
        except TransientAudioError:
            if attempt == retries:
                raise
            time.sleep(backoff * 2 ** attempt)
    raise AssertionError("unreachable")


def _download_once(url: str, dest: Path, max_bytes: int, timeout: float) -> Path:
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                resp = requests.get(url, stream=True, timeout=timeout, headers={"User-Agent": USER_AGENT})
            except (requests.ConnectionError, requests.Timeout) as exc:
                raise TransientAudioError(f"cannot reach {url}: {type(exc).__name__}") from exc
            with resp:
                if resp.status_code in (429, 500, 502, 503, 504):
                    raise TransientAudioError(f"{url} answered HTTP {resp.status_code}")
                if resp.status_code >= 400:
                    raise AudioError(f"dead audio URL {url}: HTTP {resp.status_code}")
                declared = int(resp.headers.get("Content-Length") or 0)
                if declared > max_bytes:
                    raise AudioError(f"audio at {url} is {declared} bytes, over the cap of {max_bytes}")
                size = 0
                try:
                    for block in resp.iter_content(1 << 16):
                        size += len(block)
                        if size > max_bytes:
                            raise AudioError(f"audio at {url} exceeds the cap of {max_bytes} bytes")
                        out.write(block)
                except (requests.ConnectionError, requests.Timeout) as exc:
                    raise TransientAudioError(f"download of {url} broke off: {type(exc).__name__}") from exc
        os.replace(tmp, dest)
        return dest
    finally:
        tmp.unlink(missing_ok=True)


def to_wav16k(src: Path, dest: Path) -> float:
    """Decode any audio to WAV mono 16 kHz (atomically); returns its duration in seconds."""
    tmp = dest.with_name(f".{dest.name}.part.wav")
    cmd = [AudioSegment.converter, "-nostdin", "-loglevel", "error", "-y", "-i", str(src), "-vn",
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


def load_wav(path: Path) -> AudioSegment:
    return AudioSegment.from_wav(path)
