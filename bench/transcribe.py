"""Speed and accuracy of ``podcast-assets transcribe`` against plain faster-whisper, whole process each.

Input: ``bench/data/speech-multivoice.mp3`` (15.7 minutes, four voices, built by ``bench/make_speech.py``
from the sample catalog's scripts; nothing was tuned on it), decoded once to WAV 16 kHz before timing.
Every side is a whole process (interpreter, imports, model load, transcription) on the same bundled
model (``tiny.en``, int8, CPU) and the same WAV:
- plain faster-whisper with the library's defaults (``cpu_threads=0``: ctranslate2 picks 4 threads,
  even on 2 cores; no VAD);
- plain faster-whisper used well: as many threads as this machine has cores, ``vad_filter=True``,
  ``language="en"``;
- ``podcast-assets transcribe WAV --json``.
Prints audio seconds per wall second and the WER against the spoken text for each, and the speed-up
against whichever plain side was faster (the fairest baseline is the best one measured).
Run: ``.venv/bin/python bench/transcribe.py [--input MP3] [--repeat 2]``.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

from podcast_assets.resources.bundled_models import whisper_model_path
from podcast_assets.transcripts.audio import to_wav16k
from podcast_assets.transcripts.wer import wer

INPUT = Path(__file__).parent / "data" / "speech-multivoice.mp3"
PLAIN = """
import json, sys
from faster_whisper import WhisperModel
model = WhisperModel(sys.argv[1], device="cpu", compute_type="int8", cpu_threads=int(sys.argv[3]))
kw = json.loads(sys.argv[4])
segments, _ = model.transcribe(sys.argv[2], **kw)
print(json.dumps({"text": " ".join(s.text for s in segments)}))
"""


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def run(command: list[str]) -> str:
    out = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["text"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--input", type=Path, default=INPUT)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    reference = args.input.with_suffix(".txt").read_text()
    model = str(whisper_model_path("tiny.en", Path("data/models")))
    n = cores()
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "speech.wav"
        to_wav16k(args.input, wav)
        with wave.open(str(wav), "rb") as w:
            seconds = w.getnframes() / w.getframerate()
        print(f"input: {args.input.name}, {seconds / 60:.1f} min; {n} cores")
        sides = {
            "plain, library defaults": [sys.executable, "-c", PLAIN, model, str(wav), "0", "{}"],
            f"plain, used well ({n} threads, VAD)": [sys.executable, "-c", PLAIN, model, str(wav), str(n),
                                                     json.dumps({"vad_filter": True, "language": "en"})],
            "podcast-assets transcribe": [sys.executable, "-m", "podcast_assets.cli", "transcribe", str(wav), "--json"],
        }
        figures = {}
        for name, command in sides.items():
            best, text = float("inf"), ""
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                text = run(command)
                best = min(best, time.perf_counter() - t0)
            figures[name] = (seconds / best, wer(reference, text), best)
            print(f"{name:<34} {best:6.1f} s  {seconds / best:5.1f}x real time   WER {figures[name][1]:.3f}")
    ours = figures["podcast-assets transcribe"]
    best = max((k for k in figures if k.startswith("plain")), key=lambda k: figures[k][0])
    print(f"ours vs the faster plain side ({best}): {ours[0] / figures[best][0]:.2f}x, "
          f"WER {ours[1] - figures[best][1]:+.3f}")


if __name__ == "__main__":
    main()
