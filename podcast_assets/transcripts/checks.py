"""Asset checks of the transcription stage."""

import datetime as dt

import dagster as dg
import pandas as pd

from podcast_assets.common import storage
from podcast_assets.resources.delta import DataDir, DeltaTables
from podcast_assets.runs.check_results import check_result, latest_materialization
from podcast_assets.transcripts.assets import transcripts
from podcast_assets.transcripts.contracts import outcome_rows

COLUMNS = ["episode_id", "status", "transcript", "duration", "language", "file_stem", "created_at"]


@dg.asset_check(asset=transcripts,
                description="The outcomes the latest run recorded (one run may hold several episodes): a transcribed "
                            "episode has English text, a duration and its JSON and WebVTT files; a refused or failed "
                            "one says why; one status row per episode")
def outcomes_are_complete(context: dg.AssetCheckExecutionContext, delta: DeltaTables,
                          files: DataDir) -> dg.AssetCheckResult:
    started = latest_materialization(context, transcripts.key).started
    if started is None:
        return dg.AssetCheckResult(passed=True, description="no episode transcribed yet")
    since = dt.datetime.fromtimestamp(started, dt.UTC)
    # one row per episode, a small table: read whole and filtered here. (A filter pushed down to the files
    # fails on this table: delta-rs's merge and update write its strings as string_view, which pyarrow's
    # dataset filters cannot compare with a plain string.)
    table = delta.pandas("transcripts", COLUMNS)
    ids = set(table.loc[pd.to_datetime(table["created_at"], utc=True) >= since, "episode_id"])
    # the same episodes' rows across the whole table: a second row of one shows here
    same = table[table["episode_id"].isin(ids)]
    names = set(storage.names(files.artefacts("transcripts")))
    return check_result(outcome_rows(same, names), "episode outcomes", since=since.isoformat(timespec="seconds"),
                        by_status=dg.MetadataValue.json(same["status"].str.split(":").str[0].value_counts().to_dict()))
