"""Asset checks of the ingest stage."""

import dagster as dg
import pandas as pd

from podcast_assets.ingest.assets import episodes
from podcast_assets.ingest.contracts import episode_rows
from podcast_assets.runs.check_results import check_result


@dg.asset_check(asset=episodes, blocking=True,
                description="One row per episode id, each with an http(s) audio URL; the catalogue and the "
                            "transcription runs never see a broken one")
def episodes_are_well_formed(episodes: pd.DataFrame) -> dg.AssetCheckResult:
    return check_result(episode_rows(episodes), "episodes")
