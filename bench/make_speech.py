"""The transcription bench's inputs: English speech from several voices, each with its text.

The sample catalog's clips are 30 s of one voice each; a real episode is long and has several
speakers. Two recordings, sentence by sentence, each sentence in the next of four espeak-ng voices,
written as mono 16 kHz MP3 (32 kbit/s) beside its reference text:
- ``bench/data/speech-multivoice``: the report set (15.7 min). The catalog's English scripts read
  twice (the second time in other voices and at another pace). Nothing was tuned on it.
- ``bench/data/speech-tuning``: the tuning set (about 7 min). Other text (plain-prose sentences of the
  Python documentation shipped with the interpreter, ``pydoc_data``), other voices. Settings such as
  the batch size and chunk length were chosen on this one only.
- ``bench/data/speech-tuning-long``: a second tuning set (about 16 min) of the same kind, none of its text in
  the first: long enough for what only long recordings show (a 30 s piece decoded only in part, whose
  re-decoding threshold was chosen on it).
- ``bench/data/speech-holdout``: a second report set (about 16 min): other text again (sentences of the
  standard library's docstrings), four other voices, another pace. Made after the settings were chosen,
  to see whether they hold on a recording nobody looked at while choosing them.
- ``bench/data/speech-tuning-accents``: a third tuning set (about 16 min) of the holdout's kind, none of it the
  holdout's: docstrings of other modules, four other regional voices, another pace. Made because the holdout's
  accented voices lose more words than the tuning sets' voices do; the re-decoding threshold is chosen on the
  three tuning sets together, the holdout again only reported.
Needs espeak-ng (Debian package). Run once: ``.venv/bin/python bench/make_speech.py [--set tuning]``.
"""

from __future__ import annotations

import argparse
import random
import re
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

import imageio_ffmpeg

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from catalog_scripts import TOPICS

DATA = Path(__file__).parent / "data"


def catalog_sentences() -> list[str]:
    scripts = [script for shows in TOPICS.values() for _, _, script in shows]
    return [s.strip() for script in scripts for s in re.split(r"(?<=[.!?])\s+", script) if s.strip()]


def docs_sentences(words: int = 1000, skip: int = 0) -> list[str]:
    """Plain-prose sentences (letters and punctuation only, 8-30 words) of the Python documentation,
    a fixed random draw until ``words`` words, after the first ``skip`` sentences of that draw."""
    from pydoc_data.topics import topics

    text = re.sub(r"\s+", " ", " ".join(topics[k] for k in sorted(topics)))
    prose = [s for s in re.split(r"(?<=[.!?])\s+", text)
             if re.fullmatch(r"[A-Z][A-Za-z ,;'-]+[.]", s) and 8 <= len(s.split()) <= 30]
    random.Random(16).shuffle(prose)
    out, n = [], 0
    while n < words:
        out.append(prose[skip + len(out)])
        n += len(out[-1].split())
    return out


def long_docs_sentences() -> list[str]:
    """Sixteen minutes of the documentation's prose, none of it in the (short) tuning set."""
    return docs_sentences(2400, skip=len(docs_sentences()))


HOLDOUT_MODULES = ("argparse", "collections", "csv", "datetime", "email.message", "functools", "http.client", "json",
                   "logging", "pathlib", "shutil", "subprocess", "tarfile", "threading", "unittest", "zipfile")


def docstring_sentences(words: int = 2250, modules=HOLDOUT_MODULES, seed: int = 26, exclude=None) -> list[str]:
    """Plain-prose sentences (8-30 words) of the standard library's own docstrings, none of them in the tuning
    set's text (or in ``exclude``), a fixed random draw until ``words`` words."""
    import importlib
    import inspect

    tuning = set(docs_sentences()) if exclude is None else exclude
    found = set()
    for name in modules:
        module = importlib.import_module(name)
        for _, obj in inspect.getmembers(module):
            text = re.sub(r"\s+", " ", inspect.getdoc(obj) or "")
            found.update(s for s in re.split(r"(?<=[.!?])\s+", text)
                         if re.fullmatch(r"[A-Z][A-Za-z ,;'-]+[.]", s) and 8 <= len(s.split()) <= 30)
    prose = sorted(found - tuning)
    random.Random(seed).shuffle(prose)
    out, n = [], 0
    while n < words:
        out.append(prose[len(out)])
        n += len(out[-1].split())
    return out


def other_docstring_sentences() -> list[str]:
    """Docstring sentences of modules the holdout did not read, none of them in any other set."""
    taken = set(docs_sentences()) | set(long_docs_sentences()) | set(docstring_sentences())
    return docstring_sentences(2250, modules=("asyncio", "calendar", "configparser", "decimal", "enum", "gzip",
                                              "inspect", "ipaddress", "optparse", "pickle", "queue", "sqlite3",
                                              "string", "textwrap", "urllib.request", "xml.dom.minidom"),
                               seed=31, exclude=taken)


# name: (sentences, voices, paces in words per minute, one reading per pace)
SETS = {
    "multivoice": (catalog_sentences, ("en-us+m3", "en-gb+f2", "en-us+f4", "en-gb-scotland+m1"), (150, 132)),
    "tuning": (docs_sentences, ("en-us+m1", "en-gb+f3", "en-us+f2", "en-gb-x-rp+m4"), (145,)),
    "tuning-long": (long_docs_sentences, ("en-us+m1", "en-gb+f3", "en-us+f2", "en-gb-x-rp+m4"), (150,)),
    "holdout": (docstring_sentences, ("en-us+m6", "en-gb-x-gbcwmd+f1", "en-029+m2", "en-us+f5"), (155,)),
    "tuning-accents": (other_docstring_sentences, ("en-gb-x-gbclan+m2", "en-us-nyc+f3", "en-gb-scotland+f1",
                                                   "en-029+f4"), (160,)),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--set", choices=sorted(SETS), default="multivoice")
    args = parser.parse_args()
    make_sentences, voices, paces = SETS[args.set]
    out = DATA / f"speech-{args.set}"
    said, pcm = [], b""
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "s.wav"
        for reading, pace in enumerate(paces):
            for i, text in enumerate(make_sentences()):
                voice = voices[(i + reading) % len(voices)]
                subprocess.run(["espeak-ng", "-v", voice, "-s", str(pace), "-w", str(wav), text], check=True)
                with wave.open(str(wav), "rb") as w:
                    rate = w.getframerate()
                    pcm += w.readframes(w.getnframes()) + b"\0\0" * int(rate * 0.35)  # a pause between speakers
                said.append(text)
        joined = Path(tmp) / "all.wav"
        with wave.open(str(joined), "wb") as w:
            w.setnchannels(1), w.setsampwidth(2), w.setframerate(rate)
            w.writeframes(pcm)
        out.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-y", "-i", str(joined), "-ac", "1",
                        "-ar", "16000", "-b:a", "32k", str(out.with_suffix(".mp3"))], check=True)
    out.with_suffix(".txt").write_text(" ".join(said) + "\n")
    seconds = len(pcm) / 2 / rate
    print(f"{len(said)} sentences, {len(voices)} voices, {seconds / 60:.1f} min -> {out.with_suffix('.mp3')} "
          f"({out.with_suffix('.mp3').stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
