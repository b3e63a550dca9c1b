"""How the transcriber's settings were chosen: faster-whisper options timed on the *tuning* recording.

Input: ``bench/data/speech-tuning.mp3`` (7.5 minutes, other text and other voices than the report set
``speech-multivoice``; both made by ``bench/make_speech.py``). One process, the model loaded once per
thread count; each line is one configuration's transcription time (best of ``--repeat``), speed in
audio seconds per wall second, and WER. ``bench/transcribe.py`` then reports the chosen settings, whole
process each, on the other recording.
Run: ``.venv/bin/python bench/tune_transcribe.py [--repeat 1] [--only batched] [--input ...]``; the re-decoding
threshold: ``--input bench/data/speech-tuning-long.mp3 --only "plain defaults|project"`` (the project's
configurations include the model loads of their worker processes in their time).
"""

import argparse
import json
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the WER helper is beside the tests
from podcast_assets.resources.bundled_models import whisper_model_path
from podcast_assets.transcripts.audio import read_wav16k, to_wav16k
from podcast_assets.transcripts.segments import SAMPLE_RATE
from podcast_assets.transcripts.whisper import Transcriber, WhisperOptions, available_cores
from podcast_assets_tests.wer import wer

INPUT = Path(__file__).parent / "data" / "speech-tuning.mp3"

# name: (pipeline, options): "plain" is WhisperModel.transcribe, "batched" BatchedInferencePipeline.transcribe
CONFIGS = {
    "plain defaults (beam 5, no VAD)": ("plain", {}),
    "plain greedy + VAD": ("plain", {"beam_size": 1, "vad_filter": True}),
    "plain beam 5 + VAD": ("plain", {"vad_filter": True}),
    "batched 8, greedy": ("batched", {"batch_size": 8, "beam_size": 1}),
    "batched 16, greedy": ("batched", {"batch_size": 16, "beam_size": 1}),
    "batched 4, greedy": ("batched", {"batch_size": 4, "beam_size": 1}),
    "batched 8, greedy, timestamps": ("batched", {"batch_size": 8, "beam_size": 1, "without_timestamps": False}),
    "batched 8, beam 2": ("batched", {"batch_size": 8, "beam_size": 2}),
    "batched 8, beam 5": ("batched", {"batch_size": 8, "beam_size": 5}),
    "batched 8, greedy, chunk 20 s": ("batched", {"batch_size": 8, "beam_size": 1, "chunk_length": 20}),
    "batched 8, greedy, no-repeat 3": ("batched", {"batch_size": 8, "beam_size": 1, "no_repeat_ngram_size": 3}),
    "batched 8, greedy, rep. penalty 1.1": ("batched", {"batch_size": 8, "beam_size": 1, "repetition_penalty": 1.1}),
    "batched 16, beam 5": ("batched", {"batch_size": 16, "beam_size": 5}),
    "batched 32, beam 5": ("batched", {"batch_size": 32, "beam_size": 5}),
    "batched 16, beam 3": ("batched", {"batch_size": 16, "beam_size": 3}),
    "batched 16, beam 4": ("batched", {"batch_size": 16, "beam_size": 4}),
    "batched 32, greedy": ("batched", {"batch_size": 32, "beam_size": 1}),
    "batched 8, beam 3": ("batched", {"batch_size": 8, "beam_size": 3}),
    # the project's own long path (parts per thread, batch 8, beam 3), pieces decoded only in part decoded
    # again below this share of the median words per second (0: never); chosen on speech-tuning-long
    "project, no re-decoding": ("project", {"redecode_ratio": 0.0}),
    "project, re-decode below 0.5": ("project", {"redecode_ratio": 0.5}),
    "project, re-decode below 0.6": ("project", {"redecode_ratio": 0.6}),
    "project, re-decode below 0.7": ("project", {"redecode_ratio": 0.7}),
    "project, re-decode below 0.8": ("project", {"redecode_ratio": 0.8}),
    "project, re-decode below 0.9": ("project", {"redecode_ratio": 0.9}),
    # the beam of the project's long path, chosen on speech-tuning-accents (the accented voices lose most there)
    "project, beam 4": ("project", {"beam_size": 4}),
    "project, beam 5": ("project", {"beam_size": 5}),
}


def main() -> None:
    from faster_whisper import BatchedInferencePipeline, WhisperModel

    parser = argparse.ArgumentParser()
    parser.add_argument("--input", type=Path, default=INPUT)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--only", default="", help="run the configurations whose name matches this regular expression")
    parser.add_argument("--threads", type=int, default=0, help="0: the cores this process may use")
    args = parser.parse_args()
    reference = args.input.with_suffix(".txt").read_text()
    wav = Path("/tmp") / f"{args.input.stem}.wav"
    to_wav16k(args.input, wav)
    audio = read_wav16k(wav)
    seconds = len(audio) / SAMPLE_RATE
    threads = args.threads or available_cores()
    model_path = str(whisper_model_path("tiny.en", Path("data/models")))
    model = WhisperModel(model_path, device="cpu", compute_type="int8", cpu_threads=threads)
    batched = BatchedInferencePipeline(model)
    print(f"tuning input: {args.input.name}, {seconds / 60:.1f} min; {threads} threads")
    for name, (kind, options) in CONFIGS.items():
        if not re.search(args.only, name):
            continue
        best, text = float("inf"), ""
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            if kind == "project":
                transcriber = Transcriber(WhisperOptions(model_path, threads=threads, **options))
                text = transcriber.transcribe(audio)[0]
                transcriber.close()
            else:
                run = model.transcribe if kind == "plain" else batched.transcribe
                segments, _ = run(audio, language="en", **options)
                text = " ".join(s.text for s in segments)
            best = min(best, time.perf_counter() - t0)
        print(json.dumps({"config": name, "seconds": round(best, 1), "x_real_time": round(seconds / best, 1),
                          "wer": round(wer(reference, text), 3)}))


if __name__ == "__main__":
    main()
