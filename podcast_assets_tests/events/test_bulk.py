"""The bulk Arrow parse accepts exactly what the per-message contract (``schema.validate``) accepts."""

import datetime as dt
import json

from podcast_assets.events.bulk import parse_events
from podcast_assets.events.generator import generate
from podcast_assets.events.schema import validate

GOOD = {"event_id": "e", "ts": "2026-11-20T10:00:00+00:00", "user_id": "u", "new_episode_id": "1", "event": "rate",
        "device": "web", "rating": 4, "position_sec": 1.5, "from_sec": 0, "to_sec": 1.5, "played_pct": 0.1}


def variant(**change) -> bytes:
    doc = {**GOOD, **change}
    return json.dumps({k: v for k, v in doc.items() if v != "DROP"}).encode()


TRICKY = [
    variant(), variant(rating=None), variant(rating=9), variant(event="like", rating=None), variant(event="dance"),
    variant(user_id=""), variant(user_id="DROP"), variant(event_id=None), variant(event_id=123),
    variant(rating=4.0), variant(rating=10 ** 12, event="like"), variant(position_sec="DROP", played_pct=None),
    variant(position_sec="12"), variant(ts="2026-11-20 10:00:00"), variant(ts="yesterday"), variant(ts="1999-01-01T00:00:00Z"),
    variant(device=["x"]), b'{"event_id": "a"}{"event_id": "b"}', b"{oops}", b"[1, 2]", b"", None, b"\x00\xff not json",
    b'{"event_id": "d", "event_id": "e"}', variant()[:-1] + b', "extra": {"nested": [1]}}',
    json.dumps(GOOD, indent=1).encode(),  # valid JSON over several lines
]


def decided_one_by_one(values, days):
    out = []
    for v in values:
        event, _ = validate(v)
        out.append(event is not None and days[0] <= event["ts"].date() <= days[1])
    return out


def test_bulk_accepts_only_what_validate_accepts_and_hands_back_the_rest():
    days = (dt.date(2025, 1, 1), dt.date(2026, 11, 24))
    values = TRICKY * 3  # the bad ones sit among good ones, so slices must be split to isolate them
    table, unsure = parse_events(values, days)
    accepted = set(table["_i"].to_pylist())
    assert accepted.isdisjoint(unsure) and accepted | set(unsure) == set(range(len(values)))
    truth = decided_one_by_one(values, days)
    assert all(truth[i] for i in accepted)  # never accepts what validate refuses
    # types Arrow will not coerce (an id as a number, a rating as 4.0) are left to validate, which may accept them
    assert {i % len(TRICKY) for i in accepted} == {0, 3, 11, 13, 24}
    assert {i % len(TRICKY) for i, ok in enumerate(truth) if ok} == {0, 3, 8, 9, 11, 12, 13, 24, 25}
    row = next(r for r in table.to_pylist() if r["_i"] == 11)
    assert row["position_sec"] == 0.0 and row["played_pct"] == 0.0 and row["day"] == dt.date(2026, 11, 20)


def test_generated_events_are_parsed_in_bulk_with_the_same_verdicts():
    episodes = {str(i): "abcd"[i % 4] for i in range(20)}
    msgs = generate(episodes, 30, 40, 1, 2, dt.datetime(2026, 11, 24, tzinfo=dt.UTC), malformed_share=0.05)
    values = [m.encode() for _, m in msgs]
    days = (dt.date(2025, 1, 1), dt.date(2026, 11, 24))
    table, unsure = parse_events(values, days)
    truth = decided_one_by_one(values, days)
    assert sorted(table["_i"].to_pylist()) == [i for i, ok in enumerate(truth) if ok and i not in unsure]
    assert sum(truth) == table.num_rows + sum(truth[i] for i in unsure)
    assert table.num_rows > 0.9 * sum(truth)  # the bulk path does the work, not the fallback
