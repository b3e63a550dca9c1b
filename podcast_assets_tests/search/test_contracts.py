"""The passages' contract on plain rows: a missing episode, a vector off the unit sphere or of the wrong size, and
a passage outside its episode's time are each named."""

import numpy as np
import pandas as pd

from podcast_assets.search.contracts import every_transcript_has_passages, passage_rows


def rows(*passages) -> pd.DataFrame:
    return pd.DataFrame(passages, columns=["episode_id", "passage", "start", "end", "embedding"])


def unit(n=4, i=0):
    v = np.zeros(n, dtype=np.float32)
    v[i] = 1.0
    return v


def test_good_passages_hold():
    good = rows(("e1", 0, 0.0, 40.0, unit()), ("e1", 1, 35.0, 90.5, unit(i=1)))
    v = passage_rows(good, {"e1": 90.0}, 4)  # within the slack of the rounded duration
    assert v.passed and v.checked == 2, v.failures


def test_broken_passages_are_named():
    bad = rows(("e1", 0, 0.0, 40.0, unit() * 2), ("e1", 1, 30.0, 20.0, unit()), ("e2", 0, 0.0, 700.0, unit()),
               ("e2", 1, 0.0, 10.0, unit(3)[:3]))
    v = passage_rows(bad, {"e1": 100.0, "e2": 600.0}, 4)
    assert not v.passed
    assert set(v.failures) == {"episode e1 passage 0: norm 2.0000, not 1", "episode e1 passage 1: starts at 30.00 s, "
                               "ends at 20.00 s", "episode e2 passage 0: ends at 700.00 s, after the episode's 600.00 s",
                               "episode e2 passage 1: 3 dimensions, the model has 4"}


def test_a_transcribed_episode_without_passages_is_named():
    v = every_transcript_has_passages({"e1", "e2", "e3"}, {"e1", "e3", "gone"})
    assert v.checked == 3 and v.failures == ("episode e2: transcribed but without passages",)
