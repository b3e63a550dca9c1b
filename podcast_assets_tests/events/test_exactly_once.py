"""The exactly-once plan and parse on plain records (no broker): what is new, what is held, what is dead."""

import datetime as dt
import json
from dataclasses import dataclass

import pytest

from podcast_assets.events import exactly_once
from podcast_assets.events.exactly_once import OffsetRegression


@dataclass
class Rec:
    partition: int
    offset: int
    value: bytes
    key: bytes = b"u"


def event(i: int) -> bytes:
    return json.dumps({"event_id": f"e{i}", "ts": "2026-11-20T10:00:00+00:00", "user_id": "u", "new_episode_id": "1",
                       "event": "like", "device": "web", "rating": None, "position_sec": 1, "from_sec": 0,
                       "to_sec": 1, "played_pct": 0.1}).encode()


def test_plan_starts_each_partition_at_the_held_offset():
    todo, held = exactly_once.plan("t", "topic", {0: (0, 10), 1: (0, 5), 2: (3, 8)}, {0: 4, 1: 5}, {0: 10, 1: 5, 2: 8})
    assert todo == {0: (4, 10), 2: (3, 8)} and held == [1]


def test_plan_refuses_a_topic_that_ends_before_the_held_offsets():
    with pytest.raises(OffsetRegression, match="recreated"):
        exactly_once.plan("t", "topic", {0: (0, 2)}, {0: 7}, {0: 2})


def test_parse_keeps_new_valid_rows_and_every_dead_letter_of_the_range():
    records = [Rec(0, 0, event(0)), Rec(0, 1, b"{oops"), Rec(0, 2, event(2)), Rec(0, 3, b'{"event": "dance"}')]
    now = dt.datetime(2026, 11, 24, tzinfo=dt.UTC)
    rows, dead = exactly_once.parse_records(records, {0: (2, 4)}, now)
    assert [r["event_id"] for r in rows] == ["e2"] and rows[0]["day"] == dt.date(2026, 11, 20)
    assert [(r.offset, why.split()[0]) for r, why in dead] == [(1, "not"), (3, "missing")]
    messages = exactly_once.dead_letter_messages(dead, {(0, 1)}, "topic")
    assert [k for k, _ in messages] == ["topic:0:3"] and messages[0][1]["source_offset"] == 3


def test_a_commit_records_rows_and_offsets_together(tmp_path):
    uri = str(tmp_path / "raw")
    now = dt.datetime(2026, 11, 24, tzinfo=dt.UTC)
    rows, _ = exactly_once.parse_records([Rec(0, 0, event(0)), Rec(1, 0, event(1))], {0: (0, 1), 1: (0, 1)}, now)
    exactly_once.commit(uri, "topic", {0: (0, 1), 1: (0, 1)}, rows)
    assert exactly_once.committed_offsets(uri, "topic", [0, 1, 2]) == {0: 1, 1: 1}
    from deltalake import DeltaTable

    table = DeltaTable(uri).to_pyarrow_table()
    assert table.num_rows == 2 and table.schema.names == exactly_once.RAW_SCHEMA.names


def test_dead_letters_present_reads_only_this_topics_letters():
    dlq = [Rec(0, 0, json.dumps({"source_topic": "a", "source_partition": 1, "source_offset": 5}).encode()),
           Rec(0, 1, json.dumps({"source_topic": "b", "source_partition": 1, "source_offset": 6}).encode()),
           Rec(0, 2, b"garbage")]
    assert exactly_once.dead_letters_present(dlq, "a") == {(1, 5)}
