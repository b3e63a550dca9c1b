import json
import subprocess
import sys

from podcast_assets.local.podcast_index_server import CATALOG_DIR


def _transcribe(path, tmp_path):
    return subprocess.run([sys.executable, "-m", "podcast_assets.cli", "transcribe", str(path), "--json"],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path,
                          env={"PATH": "/usr/bin:/bin", "PODCAST_DATA_DIR": str(tmp_path),
                               "DAGSTER_HOME": str(tmp_path / "dh")})


def test_transcribe_json_has_the_documented_fields(tmp_path):
    out = _transcribe(CATALOG_DIR / "audio" / "920005-41000041.mp3", tmp_path)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert set(doc) == {"language", "language_probability", "duration", "text", "segments"}
    assert doc["language"] == "en" and 20 < doc["duration"] < 60
    assert "bread" in doc["text"].lower() and doc["segments"][0]["start"] >= 0


def test_transcribe_reports_non_english_and_bad_files(tmp_path):
    spanish = next(CATALOG_DIR.glob("audio/920017-*.mp3"))
    out = _transcribe(spanish, tmp_path)
    assert out.returncode == 3 and json.loads(out.stdout)["language"] == "es"
    bad = _transcribe(CATALOG_DIR / "audio" / "not-really-audio.mp3", tmp_path)
    assert bad.returncode == 2 and "not decodable audio" in bad.stderr
