"""Asset checks of the ingest stage."""

import dagster as dg
import pandas as pd

from podcast_assets.ingest.assets import episodes, feed_episodes
from podcast_assets.ingest.contracts import episode_rows, feeds_readable
from podcast_assets.ingest.feed_tables import FEED_TABLES
from podcast_assets.resources.delta import DeltaTables
from podcast_assets.runs.check_results import check_result


@dg.asset_check(asset=episodes, blocking=True,
                description="One row per episode id, each with an http(s) audio URL (or a private feed's "
                            "reference to one); the catalogue and the transcription runs never see a broken one")
def episodes_are_well_formed(episodes: pd.DataFrame) -> dg.AssetCheckResult:
    return check_result(episode_rows(episodes), "episodes")


@dg.asset_check(asset=feed_episodes, description="Every followed feed's latest poll read it: a feed refused (unsafe "
                                                  "XML, over the byte cap, too slow) or dead shows here with its reason")
def followed_feeds_are_readable(delta: DeltaTables) -> dg.AssetCheckResult:
    polls = delta.pandas(FEED_TABLES["polls"], ["feed_url", "outcome", "polled_at"])
    latest = polls.sort_values("polled_at", kind="stable").drop_duplicates("feed_url", keep="last")
    followed = delta.pandas("feeds", ["feed_url"])["feed_url"].tolist()
    # a feed the poll could not read costs its new episodes, not the others': a warning, not a failure
    return check_result(feeds_readable(latest.to_dict("records"), followed), "followed feeds",
                        severity=dg.AssetCheckSeverity.WARN)
