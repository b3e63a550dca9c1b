"""Speed and accuracy of ``podcast-assets transcribe`` against plain faster-whisper on the same model.

Input: the sample catalog's English clips (synthesized speech) joined into one WAV of a few
minutes. Both sides get the same WAV and the same bundled model (``tiny.en``, int8, CPU); the
plain side is ``WhisperModel(...).transcribe(wav)`` with faster-whisper's defaults. Prints audio
seconds per wall second and word error rate for each, and the speed ratio.
Run: ``.venv/bin/python bench/transcribe.py [--clips 16] [--repeat 2]``.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

from podcast_assets.local.podcast_index_server import CATALOG_DIR
from podcast_assets.resources.bundled_models import whisper_model_path
from podcast_assets.transcripts.wer import wer
from podcast_assets.transcripts.whisper import load_audio


def build_input(clips: int, out: Path) -> tuple[str, float]:
    eps = [e for e in json.loads((CATALOG_DIR / "catalog.json").read_text())["episodes"]
           if e["script"] and e["audio_language"] == "en"
           and e["episodeType"] == "full" and "very first" not in e["title"]][:clips]
    audio = np.concatenate([load_audio(CATALOG_DIR / "audio" / e["enclosureUrl"].rsplit("/", 1)[1]) for e in eps])
    with wave.open(str(out), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(16000)
        w.writeframes((np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes())
    return " ".join(e["script"] for e in eps), len(audio) / 16000


def plain(wav: Path) -> str:
    from faster_whisper import WhisperModel

    model = WhisperModel(whisper_model_path("tiny.en", Path("data/models")), device="cpu", compute_type="int8")
    segments, _ = model.transcribe(str(wav))
    return " ".join(s.text for s in segments)


def ours(wav: Path) -> str:
    out = subprocess.run([sys.executable, "-m", "podcast_assets.cli", "transcribe", str(wav), "--json"],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)["text"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clips", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "speech.wav"
        reference, seconds = build_input(args.clips, wav)
        print(f"input: {seconds:.0f} s of synthesized speech ({args.clips} clips)")
        figures = {}
        for name, fn in (("plain faster-whisper", plain), ("podcast-assets transcribe", ours)):
            best, text = float("inf"), ""
            for _ in range(args.repeat):  # whole command for ours: model load, language check, pool start
                t0 = time.perf_counter()
                text = fn(wav)
                best = min(best, time.perf_counter() - t0)
            figures[name] = (seconds / best, wer(reference, text))
            print(f"{name:<28} {seconds / best:6.1f} audio s / wall s   WER {figures[name][1]:.3f}")
        a, b = figures["plain faster-whisper"], figures["podcast-assets transcribe"]
        print(f"speed ratio (ours / plain): {b[0] / a[0]:.2f}x; WER difference (ours - plain): {b[1] - a[1]:+.3f}")


if __name__ == "__main__":
    main()
