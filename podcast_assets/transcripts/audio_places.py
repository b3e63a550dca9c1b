"""Where an episode's WAV lives between its download and its transcript.

On one host the download converts it into the data dir's ``audio/`` and the transcription reads it there. With
the steps on workers of other hosts (``runs/workers.py``) no two steps share scratch: the download leaves the WAV
in shared storage (``common/storage.py``: a folder or object storage) and the worker that transcribes copies it
into scratch of its own. There each process has its own folder, so what a killed step left behind is known by
its dead process and swept by the next step on that host."""

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from podcast_assets.common import storage


@dataclass(frozen=True)
class AudioPlaces:
    scratch: Path  # this host's audio folder
    shared: str | None = None  # the shared storage's audio folder when steps run on workers, else None
    keep: bool = False  # keep WAVs after their transcript is committed

    def wav(self, episode_id: str) -> Path:
        """The WAV in this process's scratch (the folder is created, not the file)."""
        folder = self.scratch / f"p{os.getpid()}" if self.shared else self.scratch
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{episode_id}.wav"

    def staged(self, episode_id: str) -> str:
        return storage.join(self.shared, f"{episode_id}.wav")

    def where(self, episode_id: str) -> str:
        """Where the transcription will look for the WAV (the download's metadata)."""
        return self.staged(episode_id) if self.shared else str(self.wav(episode_id))

    def stage(self, wav: Path) -> None:
        """A converted WAV handed on: copied to shared storage and removed from scratch (nothing on one host)."""
        if self.shared:
            storage.upload_file(wav, self.staged(wav.stem))
            wav.unlink(missing_ok=True)

    def downloaded(self, episode_id: str) -> bool:
        """Whether the WAV is where the transcription will look (each is written whole, so present is complete)."""
        return storage.is_file(self.staged(episode_id)) if self.shared else self.wav(episode_id).exists()

    def local(self, episode_id: str) -> Path | None:
        """The WAV in scratch: converted here, else copied down from shared storage; None when it is in neither."""
        wav = self.wav(episode_id)
        if wav.exists():
            return wav
        if self.shared and storage.is_file(self.staged(episode_id)):
            return storage.download_file(self.staged(episode_id), wav)
        return None

    def remove(self, wav: Path) -> None:
        """Once the outcome is committed the WAV has done its job (a re-run fetches it again)."""
        if not self.keep:
            wav.unlink(missing_ok=True)
            if self.shared:
                storage.remove_file(self.staged(wav.stem))

    def forget(self, episode_ids: list[str]) -> None:
        """The staged WAVs of episodes whose run failed for good (its outcome recorded without a transcript):
        nobody will take them from shared storage now; a re-run downloads again."""
        if self.shared and not self.keep:
            for episode_id in episode_ids:
                storage.remove_file(self.staged(episode_id))

    def sweep(self) -> list[str]:
        """Scratch folders of processes gone from this host removed (a step killed mid-way and run again
        elsewhere left its audio there); their names."""
        if not self.shared or not self.scratch.is_dir():
            return []
        removed = []
        for folder in self.scratch.glob("p[0-9]*"):
            try:
                os.kill(int(folder.name[1:]), 0)
            except ProcessLookupError:
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder.name)
            except (PermissionError, ValueError):  # alive (another user's process) or not a folder of ours
                continue
        return removed
