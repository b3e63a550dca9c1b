"""Dead letters to the DLQ topic once each, incrementally, on a local dead-letter table (no broker)."""

import json

from deltalake import DeltaTable

from podcast_assets.events import dead_letters, exactly_once
from podcast_assets.events.exactly_once import TableState
from podcast_assets_tests.events.test_exactly_once import NOW, Rec


def letters(epoch: int, partition: int, offsets) -> list[dict]:
    return [{"kafka_epoch": epoch, "kafka_partition": partition, "kafka_offset": o, "reason": "not JSON",
             "key": "u", "value": f"bad{o}", "ingested_at": NOW} for o in offsets]


def commit(uri: str, epoch: int, todo: dict, rows: list[dict]) -> DeltaTable:
    target = DeltaTable(uri) if DeltaTable.is_deltatable(uri) else uri
    exactly_once.commit(target, uri, "src", TableState(epoch), todo, rows, exactly_once.DEAD_LETTER_SCHEMA)
    return DeltaTable(uri)


def test_only_letters_past_the_recorded_progress_are_pending(tmp_path):
    uri = str(tmp_path / "dead")
    table = commit(uri, 0, {0: (0, 10), 1: (0, 10)}, letters(0, 0, [2, 7]) + letters(0, 1, [3]))
    progress = dead_letters.read_progress(table, "dlq", 0, [0, 1], [0])
    upto = dead_letters.targets(table, uri, "src", 0, [0, 1])
    assert upto == {(0, 0): 10, (0, 1): 10}
    assert sorted(d["kafka_offset"] for d in dead_letters.pending(table, progress, upto)) == [2, 3, 7]
    assert dead_letters.behind(table, uri, "src", "dlq", 0, [0, 1], 42, {0: 0})
    dead_letters.record_progress(table, "dlq", upto, 42, {0: 3})
    table = commit(uri, 0, {0: (10, 20)}, letters(0, 0, [15]))
    progress = dead_letters.read_progress(table, "dlq", 0, [0, 1], [0])
    assert progress == dead_letters.Progress(42, {(0, 0): 10, (0, 1): 10}, {0: 3})
    upto = dead_letters.targets(table, uri, "src", 0, [0, 1])
    assert [d["kafka_offset"] for d in dead_letters.pending(table, progress, upto)] == [15]  # the new one only
    dead_letters.record_progress(table, "dlq", upto, 42, {0: 4})
    table = DeltaTable(uri)
    assert not dead_letters.behind(table, uri, "src", "dlq", 0, [0, 1], 42, {0: 4})
    # a recreated DLQ topic (a new id; without an id, an end behind the recorded one) wants every letter again
    assert dead_letters.behind(table, uri, "src", "dlq", 0, [0, 1], 43, {0: 4})
    assert dead_letters.behind(table, uri, "src", "dlq", 0, [0, 1], None, {0: 0})
    # under the same id an end behind the recorded one is a broker's miscount, not a new topic: taken for one,
    # the letters past the miscounted end would be sent a second time
    assert not dead_letters.behind(table, uri, "src", "dlq", 0, [0, 1], 42, {0: 0})
    # a new source epoch's letters are pending beside the old epoch's progress
    table = commit(uri, 1, {0: (0, 5)}, letters(1, 0, [1]))
    progress = dead_letters.read_progress(table, "dlq", 1, [0, 1], [0])
    upto = dead_letters.targets(table, uri, "src", 1, [0, 1])
    assert [(d["kafka_epoch"], d["kafka_offset"]) for d in dead_letters.pending(table, progress, upto)] == [(1, 1)]


def test_letters_already_on_the_topic_are_not_sent_again():
    dlq = [Rec(0, 0, json.dumps({"source_topic": "a", "source_partition": 1, "source_offset": 5}).encode()),
           Rec(0, 1, json.dumps({"source_topic": "a", "source_epoch": 2, "source_partition": 1,
                                 "source_offset": 5}).encode()),
           Rec(0, 2, json.dumps({"source_topic": "b", "source_partition": 1, "source_offset": 6}).encode()),
           Rec(0, 3, b"garbage")]
    present = dead_letters.on_topic(dlq, "a")
    assert present == {(0, 1, 5), (2, 1, 5)}
    messages = dead_letters.messages(letters(2, 1, [4, 5]), present, "a")
    assert [k for k, _ in messages] == ["a:2:1:4"] and messages[0][1]["source_epoch"] == 2
    assert messages[0][1]["reason"] == "not JSON"  # the reason travels with the letter
