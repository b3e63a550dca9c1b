import json

import pytest

from podcast_assets.transcripts.file_names import sanitise_title, unique_name
from podcast_assets.transcripts.formats import (
    TranscriptFormatError,
    parse_cues,
    parse_podcast_json,
    to_podcast_json,
    to_vtt,
)
from podcast_assets.transcripts.segments import Segment, clean_spacing
from podcast_assets_tests.wer import normalise, wer


def test_sanitised_names_cannot_escape_the_folder():
    assert sanitise_title("Why AI Will Change Everything?") == "Why_AI_Will_Change_Everything"
    assert sanitise_title("../../etc/passwd") == "etc_passwd"
    assert sanitise_title("...") == "untitled"
    assert "/" not in sanitise_title("a/b\\c") and len(sanitise_title("x" * 500)) == 100


def test_collisions_get_the_episode_id_and_owners_keep_their_name():
    taken = {"Episode_1": "100"}
    assert unique_name("Episode 1", "100", taken) == "Episode_1"
    assert unique_name("Episode 1!", "200", taken) == "Episode_1_200"


def test_vtt_round_trip_and_line_length():
    segs = [Segment(0.0, 4.0, "hello there " * 12), Segment(4.0, 6.5, "second cue")]
    vtt = to_vtt(segs)
    assert vtt.startswith("WEBVTT")
    assert max(len(line) for line in vtt.splitlines()) <= 65
    back = parse_cues(vtt)
    assert clean_spacing(" ".join(s.text for s in back)) == clean_spacing(" ".join(s.text for s in segs))
    assert back[-1].end == 6.5


def test_srt_and_podcast_json():
    srt = "1\n00:00:01,000 --> 00:00:02,500\n<i>Hi</i> there\n\n2\n00:00:03,000 --> 00:00:04,000\nBye\n"
    assert [(s.start, s.text) for s in parse_cues(srt)] == [(1.0, "Hi there"), (3.0, "Bye")]
    doc = to_podcast_json([Segment(0, 1, "a"), Segment(1, 2, "b")])
    assert json.loads(doc)["version"] == "1.0.0"
    assert [s.text for s in parse_podcast_json(doc)] == ["a", "b"]
    with pytest.raises(TranscriptFormatError):
        parse_podcast_json('{"segments": [{"body": "no time"}]}')
    with pytest.raises(TranscriptFormatError):
        parse_cues("just some text")


def test_wer_normalises_as_whisper_does():
    assert normalise("Twenty-five percent") == normalise("25%") == "25%"
    assert wer("the cat sat", "The cat sat.") == 0.0
    # fillers dropped, British spellings mapped (the normaliser's spelling list is loaded)
    assert wer("the colour of the sky", "um the color of the sky") == 0.0
    assert wer("the cat sat on the mat", "the bat sat on the mat") == pytest.approx(1 / 6)
    assert wer("the cat sat", "the bat sat down") == pytest.approx(2 / 3)  # one substitution, one insertion


def test_a_publisher_transcript_with_unsound_times_is_refused_with_the_first_bad_segment():
    from podcast_assets.transcripts.formats import check_times
    from podcast_assets.transcripts.segments import Segment

    good = [Segment(0.0, 2.0, "a"), Segment(2.0, 5.5, "b")]
    assert check_times(good, 5.0) == good  # within the slack of the decoded audio
    for segments, reason in (([Segment(float("nan"), 2.0, "a")], "segment 1 has unusable times"),
                             ([Segment(-5.0, -1.0, "a")], "segment 1 has unusable times"),
                             ([Segment(3.0, 4.0, "a"), Segment(1.0, 2.0, "b")], "segment 2 starts before"),
                             ([Segment(0.0, 90.0, "a")], "segment 1 ends past the 60 s of audio")):
        with pytest.raises(TranscriptFormatError, match=reason):
            check_times(segments, 60.0)
    with pytest.raises(TranscriptFormatError, match="nests deeper"):
        parse_podcast_json('{"segments": ' + "[" * 10_000 + "]" * 10_000 + "}")
