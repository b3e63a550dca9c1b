"""Where a WAV lives between download and transcript: on one host, and handed between hosts."""

import os
import subprocess

from podcast_assets.transcripts.audio_places import AudioPlaces


def _converted(places: AudioPlaces, episode_id: str) -> None:
    places.wav(episode_id).write_bytes(b"RIFF" + bytes(64))


def test_on_one_host_the_wav_stays_in_scratch_until_its_outcome_is_committed(tmp_path):
    places = AudioPlaces(tmp_path / "audio")
    assert not places.downloaded("e1") and places.local("e1") is None
    _converted(places, "e1")
    places.stage(places.wav("e1"))  # nothing to hand on
    assert places.downloaded("e1") and places.local("e1") == tmp_path / "audio" / "e1.wav"
    assert places.where("e1") == str(tmp_path / "audio" / "e1.wav")
    places.remove(places.wav("e1"))
    assert not places.downloaded("e1") and not list((tmp_path / "audio").rglob("*.wav"))


def test_handed_between_hosts_the_wav_goes_through_shared_storage(tmp_path):
    downloader = AudioPlaces(tmp_path / "host_a" / "audio", str(tmp_path / "shared" / "audio"))
    transcriber = AudioPlaces(tmp_path / "host_b" / "audio", str(tmp_path / "shared" / "audio"))
    _converted(downloader, "e1")
    assert not transcriber.downloaded("e1")
    downloader.stage(downloader.wav("e1"))
    # the downloader's scratch is empty again; the WAV is where the other host looks
    assert not list((tmp_path / "host_a").rglob("*.wav")) and transcriber.downloaded("e1")
    assert downloader.where("e1") == str(tmp_path / "shared" / "audio" / "e1.wav")
    local = transcriber.local("e1")
    assert local.read_bytes() == b"RIFF" + bytes(64) and local.parent.name == f"p{os.getpid()}"
    transcriber.remove(local)  # the outcome committed: neither copy is kept
    assert not list(tmp_path.rglob("*.wav"))


def test_keep_leaves_both_copies(tmp_path):
    places = AudioPlaces(tmp_path / "audio", str(tmp_path / "shared"), keep=True)
    _converted(places, "e1")
    places.stage(places.wav("e1"))
    local = places.local("e1")
    places.remove(local)
    assert local.exists() and places.downloaded("e1")


def test_the_sweep_removes_scratch_of_ended_processes_only(tmp_path):
    places = AudioPlaces(tmp_path / "audio", str(tmp_path / "shared"))
    _converted(places, "mine")
    ended = subprocess.Popen(["true"])
    ended.wait()
    (tmp_path / "audio" / f"p{ended.pid}" / "raw").mkdir(parents=True)
    (tmp_path / "audio" / f"p{ended.pid}" / "e2.wav").write_bytes(b"left by a killed step")
    (tmp_path / "audio" / "pnotapid").mkdir()
    assert places.sweep() == [f"p{ended.pid}"]
    assert places.wav("mine").exists() and (tmp_path / "audio" / "pnotapid").is_dir()
    assert not (tmp_path / "audio" / f"p{ended.pid}").exists()
    # on one host there are no per-process folders to sweep
    assert AudioPlaces(tmp_path / "audio").sweep() == []


def test_a_run_failed_for_good_forgets_its_staged_wavs_without_making_scratch(tmp_path):
    downloader = AudioPlaces(tmp_path / "worker" / "audio", str(tmp_path / "shared" / "audio"))
    for episode_id in ("e1", "e2"):
        _converted(downloader, episode_id)
        downloader.stage(downloader.wav(episode_id))
    daemon = AudioPlaces(tmp_path / "daemon" / "audio", str(tmp_path / "shared" / "audio"))
    daemon.forget(["e1", "e3"])  # e3 was never staged: nothing to remove is not an error
    assert not daemon.downloaded("e1") and daemon.downloaded("e2")
    assert not (tmp_path / "daemon").exists()  # the daemon's host holds no audio
    AudioPlaces(tmp_path / "audio").forget(["e2"])  # on one host there is nothing staged to forget
    assert daemon.downloaded("e2")
