"""The Podcast Index as a resource: where it is, the credentials, and what a trending ingest takes."""

from __future__ import annotations

import dagster as dg
from pydantic import Field

from podcast_assets.ingest.podcast_index import PodcastIndexClient
from podcast_assets.settings import DEFAULTS as D


class PodcastIndexResource(dg.ConfigurableResource):
    base_url: str
    api_key: str = Field(repr=False)
    api_secret: str = Field(repr=False)
    rate_per_sec: float = D.PODCAST_INDEX_RATE_PER_SEC
    timeout_sec: float = D.PODCAST_INDEX_TIMEOUT_SEC
    max_retries: int = D.PODCAST_INDEX_MAX_RETRIES
    backoff_base: float = 1.0
    # the defaults of every ingest run (scheduled or manual); a run's config may override them
    trending_max: int = D.TRENDING_MAX
    language_prefix: str = D.LANGUAGE_PREFIX
    episodes_per_show: int = D.EPISODES_PER_SHOW

    def client(self, log=None) -> PodcastIndexClient:
        return PodcastIndexClient(self.base_url, self.api_key, self.api_secret, timeout=self.timeout_sec,
                                  max_retries=self.max_retries, rate_per_sec=self.rate_per_sec,
                                  backoff_base=self.backoff_base, log=log)
