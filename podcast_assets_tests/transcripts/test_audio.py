"""Download and conversion against the local server's real files."""

import pytest

from podcast_assets.transcripts.audio import read_wav16k, to_wav16k
from podcast_assets.transcripts.fetch import AudioError, download
from podcast_assets.transcripts.guarded_http import FetchPolicy

LOCAL = FetchPolicy(max_bytes=10_000_000, deadline_s=30, any_address=True)


def base(settings):
    return settings.podcast_index_url.rsplit("/api/", 1)[0]


def test_download_and_convert_to_wav_mono_16k(settings, tmp_path):
    raw = download(f"{base(settings)}/audio/920001-41000001.mp3", tmp_path / "a.mp3", LOCAL)
    duration = to_wav16k(raw, tmp_path / "a.wav")
    assert 20 <= duration <= 60
    audio = read_wav16k(tmp_path / "a.wav")
    assert abs(len(audio) / 16000 - duration) < 0.1
    from faster_whisper import decode_audio

    assert abs(audio - decode_audio(str(tmp_path / "a.wav"), 16000)).max() < 1e-4  # the samples PyAV decodes
    with open(tmp_path / "a.wav", "rb") as f:
        header = f.read(44)
    assert header[22] == 1 and int.from_bytes(header[24:28], "little") == 16000  # mono, 16 kHz
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.mp3", "a.wav"]


def test_non_audio_body_is_not_decodable(settings, tmp_path):
    raw = download(f"{base(settings)}/audio/not-really-audio.mp3", tmp_path / "x.mp3", LOCAL)
    with pytest.raises(AudioError, match="not decodable audio"):
        to_wav16k(raw, tmp_path / "x.wav")
    assert not (tmp_path / "x.wav").exists() and not any(p.name.startswith(".") for p in tmp_path.iterdir())
