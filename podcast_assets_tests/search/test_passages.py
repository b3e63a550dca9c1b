"""Passages along segment times, as plain logic: about 30-60 s, a segment never split, a short tail joined."""

import pandas as pd

from podcast_assets.search.passages import cut, mmss, pending


def segments(*bounds):
    return [{"start": a, "end": b, "text": f"words {a}."} for a, b in bounds]


def test_segments_group_into_passages_of_thirty_to_sixty_seconds_and_never_split():
    every_ten = segments(*[(t, t + 10.0) for t in range(0, 200, 10)])
    passages = cut(every_ten, overlap=False)
    # the last 20 s are a tail: it joins the passage before it (50 s together)
    assert [(p.start, p.end) for p in passages] == [(0, 30), (30, 60), (60, 90), (90, 120), (120, 150), (150, 200)]
    assert passages[0].text == "words 0. words 10. words 20."
    # a segment that would take a passage past 60 s starts the next one; one longer segment stands alone
    assert [(p.start, p.end) for p in cut(segments((0, 25), (25, 70), (70, 75)))] == [(0, 25), (25, 75)]
    assert [(p.start, p.end) for p in cut(segments((0, 5), (5, 90)))] == [(0, 5), (5, 90)]


def test_overlapping_passages_start_at_the_segment_that_holds_the_middle_of_the_one_before():
    every_ten = segments(*[(t, t + 10.0) for t in range(0, 100, 10)])
    assert [(p.start, p.end) for p in cut(every_ten)] == [(0, 30), (10, 40), (20, 50), (30, 60), (40, 70),
                                                          (50, 80), (60, 100)]
    # Whisper's batched segments are up to 30 s: two per passage, stepping one segment at a time
    halves = segments((0, 28), (28, 57), (57, 86), (86, 100))
    assert [(p.start, p.end) for p in cut(halves)] == [(0, 57), (28, 86), (57, 100)]


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


def test_overlapping_hits_of_one_moment_show_once():
    from podcast_assets.search.index import distinct_moments

    hits = [{"episode_id": "a", "start": 30, "end": 60}, {"episode_id": "a", "start": 45, "end": 90},
            {"episode_id": "b", "start": 30, "end": 60}, {"episode_id": "a", "start": 60, "end": 90}]
    assert distinct_moments(hits, 3) == [hits[0], hits[2], hits[3]]


def test_a_match_is_timed_to_the_segment_it_starts_in():
    from podcast_assets.search.passages import moment

    [p] = cut([{"start": 10.0, "end": 20.0, "text": " The Moon. "}, {"start": 20.0, "end": 35.0, "text": "Tides  rise."}])
    assert p.text == "The Moon. Tides rise." and p.segment_starts == (10.0, 20.0) and p.segment_offsets == (0, 10)
    assert moment(p.text, p.segment_starts, p.segment_offsets, "Tides rise.") == 20.0
    assert moment(p.text, p.segment_starts, p.segment_offsets, "The Moon.") == 10.0
    assert moment(p.text, p.segment_starts, p.segment_offsets, "absent") is None


def test_a_passage_inside_the_one_before_is_not_made_again():
    # the middle of (0, 45) falls in the long second segment, and (1, 45) would hold nothing new: the next
    # passage starts where (0, 45) ends
    got = [(p.start, p.end) for p in cut(segments((0, 1), (1, 29), (29, 45), (45, 80), (80, 90)))]
    assert got == [(0, 45), (45, 90)]


def test_search_ranks_best_first_across_blocks_and_asks_for_nothing_when_k_is_zero():
    import numpy as np

    from podcast_assets.search.index import best, distinct_moments

    rng = np.random.default_rng(1)
    passages = rng.standard_normal((50, 8)).astype(np.float32)
    query = rng.standard_normal(8).astype(np.float32)
    rows, sims = best(query, passages, 60, block=16)  # k above the passages, several blocks
    assert rows.shape == (1, 50) and (rows[0] == np.argsort(-(passages @ query), kind="stable")).all()
    assert (np.diff(sims[0]) <= 0).all()
    assert best(query, passages, 0)[0].shape == (1, 0) and distinct_moments([{"episode_id": "a", "start": 0,
                                                                                 "end": 1}], 0) == []
