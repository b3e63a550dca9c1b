from podcast_assets.common.kafka_offsets import (
    dump_cursor,
    load_cursor,
    new_ranges,
    parse_range_key,
    range_key,
)


def test_new_ranges_only_past_the_cursor_and_capped():
    assert new_ranges({0: 5, 1: 2}, {0: 5, 1: 9, 2: 3}) == {1: (2, 9), 2: (0, 3)}
    assert new_ranges({}, {0: 1000}, max_per_partition=100) == {0: (0, 100)}


def test_cursor_and_range_key_round_trip():
    assert load_cursor(dump_cursor({3: 7, 0: 1})) == {0: 1, 3: 7}
    assert load_cursor(None) == {}
    key = range_key("user-events", {1: (2, 9), 0: (0, 3)})
    assert key == "user-events:0@0-3,1@2-9"
    assert parse_range_key(key) == ("user-events", {0: (0, 3), 1: (2, 9)})
