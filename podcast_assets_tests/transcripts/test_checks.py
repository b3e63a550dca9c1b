"""The episode status table's contract on the sample catalog's real transcription runs: the latest run's
outcomes pass; a transcript whose WebVTT file is
gone, an empty text and a failure without its reason each fail, naming the episode."""

import shutil

import dagster as dg
import pandas as pd
import pyarrow as pa
from deltalake import DeltaTable, write_deltalake

from podcast_assets.transcripts.assets import transcripts
from podcast_assets.transcripts.checks import outcomes_are_complete
from podcast_assets.transcripts.outcomes import TRANSCRIPT_SCHEMA
from podcast_assets_tests.helpers import resources_for


def _check(instance, settings) -> dg.AssetCheckEvaluation:
    result = dg.materialize([transcripts, outcomes_are_complete], instance=instance, resources=resources_for(settings),
                            selection=dg.AssetSelection.checks(outcomes_are_complete))
    [evaluation] = result.get_asset_check_evaluations()
    return evaluation


def test_the_latest_runs_outcomes_pass_and_a_missing_file_an_empty_text_or_a_reasonless_failure_fail(
        transcribed, tmp_path):
    ingested, instance, _, _ = transcribed
    # a copy of the data dir: the session's transcripts stay as they are for the other tests
    shutil.copytree(ingested.data_dir, tmp_path / "data")
    settings = ingested.replace(PODCAST_DATA_DIR=str(tmp_path / "data"))
    uri = settings.delta_path("transcripts")
    rows = DeltaTable(uri).to_pandas().set_index("episode_id")
    latest = instance.get_run_record_by_id(instance.get_latest_materialization_event(transcripts.key).run_id)
    since = pd.Timestamp(latest.start_time, unit="s", tz="UTC")
    new = rows[rows["created_at"] >= since]
    clean = _check(instance, settings)
    assert clean.passed and clean.metadata["checked"].value == len(new) > 0, clean.description
    assert clean.metadata["by_status"].value == new["status"].str.split(":").str[0].value_counts().to_dict()

    done = rows[rows["status"] == "transcribed"].index
    failed = rows[rows["status"].str.startswith("failed")].index[0]
    (settings.data_dir / "transcripts" / f"{rows.loc[done[0], 'file_stem']}.vtt").unlink()
    # an empty text and a failure without its reason, written as if by the latest run (the check reads the
    # rows written since its start)
    table = rows.reset_index()
    table.loc[table["episode_id"] == done[1], "transcript"] = ""
    table.loc[table["episode_id"] == failed, "status"] = "failed"
    table.loc[table["episode_id"].isin([done[0], done[1], failed]), "created_at"] = pd.Timestamp.now(tz="UTC")
    write_deltalake(uri, pa.Table.from_pandas(table, TRANSCRIPT_SCHEMA, preserve_index=False), mode="overwrite")
    broken = _check(instance, settings)
    examples = broken.metadata["examples"].value
    assert not broken.passed and broken.metadata["failed"].value == 3, broken.description
    assert f"episode {done[0]}: transcribed, but {rows.loc[done[0], 'file_stem']}.vtt is missing" in examples
    assert f"episode {done[1]}: transcribed, but its text is empty" in examples
    assert f"episode {failed}: failed, without a reason" in examples


def test_a_transcribed_row_without_a_duration_fails():
    from podcast_assets.transcripts.contracts import outcome_rows

    row = {"episode_id": "a", "status": "transcribed", "transcript": "words", "duration": float("nan"),
           "language": "en", "file_stem": "a"}
    assert outcome_rows(pd.DataFrame([row]), {"a.json", "a.vtt"}).failures == (
        "episode a: transcribed, but without a duration",)
    assert outcome_rows(pd.DataFrame([{**row, "duration": 12.0}]), {"a.json", "a.vtt"}).passed
