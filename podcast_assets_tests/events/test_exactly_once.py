"""The exactly-once logic on plain records and local tables (no broker): plan, epochs, parse, commit."""

import datetime as dt
import json
from dataclasses import dataclass

from deltalake import DeltaTable

from podcast_assets.events import exactly_once
from podcast_assets.events.exactly_once import TableState


@dataclass
class Rec:
    partition: int
    offset: int
    value: bytes
    key: bytes = b"u"


def event(i: int, day: str = "2026-11-20") -> bytes:
    return json.dumps({"event_id": f"e{i}", "ts": f"{day}T10:00:00+00:00", "user_id": "u", "new_episode_id": "1",
                       "event": "like", "device": "web", "rating": None, "position_sec": 1, "from_sec": 0,
                       "to_sec": 1, "played_pct": 0.1}).encode()


NOW = dt.datetime(2026, 11, 24, tzinfo=dt.UTC)


def test_plan_reads_from_the_held_offsets_to_the_true_ends_in_bounded_steps():
    assert exactly_once.plan({0: 4, 1: 5}, {0: 10, 1: 5, 2: 8}, 100) == {0: (4, 10), 2: (0, 8)}
    assert exactly_once.plan({}, {0: 1000}, 300) == {0: (0, 300)}
    assert exactly_once.remaining({0: (4, 10), 1: (0, 3)}, {0: 6, 1: 3}) == {0: (6, 10)}


def test_a_new_epoch_is_recognised_three_ways():
    state = TableState(epoch=0, fingerprint=7, committed={0: 5})
    assert exactly_once.new_epoch_reason(state, 7, {0: 9}, []) == ""
    assert "topic id" in exactly_once.new_epoch_reason(state, 8, {0: 9}, [])
    assert "end before" in exactly_once.new_epoch_reason(state, None, {0: 2}, [])
    assert "not the ones" in exactly_once.new_epoch_reason(state, None, {0: 9}, [0])
    assert "not the ones" in exactly_once.new_epoch_reason(state, 7, {0: 9}, [0])
    # the same topic id with an end behind the held offsets: a miscounted end, not a topic to read again
    assert exactly_once.new_epoch_reason(state, 7, {0: 2}, []) == ""
    assert exactly_once.fingerprint(None) is None
    assert 0 <= exactly_once.fingerprint("01a20fdd-57f5-75c1-88ed-36cedc14a258") < 2 ** 63


def test_the_record_before_the_held_offset_must_be_the_one_the_table_holds():
    held = {0: exactly_once.held_identity(event_id="e4"), 1: exactly_once.held_identity(dead_value="{oops"),
            2: exactly_once.held_identity(dead_value=event(5, day="1999-01-01").decode())}
    # a valid event dated outside the partitions is held as a dead letter: compared by its bytes
    assert exactly_once.tail_mismatches({0: event(4), 1: b"{oops", 2: event(5, day="1999-01-01")}, held) == []
    assert exactly_once.tail_mismatches({0: event(9), 1: b"{oops", 2: event(5)}, held) == [0, 2]


def test_parse_keeps_valid_rows_and_makes_dead_letters_of_the_rest():
    records = [Rec(0, 0, event(0)), Rec(0, 1, b"{oops"), Rec(0, 2, event(2)), Rec(0, 3, b'{"event": "dance"}'),
               Rec(0, 4, event(4, day="1999-01-01"))]
    days = (dt.date(2025, 1, 1), NOW.date())
    table, dead = exactly_once.parse_records(records, {0: (1, 5)}, 3, NOW, days)
    assert table.schema == exactly_once.RAW_SCHEMA
    rows = table.to_pylist()
    assert [r["event_id"] for r in rows] == ["e2"] and rows[0]["day"] == dt.date(2026, 11, 20)
    assert rows[0]["kafka_epoch"] == 3
    assert [(d["kafka_offset"], d["reason"].split()[0]) for d in dead] == [(1, "not"), (3, "missing"), (4, "day")]


def test_a_commit_records_rows_offsets_epoch_and_fingerprint_together(tmp_path):
    uri = str(tmp_path / "raw")
    rows, _ = exactly_once.parse_records([Rec(0, 0, event(0)), Rec(1, 0, event(1))], {0: (0, 1), 1: (0, 1)}, 0, NOW)
    exactly_once.commit(uri, uri, "topic", TableState(0, 42), {0: (0, 1), 1: (0, 1)}, rows, exactly_once.RAW_SCHEMA)
    state = exactly_once.read_state(DeltaTable(uri), uri, "topic", [0, 1, 2])
    assert (state.epoch, state.fingerprint, state.committed) == (0, 42, {0: 1, 1: 1})
    rows, _ = exactly_once.parse_records([Rec(0, 0, event(5))], {0: (0, 1)}, 1, NOW)
    exactly_once.commit(DeltaTable(uri), uri, "topic", TableState(1, 43), {0: (0, 1)}, rows, exactly_once.RAW_SCHEMA)
    state = exactly_once.read_state(DeltaTable(uri), uri, "topic", [0, 1])
    assert (state.epoch, state.fingerprint, state.committed) == (1, 43, {0: 1})  # epoch 1's offsets only
    assert exactly_once.read_state(DeltaTable(uri), uri, "topic", [0, 1], epoch=0).committed == {0: 1, 1: 1}
    table = DeltaTable(uri).to_pyarrow_table()
    assert table.num_rows == 3 and set(table.schema.names) == set(exactly_once.RAW_SCHEMA.names)
    assert DeltaTable(uri).metadata().partition_columns == ["day"]  # a day's recompute reads one folder
    day = DeltaTable(uri).to_pyarrow_table(filters=[("day", "=", dt.date(2026, 11, 20))])
    assert day.num_rows == 3


def test_the_days_of_commits_no_materialisation_reported_are_found_in_the_log(tmp_path):
    """A run that died after its commit, before its materialisation, touched days nobody reported: the next
    run finds them in the commit log, from the version the last materialisation reported."""
    from podcast_assets.events.commit_history import days_touched

    uri = str(tmp_path / "raw")
    rows, _ = exactly_once.parse_records([Rec(0, 0, event(0, "2026-11-20"))], {0: (0, 1)}, 0, NOW)
    exactly_once.commit(uri, uri, "topic", TableState(0), {0: (0, 1)}, rows, exactly_once.RAW_SCHEMA)
    reported = DeltaTable(uri).version()
    rows, _ = exactly_once.parse_records([Rec(0, 1, event(1, "2026-11-21")), Rec(1, 0, event(2, "2026-11-22"))],
                                         {0: (1, 2), 1: (0, 1)}, 0, NOW)
    exactly_once.commit(DeltaTable(uri), uri, "topic", TableState(0), {0: (1, 2), 1: (0, 1)}, rows, exactly_once.RAW_SCHEMA)
    assert days_touched(DeltaTable(uri), reported, "topic") == {"2026-11-21", "2026-11-22"}
    assert days_touched(DeltaTable(uri), -1, "topic") == {"2026-11-20", "2026-11-21", "2026-11-22"}
    assert days_touched(DeltaTable(uri), DeltaTable(uri).version(), "topic") == set()
    assert days_touched(DeltaTable(uri), reported, "another-topic") == set()
