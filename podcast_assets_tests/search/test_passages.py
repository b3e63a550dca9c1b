"""Passages along segment times, as plain logic: about 30-60 s, a segment never split, a short tail joined."""

import pandas as pd

from podcast_assets.search.passages import cut, mmss, pending


def segments(*bounds):
    return [{"start": a, "end": b, "text": f"words {a}."} for a, b in bounds]


def test_segments_group_into_passages_of_thirty_to_sixty_seconds_and_never_split():
    every_ten = segments(*[(t, t + 10.0) for t in range(0, 200, 10)])
    passages = cut(every_ten)
    # the last 20 s are a tail: it joins the passage before it (50 s together)
    assert [(p.start, p.end) for p in passages] == [(0, 30), (30, 60), (60, 90), (90, 120), (120, 150), (150, 200)]
    assert passages[0].text == "words 0. words 10. words 20."
    # a segment that would take a passage past 60 s starts the next one; one longer segment stands alone
    assert [(p.start, p.end) for p in cut(segments((0, 25), (25, 70), (70, 75)))] == [(0, 25), (25, 75)]
    assert [(p.start, p.end) for p in cut(segments((0, 5), (5, 90)))] == [(0, 5), (5, 90)]


def test_a_short_episode_is_one_passage_and_a_short_tail_joins_the_one_before():
    assert [(p.start, p.end) for p in cut(segments((0, 8), (8, 17), (17, 26)))] == [(0, 26)]
    assert [(p.start, p.end) for p in cut(segments((0, 15), (15, 31), (31, 40)))] == [(0, 40)]
    assert cut([{"start": 0, "end": 3, "text": "  "}]) == []


def test_start_times_read_as_minutes_and_seconds():
    assert (mmss(0), mmss(75.9), mmss(3725)) == ("0:00", "1:15", "1:02:05")


def test_new_and_remade_transcripts_are_pending_and_lost_ones_are_removed():
    t = pd.Timestamp("2026-01-01", tz="UTC")
    transcripts = pd.DataFrame({"episode_id": ["a", "b", "c", "d"], "status": ["transcribed"] * 3 + ["failed: x"],
                                "created_at": [t, t + pd.Timedelta(hours=1), t, t]})
    passages = pd.DataFrame({"episode_id": ["a", "b", "d"], "model": ["m"] * 3, "transcript_created_at": [t] * 3})
    assert pending(transcripts, passages, "m") == (["b", "c"], ["d"])
    assert pending(transcripts, passages, "other") == (["a", "b", "c"], ["d"])
