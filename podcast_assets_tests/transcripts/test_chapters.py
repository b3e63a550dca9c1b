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


def test_chapters_lie_inside_the_episode_and_a_file_nested_deep_is_refused_in_one_line():
    text = '{"chapters": [{"startTime": 0, "title": "a", "endTime": 65}, {"startTime": 50, "title": "b"}]}'
    assert parse_chapters(text, 60.0) == [{"start": 0.0, "end": 60.0, "title": "a"}, {"start": 50.0, "end": None, "title": "b"}]
    with pytest.raises(ValueError, match="starts past the end of the 40 s episode"):
        parse_chapters(text, 40.0)
    with pytest.raises(ValueError, match="ends before it starts"):
        parse_chapters('{"chapters": [{"startTime": 9, "endTime": 3}]}')
    for deep in ("[" * 100_000 + "]" * 100_000, '{"chapters": ' + "[" * 40 + "]" * 40 + "}"):
        with pytest.raises(ValueError, match="nests deeper than 32 levels"):
            parse_chapters(deep)
    with pytest.raises(ValueError, match="NaN is not a JSON number"):
        parse_chapters('{"chapters": [{"startTime": NaN}]}')
