"""Asset checks of the search stage: the passages the latest run wrote, and every transcript's coverage."""

import datetime as dt
import time

import dagster as dg
import pandas as pd

from podcast_assets.common.contracts import verdict
from podcast_assets.resources.delta import DeltaTables
from podcast_assets.resources.embedder import EmbedderResource
from podcast_assets.runs.check_results import check_result, latest_materialization
from podcast_assets.search.assets import transcript_passages
from podcast_assets.search.contracts import every_transcript_has_passages, passage_rows


@dg.asset_check(asset=transcript_passages,
                description="Every episode transcribed before the latest run has passages of the model; the passages "
                            "that run wrote are unit vectors of the model's dimension, inside their episode's time")
def passages_cover_every_transcript(context: dg.AssetCheckExecutionContext, delta: DeltaTables,
                                    embedder: EmbedderResource) -> dg.AssetCheckResult:
    latest = latest_materialization(context, transcript_passages.key)
    # the start of the run that wrote the latest passages (now, checked alone before any: every transcript counts)
    since = pd.Timestamp(dt.datetime.fromtimestamp(latest.started if latest.started is not None else time.time(), dt.UTC))
    transcripts = delta.pandas("transcripts", ["episode_id", "status", "created_at", "duration"])
    done = transcripts[transcripts["status"] == "transcribed"]
    # a transcript made after the run started waits for the next run
    readable = set(done.loc[pd.to_datetime(done["created_at"], utc=True) < since, "episode_id"])
    model = embedder.model_name
    held = delta.pandas("transcript_passages", ["episode_id", "model"], filters=[("model", "=", model)])
    new = delta.pandas("transcript_passages", ["episode_id", "passage", "start", "end", "embedding", "created_at"],
                       filters=[("model", "=", model), ("created_at", ">=", since.to_pydatetime())])
    coverage = every_transcript_has_passages(readable, set(held["episode_id"]))
    rows = passage_rows(new, dict(zip(done["episode_id"], done["duration"])), embedder.dimension())
    return check_result(verdict(coverage.checked + rows.checked, coverage.failures, rows.failures),
                        "transcripts and new passages", transcribed=len(readable), new_passages=rows.checked)
