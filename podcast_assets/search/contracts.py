"""The passages' contract: every transcribed episode has passages, each a unit vector of the model's dimension,
its times inside its episode and in order."""

from __future__ import annotations

import pandas as pd

from podcast_assets.common.contracts import Verdict, verdict
from podcast_assets.similarities.contracts import vector_rows

TIME_SLACK_SEC = 1.0  # segment times are rounded to 10 ms and the duration to the WAV's frames


def every_transcript_has_passages(transcribed: set[str], with_passages: set[str]) -> Verdict:
    """``transcribed``: episodes whose transcript the passages' latest run could read."""
    missing = [f"episode {e}: transcribed but without passages" for e in sorted(transcribed - with_passages)]
    return verdict(len(transcribed), missing)


def passage_rows(passages: pd.DataFrame, durations: dict[str, float], dimension: int) -> Verdict:
    """``passages``: ``episode_id, passage, start, end, embedding`` of the rows just written; ``durations``: each
    episode's length in seconds (0 where unknown: only the order of the times is checked)."""
    labels = passages["episode_id"].astype(str) + " passage " + passages["passage"].astype(str)
    vectors = vector_rows(pd.DataFrame({"episode_id": labels, "embedding": passages["embedding"]}), dimension)
    times = []
    for label, eid, start, end in zip(labels, passages["episode_id"].astype(str), passages["start"], passages["end"]):
        length = float(durations.get(eid) or 0.0)
        if not 0.0 <= start <= end:
            times.append(f"episode {label}: starts at {start:.2f} s, ends at {end:.2f} s")
        elif length and end > length + TIME_SLACK_SEC:
            times.append(f"episode {label}: ends at {end:.2f} s, after the episode's {length:.2f} s")
    return verdict(len(passages), vectors.failures, times)
