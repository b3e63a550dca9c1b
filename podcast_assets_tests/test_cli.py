import json
import subprocess
import sys
from pathlib import Path

from podcast_assets.local.podcast_index_server import CATALOG_DIR


def _transcribe(path, tmp_path, *more):
    return subprocess.run([sys.executable, "-m", "podcast_assets.cli", "transcribe", str(path), *map(str, more), "--json"],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path,
                          env={"PATH": "/usr/bin:/bin", "PODCAST_DATA_DIR": str(tmp_path),
                               "DAGSTER_HOME": str(tmp_path / "dh")})


def test_transcribe_json_has_the_documented_fields(tmp_path):
    out = _transcribe(CATALOG_DIR / "audio" / "920005-41000041.mp3", tmp_path)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert set(doc) == {"source", "language", "language_probability", "duration", "text", "segments"}
    assert doc["language"] == "en" and 20 < doc["duration"] < 60
    assert "bread" in doc["text"].lower() and doc["segments"][0]["start"] >= 0


def test_transcribe_reports_non_english_and_bad_files(tmp_path):
    spanish = next(CATALOG_DIR.glob("audio/920017-*.mp3"))
    out = _transcribe(spanish, tmp_path)
    assert out.returncode == 3 and json.loads(out.stdout)["language"] == "es"
    bad = _transcribe(CATALOG_DIR / "audio" / "not-really-audio.mp3", tmp_path)
    assert bad.returncode == 2 and "not decodable audio" in bad.stderr


def test_transcribe_several_files_in_one_process(tmp_path):
    """The models load once for all of them; each file gets its own line, a bad one its own error."""
    bread, spanish = CATALOG_DIR / "audio" / "920005-41000041.mp3", next(CATALOG_DIR.glob("audio/920017-*.mp3"))
    out = _transcribe(bread, tmp_path, CATALOG_DIR / "audio" / "not-really-audio.mp3", spanish)
    docs = [json.loads(line) for line in out.stdout.splitlines()]
    assert [d["source"] for d in docs] == [str(bread), str(spanish)]
    assert "bread" in docs[0]["text"].lower() and docs[1]["language"] == "es" and docs[1]["text"] == ""
    assert "not-really-audio.mp3 is not decodable audio" in out.stderr and out.returncode == 3


def test_german_and_french_speech_is_refused_on_the_audio(tmp_path):
    data = Path(__file__).parent / "data"  # made by data/make_foreign_speech.sh
    out = _transcribe(data / "german.mp3", tmp_path, data / "french.mp3")
    docs = {Path(d["source"]).stem: d for d in map(json.loads, out.stdout.splitlines())}
    assert docs["german"]["language"] == "de" and docs["french"]["language"] == "fr", out.stdout
    assert all(d["skipped"] and d["text"] == "" for d in docs.values()) and out.returncode == 3


def test_a_long_episode_is_cut_into_parts_and_stitched_in_order(tmp_path):
    """10.8 minutes in three voices: on a machine with two or more cores it goes to one worker per core,
    cut at a pause; the segments come back in order, cover the episode and read as the script."""
    from podcast_assets_tests.wer import wer

    catalog = json.loads((CATALOG_DIR / "catalog.json").read_text())
    long = next(e for e in catalog["episodes"] if e["feedTitle"] == "The Long Night")
    out = _transcribe(CATALOG_DIR / "audio" / long["enclosureUrl"].rsplit("/", 1)[-1], tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    doc = json.loads(out.stdout)
    starts = [s["start"] for s in doc["segments"]]
    assert doc["duration"] > 600 and starts == sorted(starts) and doc["segments"][-1]["end"] > 600
    assert all(s["end"] - s["start"] <= 30.5 for s in doc["segments"])  # pieces of at most 30 s
    assert wer(long["script"], doc["text"]) < 0.2  # the bound of every clip (transcripts/test_assets.py)
