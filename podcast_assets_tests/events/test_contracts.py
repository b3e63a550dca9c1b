"""The exactly-once contracts as plain verdicts: a gap, an overlap, a lost and a twice-held offset."""

import pandas as pd

from podcast_assets.events.commit_history import RangeCommit
from podcast_assets.events.contracts import event_ids_unique, offsets_held_once, ranges_follow_on


def test_ranges_that_follow_on_pass_and_a_gap_or_an_overlap_is_named():
    commits = [RangeCommit(3, {(0, 0): (10, 20), (0, 1): (0, 5)}), RangeCommit(4, {(0, 0): (20, 30)}),
               RangeCommit(5, {(1, 0): (0, 4)})]  # a new epoch starts at 0
    assert ranges_follow_on(commits, {(0, 0): 10}, {(0, 0): 30, (0, 1): 5, (1, 0): 4}).passed
    gap = ranges_follow_on([RangeCommit(7, {(0, 0): (12, 20)})], {(0, 0): 10}, {(0, 0): 20})
    assert gap.failures == ("version 7, epoch 0 partition 0 [12, 20): a gap, offsets 10..11 were never committed",)
    overlap = ranges_follow_on([RangeCommit(7, {(0, 0): (8, 20)})], {(0, 0): 10}, {(0, 0): 20})
    assert overlap.failures == ("version 7, epoch 0 partition 0 [8, 20): overlaps earlier commits by 2 offsets "
                                "(they ended at 10)",)
    held_elsewhere = ranges_follow_on([RangeCommit(7, {(0, 0): (10, 20)})], {(0, 0): 10}, {(0, 0): 25})
    assert held_elsewhere.failures == ("epoch 0 partition 0: the table holds offset 25, its commits end at 20",)


def test_every_offset_is_held_once_across_the_raw_rows_and_the_dead_letters():
    def rows(offsets, table):
        return pd.DataFrame({"kafka_epoch": 0, "kafka_partition": 1, "kafka_offset": offsets, "table": table})

    ranges = {(0, 1): (0, 6)}
    assert offsets_held_once(ranges, pd.concat([rows([0, 1, 3, 4], "raw"), rows([2, 5], "dead")])).passed
    broken = offsets_held_once(ranges, pd.concat([rows([0, 1, 3], "raw"), rows([1, 2], "dead")]))
    assert broken.checked == 6 and broken.failures == (
        "epoch 0 partition 1: 2 offsets of [0, 6) in no table, the first 4, 5",
        "epoch 0 partition 1 offset 1: held 2 times (dead, raw)")


def test_an_event_id_twice_on_a_day_is_named():
    events = pd.DataFrame({"event_id": ["a", "b", "a", "a"], "day": ["d1", "d1", "d1", "d2"]})
    assert event_ids_unique(events).failures == ("event a on d1: 2 rows",)
