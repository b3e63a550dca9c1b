import pytest

from podcast_assets.transcripts.chapters import MAX_CHAPTERS, parse_chapters


def test_chapters_in_time_order_hidden_ones_left_out():
    text = ('{"version": "1.2.0", "chapters": [{"startTime": 30, "title": "  Second\\n part "},'
            '{"startTime": 0, "title": "Intro", "endTime": 30}, {"startTime": 10, "title": "Ad", "toc": false}]}')
    assert parse_chapters(text) == [{"start": 0.0, "end": 30.0, "title": "Intro"},
                                    {"start": 30.0, "end": None, "title": "Second part"}]


@pytest.mark.parametrize(("text", "reason"), [
    ("<html>", "not JSON"),
    ('{"version": "1.2.0"}', 'no "chapters" list'),
    ('{"chapters": [{"startTime": "soon", "title": "x"}]}', "chapter 1's startTime is not a time"),
    ('{"chapters": [{"startTime": -1}]}', "is not a time"),
    ('{"chapters": [{"startTime": 1e999}]}', "is not a time"),
    ('{"chapters": [1]}', "chapter 1 is not an object"),
    ('{"chapters": [' + ",".join(['{"startTime": 1}'] * (MAX_CHAPTERS + 1)) + "]}", "over 1000"),
])
def test_a_broken_chapters_file_is_one_line_reason(text, reason):
    with pytest.raises(ValueError) as err:
        parse_chapters(text)
    assert reason in str(err.value) and "\n" not in str(err.value)
