"""Speed and accuracy of the project's transcription against plain faster-whisper, whole process each.

Report inputs (nothing was tuned on them; ``bench/tune_transcribe.py`` tuned on ``speech-tuning``):
- one long recording: ``bench/data/speech-multivoice.mp3`` (15.7 minutes, four espeak-ng voices in
  turns, made by ``bench/make_speech.py``);
- a batch of episodes: the sample catalog's English episodes (16 clips of about 30 s and two
  conversations of 10+ minutes in three voices), as the daemon gets them.
Every side is whole processes (interpreter, imports, model loads, transcription) on the same bundled
model (``tiny.en``, int8, CPU) and the same WAV files (decoded once before timing):
- plain faster-whisper with the library's defaults (``cpu_threads=0``: ctranslate2 picks 4 threads,
  even on 2 cores; beam 5; no VAD), what its README gives a user; for the batch, one process per
  episode, as a run per episode would;
- plain faster-whisper tuned: the same threads as ours, greedy, ``vad_filter=True``, ``language="en"``;
  for the batch, one process with the model loaded once;
- ``podcast-assets transcribe`` (batched inference, the language check on the audio included); for
  the batch, the daemon's way: ``TRANSCRIPTION_RUNS`` processes side by side, each with its share of
  the cores and of the episodes (``transcripts/messages.run_batches``), models loaded once per process.
Prints, for each: wall seconds, audio seconds per wall second (for the batch, hours of audio per wall
hour) and the WER against the spoken text; then ours against both plain sides.
Run: ``.venv/bin/python bench/transcribe.py [--repeat 1] [--only long|batch] [--long bench/data/speech-holdout.mp3]``
(``--long``: another long recording, such as the holdout set of ``bench/make_speech.py``).
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the WER helper is beside the tests
from podcast_assets.local.podcast_index_server import CATALOG_DIR
from podcast_assets.resources.bundled_models import whisper_model_path
from podcast_assets.settings import DEFAULTS
from podcast_assets.transcripts.audio import to_wav16k
from podcast_assets.transcripts.messages import run_batches
from podcast_assets.transcripts.whisper import available_cores
from podcast_assets_tests.wer import wer

LONG = Path(__file__).parent / "data" / "speech-multivoice.mp3"
PLAIN = """
import json, sys
from faster_whisper import WhisperModel
model = WhisperModel(sys.argv[1], device="cpu", compute_type="int8", cpu_threads=int(sys.argv[2]))
kw = json.loads(sys.argv[3])
for wav in sys.argv[4:]:
    segments, _ = model.transcribe(wav, **kw)
    print(json.dumps({"source": wav, "text": " ".join(s.text for s in segments)}), flush=True)
"""
TUNED = {"beam_size": 1, "vad_filter": True, "language": "en"}


def seconds_of(wav: Path) -> float:
    with wave.open(str(wav), "rb") as w:
        return w.getnframes() / w.getframerate()


def texts(commands: list[tuple[list[str], dict]]) -> dict[str, str]:
    """Run the commands side by side (each with its environment); the text of every source they print."""
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **env})
             for cmd, env in commands]
    out = {}
    for p in procs:
        stdout, stderr = p.communicate()
        if p.returncode:
            raise SystemExit(f"{p.args[:4]} failed: {stderr[-2000:]}")
        out.update({d["source"]: d["text"] for d in map(json.loads, stdout.strip().splitlines())})
    return out


def timed(name: str, runs: list[list[tuple[list[str], dict]]], audio: float, reference: dict[str, str],
          repeat: int, unit: str) -> dict:
    """``runs``: the command groups run one after the other (each group side by side), as one side."""
    best, got = float("inf"), {}
    for _ in range(repeat):
        t0 = time.perf_counter()
        got = {}
        for group in runs:
            got.update(texts(group))
        best = min(best, time.perf_counter() - t0)
    order = list(reference)
    score = wer(" ".join(reference[k] for k in order), " ".join(got.get(k, "") for k in order))
    speed = audio / best  # audio seconds per wall second, which is also audio hours per wall hour
    label = "x real time" if unit == "x" else "audio h / wall h"
    print(f"  {name:<52} {best:7.1f} s  {speed:6.1f} {label}   WER {score:.3f}", flush=True)
    return {"side": name, "seconds": round(best, 1), "speed": round(speed, 1), "wer": round(score, 3)}


def sides(model: str, wavs: list[str], cores: int, per_episode_plain: bool) -> dict[str, list]:
    plain = [sys.executable, "-c", PLAIN, model]
    ours = [sys.executable, "-m", "podcast_assets.cli", "transcribe"]
    runs = DEFAULTS.TRANSCRIPTION_RUNS
    defaults = ([[([*plain, "0", "{}", w], {})] for w in wavs] if per_episode_plain
                else [[([*plain, "0", "{}", *wavs], {})]])
    out = {
        "plain faster-whisper, library defaults" + (" (a process per episode)" if per_episode_plain else ""): defaults,
        f"plain faster-whisper tuned ({cores} threads, greedy, VAD)": [[([*plain, str(cores), json.dumps(TUNED), *wavs], {})]],
        f"podcast-assets transcribe ({cores} threads)": [[([*ours, *wavs, "--json"], {})]],
    }
    if per_episode_plain and runs > 1:
        share = max(1, cores // runs)
        batches = run_batches(wavs, runs, len(wavs))
        out[f"podcast-assets, {len(batches)} processes x {share} threads (the daemon's way)"] = [[
            ([*ours, *batch, "--json"], {"WHISPER_THREADS": str(share)}) for batch in batches]]
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--only", choices=["long", "batch"], default=None)
    parser.add_argument("--long", type=Path, default=LONG, help="the long recording (its text beside it, .txt)")
    args = parser.parse_args()
    model, cores = str(whisper_model_path("tiny.en", Path("data/models"))), available_cores()
    catalog = json.loads((CATALOG_DIR / "catalog.json").read_text())
    episodes = [e for e in catalog["episodes"] if e.get("audio_language") == "en" and e.get("script")
                and e["enclosureUrl"].endswith(".mp3") and e.get("episodeType") == "full"]
    figures = {}
    with tempfile.TemporaryDirectory() as tmp:
        def wav_of(mp3: Path) -> str:
            out = Path(tmp) / f"{mp3.stem}.wav"
            to_wav16k(mp3, out)
            return str(out)

        if args.only in (None, "long"):
            wav = wav_of(args.long)
            reference = {wav: args.long.with_suffix(".txt").read_text()}
            print(f"{args.long.name}: {seconds_of(Path(wav)) / 60:.1f} min of speech; {cores} cores")
            figures["long"] = [timed(name, runs, seconds_of(Path(wav)), reference, args.repeat, "x")
                               for name, runs in sides(model, [wav], cores, False).items()]
        if args.only in (None, "batch"):
            seen, reference = set(), {}
            for e in sorted(episodes, key=lambda e: -(e["duration"] or 0)):  # the long ones first
                name = e["enclosureUrl"].rsplit("/", 1)[-1]
                if name not in seen:
                    seen.add(name)
                    reference[wav_of(CATALOG_DIR / "audio" / name)] = e["script"]
            audio = sum(seconds_of(Path(w)) for w in reference)
            print(f"a batch of {len(reference)} sample-catalog episodes: {audio / 60:.1f} min of speech; {cores} cores")
            figures["batch"] = [timed(name, runs, audio, reference, args.repeat, "h")
                                for name, runs in sides(model, list(reference), cores, True).items()]
    for part, rows in figures.items():
        ours = [r for r in rows if r["side"].startswith("podcast-assets")]
        best_ours = max(ours, key=lambda r: r["speed"])
        for plain in (r for r in rows if r["side"].startswith("plain")):
            print(f"{part}: {best_ours['side']} is {best_ours['speed'] / plain['speed']:.2f}x {plain['side']} "
                  f"(WER {best_ours['wer'] - plain['wer']:+.3f})")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
