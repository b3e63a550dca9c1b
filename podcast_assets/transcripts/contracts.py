"""The episode status table's contract (``transcripts``, one row per episode): a transcribed episode has English
text, a duration and its JSON and WebVTT files; a refused or failed episode says why."""

from __future__ import annotations

import pandas as pd

from podcast_assets.common.contracts import Verdict, verdict

SKIPPED = "skipped_not_english"


def _problem(row, files: set[str]) -> str | None:
    status = str(row["status"] or "")
    if status == "transcribed":
        if not str(row["transcript"] or "").strip():
            return "transcribed, but its text is empty"
        if pd.isna(row["duration"]) or row["duration"] <= 0:
            return "transcribed, but without a duration"
        if row["language"] != "en":
            return f"transcribed, but its language is {row['language']!r}, not English"
        missing = [f"{row['file_stem']}{ext}" for ext in (".json", ".vtt") if f"{row['file_stem']}{ext}" not in files]
        if not row["file_stem"] or missing:
            return f"transcribed, but {', '.join(missing) or 'no transcript file'} is missing"
        return None
    if status == SKIPPED:
        return None if row["language"] and row["language"] != "en" else "skipped as not English, without a language"
    if status.startswith("failed"):
        return None if status.removeprefix("failed").strip(": ") else "failed, without a reason"
    return f"an unknown status {status[:60]!r}"


def outcome_rows(rows: pd.DataFrame, files: set[str]) -> Verdict:
    """``rows``: status rows (``episode_id``, ``status``, ``transcript``, ``duration``, ``language``,
    ``file_stem``); ``files``: the names in the data dir's ``transcripts/`` folder."""
    counts = rows["episode_id"].value_counts()
    duplicated = [f"episode {e}: {n} status rows" for e, n in counts[counts > 1].items()]
    problems = [f"episode {row['episode_id']}: {problem}" for _, row in rows.iterrows()
                if (problem := _problem(row, files))]
    return verdict(len(rows), duplicated, problems)
