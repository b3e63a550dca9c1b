"""What feeds point at (episode audio, publisher transcripts), fetched within this deployment's limits."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from podcast_assets.settings import DEFAULTS as D
from podcast_assets.transcripts.fetch import download, fetch_text


class FeedFetcherResource(dg.ConfigurableResource):
    max_audio_bytes: int = D.AUDIO_MAX_BYTES
    audio_timeout_sec: float = D.AUDIO_TIMEOUT_SEC
    max_transcript_bytes: int = 5_000_000
    transcript_timeout_sec: float = 15.0

    def download_audio(self, url: str, dest: Path) -> Path:
        return download(url, dest, max_bytes=self.max_audio_bytes, timeout=self.audio_timeout_sec)

    def transcript_text(self, url: str) -> str | None:
        return fetch_text(url, max_bytes=self.max_transcript_bytes, timeout=self.transcript_timeout_sec)
