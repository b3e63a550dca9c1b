from podcast_assets.common.kafka_offsets import (
    dump_topic_cursor,
    load_topic_cursor,
    new_ranges,
    range_key,
    recreated,
)


def test_new_ranges_only_past_the_cursor_and_capped():
    assert new_ranges({0: 5, 1: 2}, {0: 5, 1: 9, 2: 3}) == {1: (2, 9), 2: (0, 3)}
    assert new_ranges({}, {0: 1000}, max_per_partition=100) == {0: (0, 100)}


def test_cursor_and_range_key_round_trip():
    assert load_topic_cursor(dump_topic_cursor("id-1", {3: 7, 0: 1}, {0: "41"})) == ("id-1", {0: 1, 3: 7}, {0: "41"})
    assert load_topic_cursor(None) == (None, {}, {})
    assert load_topic_cursor('{"0": 4}') == (None, {0: 4}, {})  # a cursor written before topic ids were kept
    assert range_key("user-events", {1: (2, 9), 0: (0, 3)}) == "user-events:0@0-3,1@2-9"


def test_a_recreated_topic_is_recognised_three_ways():
    same = recreated("a", "a", {0: 5}, {0: 9}, {0: "k"}, {0: "k"})
    assert same == ""
    assert "topic id" in recreated("a", "b", {0: 5}, {0: 9}, {}, {})
    assert "end before" in recreated(None, None, {0: 5}, {0: 2}, {}, {})
    # refilled past the cursor before anyone looked: the record before the cursor is another one
    assert "changed" in recreated(None, None, {0: 5}, {0: 9}, {0: "other"}, {0: "k"})
