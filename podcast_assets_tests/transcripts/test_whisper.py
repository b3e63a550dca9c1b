"""The transcriber's share of the machine: the cores this process may use, never more."""

import os
from pathlib import Path

from podcast_assets.resources.whisper import WhisperResource
from podcast_assets.transcripts.whisper import available_cores


def test_available_cores_follows_the_cgroup_quota(tmp_path):
    affinity = len(os.sched_getaffinity(0))
    assert available_cores(tmp_path) == affinity  # no cgroup files: the affinity mask
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert available_cores(tmp_path) == affinity
    (tmp_path / "cpu.max").write_text("50000 100000\n")  # half a CPU: still one thread
    assert available_cores(tmp_path) == 1
    (tmp_path / "cpu.max").write_text(f"{(affinity + 8) * 100000} 100000\n")  # a quota above the mask
    assert available_cores(tmp_path) == affinity
    (tmp_path / "cpu.max").unlink()
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("100000\n")  # cgroup v1: one CPU
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert available_cores(tmp_path) == 1


def test_transcription_runs_share_the_cores_without_oversubscribing():
    cores = available_cores()
    shared = WhisperResource(cache_dir="unused", transcription_runs=2)
    assert shared.thread_count() == max(1, cores // 2) and shared.thread_count(alone=True) == cores
    assert WhisperResource(cache_dir="unused", threads=3).thread_count() == 3


def test_quiet_cuts_fall_in_the_pauses_and_cover_the_audio():
    import numpy as np

    from podcast_assets.transcripts.segments import SAMPLE_RATE
    from podcast_assets.transcripts.split import quiet_cuts

    rng = np.random.default_rng(0)
    speech = lambda sec: rng.normal(0, 0.3, int(sec * SAMPLE_RATE)).astype(np.float32)  # noqa: E731
    pause = np.zeros(int(0.4 * SAMPLE_RATE), np.float32)
    audio = np.concatenate([speech(57), pause, speech(40), pause, speech(22)])  # pauses near 57 s and 97 s
    two = quiet_cuts(audio, 2)
    assert len(two) == 2 and two[0][0] == 0 and two[-1][1] == len(audio) and two[0][1] == two[1][0]
    assert abs(two[0][1] / SAMPLE_RATE - 57.2) < 0.2  # the pause 3 s from the even split, not the split itself
    three = quiet_cuts(audio, 3)  # no pause within 10 s of 40 s or 80 s: cut anyway, in order
    assert len(three) == 3 and all(a < b for a, b in three) and three[-1][1] == len(audio)
    assert quiet_cuts(audio[: 30 * SAMPLE_RATE], 2) == [(0, 30 * SAMPLE_RATE)]  # too short to cut
    assert quiet_cuts(audio, 1) == [(0, len(audio))]


def test_pieces_decoded_only_in_part_are_found_by_their_words_per_second():
    from podcast_assets.transcripts.segments import Segment, short_pieces

    def words(n: int) -> str:
        return " ".join(["word"] * n)

    pieces = [Segment(0, 30, words(75)), Segment(30, 60, words(72)), Segment(60, 90, words(30)),
              Segment(90, 95, words(2)), Segment(95, 125, words(78))]
    assert short_pieces(pieces, 0.7) == [2]  # 1 word/s where the others say 2.5; a 5 s piece is not judged
    assert short_pieces(pieces, 0.3) == [] and short_pieces([], 0.7) == [] and short_pieces(pieces[3:4], 0.7) == []


def test_a_piece_decoded_only_in_part_is_decoded_again_and_its_words_come_back(tmp_path):
    """Four minutes of the holdout recording (``bench/make_speech.py``), in one process with the real model:
    without timestamp tokens two of its 30 s pieces end early. Decoded again in halves, the transcript holds
    words it lacked, and scores better against what was said."""
    import jiwer

    from podcast_assets.resources.bundled_models import whisper_model_path
    from podcast_assets.transcripts.audio import read_wav16k, to_wav16k
    from podcast_assets.transcripts.segments import SAMPLE_RATE
    from podcast_assets.transcripts.whisper import Transcriber, WhisperOptions
    from podcast_assets_tests.wer import normalise

    mp3 = Path(__file__).resolve().parents[2] / "bench" / "data" / "speech-holdout.mp3"
    to_wav16k(mp3, tmp_path / "a.wav")
    audio = read_wav16k(tmp_path / "a.wav")[: 240 * SAMPLE_RATE]
    said = normalise(mp3.with_suffix(".txt").read_text())
    model = whisper_model_path("tiny.en", tmp_path)
    texts = {}
    for ratio in (0.0, 0.7):
        transcriber = Transcriber(WhisperOptions(model, threads=1, redecode_ratio=ratio))
        texts[ratio] = normalise(transcriber.transcribe(audio)[0])
        transcriber.close()
    words = {r: len(t.split()) for r, t in texts.items()}
    # the hits against what was said (the text goes on past four minutes: only its start is compared)
    hits = {r: jiwer.process_words(" ".join(said.split()[: words[0.7] + 40]), t).hits for r, t in texts.items()}
    assert words[0.7] >= words[0.0] + 15 and hits[0.7] >= hits[0.0] + 10, (words, hits)  # seen: +26 words, +19 hits
