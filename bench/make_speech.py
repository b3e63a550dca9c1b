"""The transcription bench's input: 15+ minutes of English speech from several voices, with its text.

The sample catalog's clips are 30 s of one voice each; a real episode is long and has several
speakers. This builds a conversation from the catalog's English scripts, sentence by sentence, each
sentence in the next of four espeak-ng voices, the scripts read twice (the second time in other
voices and at another pace), and writes it as mono 16 kHz MP3 (32 kbit/s) beside its reference text:
``bench/data/speech-multivoice.mp3`` and ``.txt``. Needs espeak-ng (Debian package). Nothing in it was
used to tune the transcriber. Run once: ``.venv/bin/python bench/make_speech.py``.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

import imageio_ffmpeg

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from catalog_scripts import TOPICS

OUT = Path(__file__).parent / "data" / "speech-multivoice"
VOICES = ("en-us+m3", "en-gb+f2", "en-us+f4", "en-gb-scotland+m1")
PACES = (150, 132)  # words per minute, one per reading


def sentences() -> list[str]:
    scripts = [script for shows in TOPICS.values() for _, _, script in shows]
    return [s.strip() for script in scripts for s in re.split(r"(?<=[.!?])\s+", script) if s.strip()]


def main() -> None:
    said, pcm = [], b""
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "s.wav"
        for reading, pace in enumerate(PACES):
            for i, text in enumerate(sentences()):
                voice = VOICES[(i + reading) % len(VOICES)]
                subprocess.run(["espeak-ng", "-v", voice, "-s", str(pace), "-w", str(wav), text], check=True)
                with wave.open(str(wav), "rb") as w:
                    rate = w.getframerate()
                    pcm += w.readframes(w.getnframes()) + b"\0\0" * int(rate * 0.35)  # a pause between speakers
                said.append(text)
        joined = Path(tmp) / "all.wav"
        with wave.open(str(joined), "wb") as w:
            w.setnchannels(1), w.setsampwidth(2), w.setframerate(rate)
            w.writeframes(pcm)
        OUT.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-y", "-i", str(joined), "-ac", "1",
                        "-ar", "16000", "-b:a", "32k", str(OUT.with_suffix(".mp3"))], check=True)
    OUT.with_suffix(".txt").write_text(" ".join(said) + "\n")
    seconds = len(pcm) / 2 / rate
    print(f"{len(said)} sentences, {len(VOICES)} voices, {seconds / 60:.1f} min -> {OUT.with_suffix('.mp3')} "
          f"({OUT.with_suffix('.mp3').stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
