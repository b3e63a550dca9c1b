"""The Podcast Index as a Dagster resource over the plain client in ``core``."""

from __future__ import annotations

import dagster as dg
from pydantic import Field

from podcast_assets.core.podcast_index import PodcastIndexClient


class PodcastIndexResource(dg.ConfigurableResource):
    base_url: str
    api_key: str = Field(repr=False)
    api_secret: str = Field(repr=False)
    rate_per_sec: float = 1.0
    timeout_sec: float = 15.0
    max_retries: int = 5
    backoff_base: float = 1.0

    def client(self, log=None) -> PodcastIndexClient:
        return PodcastIndexClient(self.base_url, self.api_key, self.api_secret, timeout=self.timeout_sec,
                                  max_retries=self.max_retries, rate_per_sec=self.rate_per_sec,
                                  backoff_base=self.backoff_base, log=log)
