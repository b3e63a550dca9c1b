"""The one Definitions object of the code location."""

from __future__ import annotations

import dagster as dg

from podcast_assets.assets import ingest

from podcast_assets.resources.factory import build_resources
from podcast_assets.settings import get_settings

settings = get_settings()

defs = dg.Definitions(
    assets=dg.load_assets_from_modules([ingest]),
    resources=build_resources(settings),
)
