"""The transcriber's share of the machine: the cores this process may use, never more."""

import os

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
