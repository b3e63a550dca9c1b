"""The episode status table on a real Delta table: one row per episode, and which outcomes a retried run keeps."""

import datetime as dt

from podcast_assets.transcripts.outcomes import killed_outcome, outcome_row, outcomes_since, record


def test_one_row_per_episode_and_the_outcomes_since_a_run_started(tmp_path):
    uri = str(tmp_path / "transcripts")
    assert outcomes_since(uri, ["e1"], None) == {}  # no table yet
    record(uri, [outcome_row({"episode_title": "One"}, "e1", "transcribed"), outcome_row({}, "e2", "failed: dead URL")])
    started = dt.datetime.now(dt.UTC)
    record(uri, [outcome_row({}, "e3", "skipped_not_english"), outcome_row({}, "e2", "transcribed")])
    assert outcomes_since(uri, ["e1", "e2", "e3", "e4"], None) == {"e1": "transcribed", "e2": "transcribed",
                                                                   "e3": "skipped_not_english"}
    # a retry of a run that started at ``started`` keeps e2 and e3 (written since), not e1 (an older outcome)
    assert outcomes_since(uri, ["e1", "e2", "e3"], started) == {"e2": "transcribed", "e3": "skipped_not_english"}
    assert outcomes_since(uri, ["e3"], started) == {"e3": "skipped_not_english"}


def test_the_outcome_of_an_episode_whose_runs_were_all_killed():
    assert killed_outcome(3) == "failed: run killed 3 times"
    assert killed_outcome(1, "out of memory") == "failed: run killed 1 time (out of memory)"
